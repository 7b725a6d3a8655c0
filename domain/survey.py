"""Perception and trust surveys, and responses that cannot be traced back to who gave them.

A response's aggregate id is derived from a keyed hash of (survey, respondent) that the
application computes with a secret the event store never sees; the response's events carry no
principal id. So one response per respondent is enforced by the id alone (a second save of the
same id fails), and nothing stored links a person to their answers.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain.actors import Actor, Role
from domain.base import K2KAggregate, occurred
from domain.errors import IllegalTransition, InvalidValue, NotPermitted

CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


class Audience(StrEnum):
    """Who a survey asks."""

    RESIDENTS = "residents"
    MANAGEMENT = "management"
    COMMITTEE = "committee"


#: The role a respondent must hold to answer for an audience.
AUDIENCE_ROLES = {
    Audience.RESIDENTS: Role.RESIDENT,
    Audience.MANAGEMENT: Role.MANAGEMENT,
    Audience.COMMITTEE: Role.COMMITTEE,
}


class Scale(StrEnum):
    """How an item is answered."""

    LIKERT_5 = "likert_5"
    ZERO_TO_TEN = "zero_to_ten"
    YES_NO = "yes_no"


#: The answers each scale accepts (yes/no is 1 for yes, 0 for no).
SCALE_VALUES = {
    Scale.LIKERT_5: range(1, 6),
    Scale.ZERO_TO_TEN: range(0, 11),
    Scale.YES_NO: range(0, 2),
}

#: The constructs K2K reports on; an admin may tag items with others (lower-case codes).
CONSTRUCTS = (
    "trust_in_committee",
    "trust_in_management",
    "perception_of_co_management",
    "responsiveness",
    "sense_of_belonging",
    "quality_of_life",
)


class SurveyStatus(StrEnum):
    """Where a survey stands."""

    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


ADMINS = frozenset({Role.ADMIN, Role.SYSTEM})


def _require_admin(actor: Actor, doing: str) -> None:
    if actor.role not in ADMINS:
        raise NotPermitted("only an admin may {doing}", doing=doing)


def validate_items(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Items have unique codes, BM and EN wording, a known scale and a construct code."""
    if not items:
        raise InvalidValue("items", "a survey needs at least one item")
    if len(items) > 60:
        raise InvalidValue("items", "at most 60 items")
    seen: set[str] = set()
    cleaned = []
    for number, item in enumerate(items, start=1):
        code = str(item.get("code", "")).strip().lower()
        if not CODE.match(code):
            raise InvalidValue(
                "items", "item {number}: code must be 1-40 lower-case letters/digits", number=number
            )
        if code in seen:
            raise InvalidValue(
                "items", "item {number}: code {code!r} is used twice", number=number, code=code
            )
        seen.add(code)
        texts = {}
        for language in ("text_ms", "text_en"):
            text = str(item.get(language, "")).strip()
            if not text or len(text) > 500:
                raise InvalidValue(
                    "items",
                    "item {code}: {language} must be 1-500 characters",
                    code=code,
                    language=language,
                )
            texts[language] = text
        try:
            scale = Scale(str(item.get("scale")))
        except ValueError as error:
            raise InvalidValue(
                "items",
                "item {code}: scale must be one of {scales}",
                code=code,
                scales=", ".join(Scale),
            ) from error
        construct = str(item.get("construct", "")).strip().lower()
        if not CODE.match(construct):
            raise InvalidValue(
                "items", "item {code}: construct must be a lower-case code", code=code
            )
        cleaned.append({"code": code, **texts, "scale": scale.value, "construct": construct})
    return cleaned


class Survey(K2KAggregate):
    """A wave of a perception survey for one or more PPRs."""

    @event("Created")
    def __init__(
        self,
        title: str,
        ppr_codes: list[str],
        audiences: list[str],
        wave: str,
        period_start: date,
        period_end: date,
        items: list[dict[str, Any]],
        audience_sizes: dict[str, int],
        actor_id: str,
        actor_role: str,
        occurred_at: datetime,
    ) -> None:
        self.title = title
        self.ppr_codes = ppr_codes
        self.audiences = audiences
        self.wave = wave
        self.period_start = period_start
        self.period_end = period_end
        self.items = items
        self.audience_sizes = audience_sizes
        self.status = SurveyStatus.DRAFT.value
        self.response_count = 0
        self.last_occurred_at = occurred_at

    @classmethod
    def create(
        cls,
        actor: Actor,
        *,
        title: str,
        ppr_codes: list[str],
        audiences: list[Audience],
        wave: str,
        period_start: date,
        period_end: date,
        items: list[dict[str, Any]],
        audience_sizes: dict[str, int] | None = None,
        occurred_at: datetime | None = None,
    ) -> Survey:
        """Draft a survey (admin)."""
        _require_admin(actor, "create surveys")
        title = title.strip()
        if not title or len(title) > 200:
            raise InvalidValue("title", "must be 1-200 characters")
        wave = wave.strip()
        if not wave or len(wave) > 40:
            raise InvalidValue("wave", "must be 1-40 characters, e.g. 2026-H1")
        if not ppr_codes:
            raise InvalidValue("pprs", "name at least one PPR")
        if not audiences:
            raise InvalidValue("audiences", "name at least one audience")
        if period_end < period_start:
            raise InvalidValue("period_end", "must not be before period_start")
        sizes = dict(audience_sizes or {})
        for audience, size in sizes.items():
            if audience not in {each.value for each in audiences} or size < 1:
                raise InvalidValue(
                    "audience_sizes",
                    "{audience}: not an audience of this survey",
                    audience=audience,
                )
        return cls(
            title=title,
            ppr_codes=sorted(set(ppr_codes)),
            audiences=sorted({audience.value for audience in audiences}),
            wave=wave,
            period_start=period_start,
            period_end=period_end,
            items=validate_items(items),
            audience_sizes=sizes,
            actor_id=actor.principal_id,
            actor_role=actor.role.value,
            occurred_at=occurred(actor, occurred_at, None),
        )

    def _stamp(self, actor: Actor, occurred_at: datetime | None) -> dict[str, Any]:
        return {
            "actor_id": actor.principal_id,
            "actor_role": actor.role.value,
            "occurred_at": occurred(actor, occurred_at, self.last_occurred_at),
        }

    def revise_items(
        self, actor: Actor, items: list[dict[str, Any]], occurred_at: datetime | None = None
    ) -> None:
        """Replace the items; only until the first response, so answers always match questions."""
        _require_admin(actor, "change surveys")
        if self.response_count:
            raise IllegalTransition("the items cannot change once a response exists")
        if self.status == SurveyStatus.CLOSED.value:
            raise IllegalTransition("the survey is closed")
        self._revise_items(items=validate_items(items), **self._stamp(actor, occurred_at))

    @event("ItemsRevised")
    def _revise_items(
        self, items: list[dict[str, Any]], actor_id: str, actor_role: str, occurred_at: datetime
    ) -> None:
        self.items = items
        self.last_occurred_at = occurred_at

    def open(self, actor: Actor, occurred_at: datetime | None = None) -> None:
        """Start taking responses."""
        _require_admin(actor, "open surveys")
        if self.status != SurveyStatus.DRAFT.value:
            raise IllegalTransition(
                "cannot open a survey that is {survey_status}", survey_status=self.status
            )
        self._open(**self._stamp(actor, occurred_at))

    @event("Opened")
    def _open(self, actor_id: str, actor_role: str, occurred_at: datetime) -> None:
        self.status = SurveyStatus.OPEN.value
        self.last_occurred_at = occurred_at

    def close(self, actor: Actor, occurred_at: datetime | None = None) -> None:
        """Stop taking responses."""
        _require_admin(actor, "close surveys")
        if self.status != SurveyStatus.OPEN.value:
            raise IllegalTransition(
                "cannot close a survey that is {survey_status}", survey_status=self.status
            )
        self._close(**self._stamp(actor, occurred_at))

    @event("Closed")
    def _close(self, actor_id: str, actor_role: str, occurred_at: datetime) -> None:
        self.status = SurveyStatus.CLOSED.value
        self.last_occurred_at = occurred_at

    def check_answers(self, answers: dict[str, int | None]) -> dict[str, int]:
        """Answers name known items with values on their scale; skipped items are left out."""
        scales = {item["code"]: Scale(item["scale"]) for item in self.items}
        cleaned = {}
        for code, value in answers.items():
            if code not in scales:
                raise InvalidValue("answers", "the survey has no item {code!r}", code=code)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int):
                raise InvalidValue("answers", "{code}: answer with a whole number", code=code)
            if value not in SCALE_VALUES[scales[code]]:
                allowed = SCALE_VALUES[scales[code]]
                raise InvalidValue(
                    "answers",
                    "{code}: {value} is off the scale ({lowest}-{highest})",
                    code=code,
                    value=value,
                    lowest=allowed.start,
                    highest=allowed.stop - 1,
                )
            cleaned[code] = value
        if not cleaned:
            raise InvalidValue("answers", "answer at least one item")
        return cleaned

    def count_response(self, actor: Actor, audience: Audience, ppr_code: str) -> None:
        """Admit one response: the survey is open and asks this respondent's audience and PPR.

        Records only that a response arrived (no identity), so the survey knows answers exist.
        """
        if self.status != SurveyStatus.OPEN.value:
            raise IllegalTransition(
                "the survey is {survey_status}; it takes no responses", survey_status=self.status
            )
        if audience.value not in self.audiences:
            raise NotPermitted("this survey does not ask {audience}", audience=audience.value)
        if AUDIENCE_ROLES[audience] is not actor.role:
            raise NotPermitted("only {audience} answer for {audience}", audience=audience.value)
        if ppr_code not in self.ppr_codes:
            raise NotPermitted("this survey is not for PPR {ppr}", ppr=ppr_code)
        self._count_response(occurred_at=occurred(actor, None, self.last_occurred_at))

    @event("ResponseCounted")
    def _count_response(self, occurred_at: datetime) -> None:
        self.response_count += 1
        self.last_occurred_at = occurred_at


class SurveyResponse(K2KAggregate):
    """One respondent's answers; its id is the keyed hash, and it names no one."""

    @event("Submitted")
    def __init__(
        self,
        survey_id: str,
        ppr_code: str,
        audience: str,
        answers: dict[str, int],
        gender: str | None,
        age_band: str | None,
        block: str | None,
        occurred_at: datetime,
        id: UUID | None = None,  # the keyed hash; the event itself does not store it
    ) -> None:
        self.survey_id = survey_id
        self.ppr_code = ppr_code
        self.audience = audience
        self.answers = answers
        self.gender = gender
        self.age_band = age_band
        self.block = block


def response_id_from(digest: bytes) -> UUID:
    """A response id from the keyed hash (the first 16 bytes, as a version-4-shaped UUID)."""
    raw = bytearray(digest[:16])
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    return UUID(bytes=bytes(raw))
