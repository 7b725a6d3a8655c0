"""Demo surveys: two waves per PPR for residents and for management, with a gentle improvement."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta

from domain import clock
from domain.actors import Actor, Role
from domain.application import K2K
from domain.clock import MALAYSIA
from domain.committee import AgeBand, Gender
from domain.survey import Audience, Scale
from domain.survey_starter import MANAGEMENT, RESIDENTS

#: When each wave ran, before ``now``, and how much better answers lean in it.
WAVES = (("2026-H1", timedelta(days=200), 0.0), ("2026-H2", timedelta(days=30), 0.4))
#: Officers who answer the management instrument in each PPR (the demo's token holder is one).
OFFICERS = 6


def _at(moment: datetime) -> clock.Clock:
    """A clock stopped at ``moment``."""
    return lambda: moment


def _answer(rng: random.Random, scale: str, lean: float) -> int | None:
    if rng.random() < 0.07:
        return None  # skipped
    if scale == Scale.LIKERT_5.value:
        return max(1, min(5, round(rng.gauss(3.2 + lean, 1.0))))
    if scale == Scale.ZERO_TO_TEN.value:
        return max(0, min(10, round(rng.gauss(5.5 + 2 * lean, 2.0))))
    return int(rng.random() < 0.5 + lean / 4)


def load_surveys(
    app: K2K,
    admin: Actor,
    ppr: str,
    blocks: str,
    residents: Sequence[Actor],
    management: Actor,
    rng: random.Random,
    now: datetime,
) -> None:
    """Run both waves in one PPR under the simulated clock."""
    prefix = ppr.lower()
    officers = [management] + [
        Actor(f"management-{prefix}-{n}", Role.MANAGEMENT) for n in range(2, OFFICERS + 1)
    ]
    for wave, before, lean in WAVES:
        opened = now - before
        with clock.clock_set_to(_at(opened)):
            ids = {}
            for audience, items, size in (
                (Audience.RESIDENTS, RESIDENTS, 400),
                (Audience.MANAGEMENT, MANAGEMENT, OFFICERS),
            ):
                saved = app.create_survey(
                    admin,
                    title=f"Persepsi pengurusan bersama {wave} ({audience.value})",
                    ppr_codes=[ppr],
                    audiences=[audience],
                    wave=wave,
                    period_start=opened.astimezone(MALAYSIA).date(),
                    period_end=(opened + timedelta(days=21)).astimezone(MALAYSIA).date(),
                    items=[dict(item) for item in items],
                    audience_sizes={audience.value: size},
                )
                app.open_survey(admin, saved.id)
                ids[audience] = (saved.id, items)
        respondents = [(Audience.RESIDENTS, each) for each in rng.sample(list(residents), 28)]
        respondents += [(Audience.MANAGEMENT, each) for each in officers]
        for number, (audience, actor) in enumerate(respondents):
            survey_id, items = ids[audience]
            answers = {item["code"]: _answer(rng, item["scale"], lean) for item in items}
            if not any(value is not None for value in answers.values()):
                answers[items[0]["code"]] = 3
            at = opened + timedelta(hours=6 + number * 9)
            with clock.clock_set_to(_at(at)):
                app.respond_to_survey(
                    actor,
                    survey_id,
                    audience=audience,
                    ppr_code=ppr,
                    answers=answers,
                    gender=rng.choice([Gender.FEMALE.value, Gender.MALE.value, None]),
                    age_band=rng.choice([band.value for band in AgeBand]),
                    block=rng.choice(blocks) if audience is Audience.RESIDENTS else None,
                )
        closed = opened + timedelta(days=21)
        if closed < now:
            with clock.clock_set_to(_at(closed)):
                for survey_id, _ in ids.values():
                    app.close_survey(admin, survey_id)
