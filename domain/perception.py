"""The survey commands of the application (a base of :class:`domain.application.K2K`)."""

from __future__ import annotations

import hashlib
import hmac
import random
import time
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from domain import clock
from domain.actors import Actor
from domain.base import Saved
from domain.errors import AlreadyExists, ConcurrentChange, InvalidValue, NotFound
from domain.governance import GovernanceCommands
from domain.survey import Audience, Survey, SurveyResponse, response_id_from

#: Responses to one survey arrive together; each is retried when another lands first.
RESPONSE_RETRY_ATTEMPTS = 40
#: Used when the application is given no key (development and tests only).
DEVELOPMENT_RESPONSE_KEY = "k2k-dev-response-key"


class SurveyCommands(GovernanceCommands):
    """Commands on surveys and responses."""

    def _response_key(self) -> bytes:
        return str(self.env.get("K2K_RESPONSE_KEY") or DEVELOPMENT_RESPONSE_KEY).encode()

    def response_id(self, survey_id: UUID, principal_id: str) -> UUID:
        """The id of ``principal_id``'s response to a survey: a keyed hash, never stored with them."""
        digest = hmac.new(
            self._response_key(), f"{survey_id}:{principal_id}".encode(), hashlib.sha256
        ).digest()
        return response_id_from(digest)

    def get_survey(self, survey_id: UUID) -> Survey:
        """A survey."""
        return self._get(Survey, survey_id, "no survey {id}")

    def create_survey(
        self,
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
    ) -> Saved:
        """Draft a survey for one or more PPRs (admin)."""
        codes = []
        for code in ppr_codes:
            try:
                codes.append(self.get_ppr(code).code)
            except NotFound as error:
                raise InvalidValue("pprs", "no PPR with code {code!r}", code=code) from error
        survey = Survey.create(
            actor,
            title=title,
            ppr_codes=codes,
            audiences=audiences,
            wave=wave,
            period_start=period_start,
            period_end=period_end,
            items=items,
            audience_sizes=audience_sizes,
        )
        self.save(survey)
        return Saved(survey.id, survey.version)

    def _change_survey(self, survey_id: UUID, expected_version: int | None, change: Any) -> Saved:
        def apply(survey: Survey) -> list[Any]:
            change(survey)
            return []

        return self._save_with_cases(lambda: self.get_survey(survey_id), expected_version, apply)

    def revise_survey_items(
        self,
        actor: Actor,
        survey_id: UUID,
        *,
        items: list[dict[str, Any]],
        expected_version: int | None = None,
    ) -> Saved:
        """Replace a survey's items (until the first response)."""
        return self._change_survey(
            survey_id, expected_version, lambda survey: survey.revise_items(actor, items)
        )

    def open_survey(
        self, actor: Actor, survey_id: UUID, *, expected_version: int | None = None
    ) -> Saved:
        """Start taking responses."""
        return self._change_survey(survey_id, expected_version, lambda survey: survey.open(actor))

    def close_survey(
        self, actor: Actor, survey_id: UUID, *, expected_version: int | None = None
    ) -> Saved:
        """Stop taking responses."""
        return self._change_survey(survey_id, expected_version, lambda survey: survey.close(actor))

    def respond_to_survey(
        self,
        actor: Actor,
        survey_id: UUID,
        *,
        audience: Audience,
        ppr_code: str,
        answers: dict[str, int | None],
        gender: str | None = None,
        age_band: str | None = None,
        block: str | None = None,
    ) -> UUID:
        """Record one respondent's answers, once; the response names no one.

        The survey counts the response in the same transaction, so a response can never land in
        a closed survey, and items never change once answers exist.
        """
        if block is not None:
            self.get_ppr(ppr_code).require_block(block)
        response_id = self.response_id(survey_id, actor.principal_id)
        for attempt in range(RESPONSE_RETRY_ATTEMPTS):
            survey = self.get_survey(survey_id)
            if self._exists(response_id):
                raise AlreadyExists("you have answered this survey already")
            cleaned = survey.check_answers(answers)
            survey.count_response(actor, audience, ppr_code)
            response = SurveyResponse(
                id=response_id,
                survey_id=str(survey_id),
                ppr_code=ppr_code,
                audience=audience.value,
                answers=cleaned,
                gender=gender,
                age_band=age_band,
                block=block,
                occurred_at=clock.now(),
            )
            try:
                self.save(survey, response)
            except IntegrityError:
                if self._exists(response_id):
                    raise AlreadyExists("you have answered this survey already") from None
                time.sleep(random.uniform(0, 0.002 * (attempt + 1)))
                continue
            return response_id
        raise ConcurrentChange("many responses arrived at once; try again")

    def _exists(self, aggregate_id: UUID) -> bool:
        return bool(list(self.events.get(aggregate_id, limit=1)))
