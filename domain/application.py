"""The command side: the only way to change PPRs and cases."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Repository
from eventsourcing.domain import MutableOrImmutableAggregate
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Transcoding

from domain.actors import Actor
from domain.audit import AuditCommands
from domain.base import ReplayingRepository, Saved
from domain.case import REPORT_PHOTOS_MAX, Case, Channel, Location, Party, PhotoRef
from domain.clock import now as clock_now
from domain.errors import (
    AlreadyExists,
    ConcurrentChange,
    IllegalTransition,
    InvalidValue,
    NotFound,
    VersionMismatch,
)
from domain.perception import SurveyCommands
from domain.ppr import DEFAULT_DISPUTE_WINDOW_DAYS, Ppr, SlaTargets, ppr_id
from domain.sla import SlaClock, SlaTarget, clock_for, milestones
from domain.webhook import WebhookCommands

#: How often a command that is safe to repeat (comment, support) is retried after losing a race.
SAFE_RETRY_ATTEMPTS = 60


class DateAsISO(Transcoding):
    """Stores ``datetime.date`` values (commitment dates) as ISO strings."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class K2K(SurveyCommands, WebhookCommands, AuditCommands):
    """K2K Co-Manage: PPRs and cases here; committees and surveys in its bases.

    ``GovernanceCommands`` (committees, meetings, decisions), ``SurveyCommands`` (surveys and
    responses), ``WebhookCommands`` (webhook subscriptions) and ``AuditCommands`` (signed
    checkpoints) hold the other commands, one subject per file.
    """

    name = "k2k"
    snapshotting_intervals: ClassVar[dict[type[MutableOrImmutableAggregate[Any]], int]] = {
        Case: 100
    }

    def construct_repository(self) -> Repository[UUID]:
        """The library's repository, reading aggregates without its per-event protocol check."""
        library = super().construct_repository()
        return ReplayingRepository(
            event_store=self.events,
            snapshot_store=self.snapshots,
            cache_maxsize=getattr(library.cache, "maxsize", 0 if library.cache else None),
            fastforward=library.fastforward,
            fastforward_skipping=library.fastforward_skipping,
            deepcopy_from_cache=library.deepcopy_from_cache,
        )

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        """Add the date transcoding to the library's defaults."""
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    # -- PPRs ----------------------------------------------------------------------------------

    def register_ppr(
        self,
        actor: Actor,
        code: str,
        name: str,
        dispute_window_days: int = DEFAULT_DISPUTE_WINDOW_DAYS,
    ) -> Saved:
        """Register a PPR scheme; its code must be new."""
        ppr = Ppr.register(actor, code, name, dispute_window_days)
        try:
            self.save(ppr)
        except IntegrityError as error:
            raise AlreadyExists("PPR {ppr} is registered already", ppr=ppr.code) from error
        return Saved(ppr.id, ppr.version)

    def add_block(self, actor: Actor, ppr_code: str, code: str, name: str, floors: int) -> Saved:
        """Add a block to a PPR."""
        return self._change_ppr(ppr_code, lambda ppr: ppr.add_block(actor, code, name, floors))

    def add_category(
        self, actor: Actor, ppr_code: str, code: str, name_ms: str, name_en: str, sla: SlaTargets
    ) -> Saved:
        """Add a case category with SLA targets to a PPR."""
        return self._change_ppr(
            ppr_code, lambda ppr: ppr.add_category(actor, code, name_ms, name_en, sla)
        )

    def change_sla_targets(
        self, actor: Actor, ppr_code: str, category_code: str, sla: SlaTargets
    ) -> Saved:
        """Change a category's SLA targets."""
        return self._change_ppr(
            ppr_code, lambda ppr: ppr.change_sla_targets(actor, category_code, sla)
        )

    def change_dispute_window(self, actor: Actor, ppr_code: str, days: int) -> Saved:
        """Change the PPR's dispute window."""
        return self._change_ppr(ppr_code, lambda ppr: ppr.change_dispute_window(actor, days))

    def change_priority_support_threshold(
        self, actor: Actor, ppr_code: str, supports: int
    ) -> Saved:
        """Change how many supports make a case a community priority in this PPR."""
        return self._change_ppr(
            ppr_code, lambda ppr: ppr.change_priority_support_threshold(actor, supports)
        )

    def get_ppr(self, code: str) -> Ppr:
        """The PPR with this code."""
        try:
            ppr: Ppr = self.repository.get(ppr_id(code))
        except AggregateNotFoundError as error:
            raise NotFound("no PPR with code {code!r}", code=code) from error
        assert isinstance(ppr, Ppr)
        return ppr

    def _change_ppr(self, code: str, change: Callable[[Ppr], None]) -> Saved:
        ppr = self.get_ppr(code)
        change(ppr)
        try:
            self.save(ppr)
        except IntegrityError as error:
            raise ConcurrentChange(
                "PPR {ppr} was changed at the same time; try again", ppr=code
            ) from error
        return Saved(ppr.id, ppr.version)

    # -- cases ---------------------------------------------------------------------------------

    def report_case(
        self,
        actor: Actor,
        *,
        ppr_code: str,
        location: Location,
        category_code: str,
        title: str,
        description: str,
        channel: Channel,
        anonymous: bool = False,
        private: bool = False,
        occurred_at: datetime | None = None,
        case_id: UUID | None = None,
        photos: Sequence[PhotoRef] = (),
    ) -> Saved:
        """Report a problem in a PPR. ``case_id`` makes a retried report land on the same case.

        ``photos`` (stored already, at most ``REPORT_PHOTOS_MAX``) are attached in the same save
        as the report: a case never exists with only some of the photos it was reported with.
        The same photo given twice is attached once.
        """
        unique = list({photo.sha256: photo for photo in photos}.values())
        if len(unique) > REPORT_PHOTOS_MAX:
            raise InvalidValue(
                "photos", "a report carries at most {most} photos", most=REPORT_PHOTOS_MAX
            )
        for photo in unique:
            photo.validate()
        try:
            ppr = self.get_ppr(ppr_code)
        except NotFound as error:
            raise InvalidValue("ppr", "no PPR with code {code!r}", code=ppr_code) from error
        ppr.require_block(location.block)
        ppr.require_category(category_code)
        case = Case.report(
            actor,
            ppr_code=ppr.code,
            location=location,
            category_code=category_code,
            title=title,
            description=description,
            channel=channel,
            anonymous=anonymous,
            private=private,
            occurred_at=occurred_at,
            case_id=case_id,
        )
        for photo in unique:
            # A backfilled report's photos are dated with it; a live one's are dated now.
            case.attach_photo(actor, photo, occurred_at)
        try:
            self.save(case)
        except IntegrityError as error:
            raise AlreadyExists("case {case} exists already", case=case.id) from error
        return Saved(case.id, case.version, case)

    def get_case(self, case_id: UUID, version: int | None = None) -> Case:
        """The case (optionally as it was at an earlier version)."""
        try:
            case: Case = self.repository.get(case_id, version=version)
        except AggregateNotFoundError as error:
            raise NotFound("no case {case}", case=case_id) from error
        if not isinstance(case, Case):
            raise NotFound("no case {case}", case=case_id)
        return case

    def get_case_as_of(self, case_id: UUID, moment: datetime) -> Case:
        """The case as it stood at ``moment``: replayed from the events that had happened by then.

        A case's events never go back in ``occurred_at`` (backfills may not precede the previous
        event), so the events up to ``moment`` are a prefix of its history.
        """
        version = None
        for stored in self.events.get(case_id):
            if stored.occurred_at > moment:  # type: ignore[attr-defined]
                break
            version = stored.originator_version
        if version is None:
            raise NotFound(
                "case {case} had not been reported by {moment}",
                case=case_id,
                moment=moment.isoformat(),
            )
        return self.get_case(case_id, version=version)

    def acknowledge_case(
        self,
        actor: Actor,
        case_id: UUID,
        *,
        note: str | None = None,
        occurred_at: datetime | None = None,
        expected_version: int | None = None,
    ) -> Saved:
        """Management acknowledges a reported case."""
        return self._change_case(
            case_id, expected_version, lambda case: case.acknowledge(actor, note, occurred_at)
        )

    def recategorise_case(
        self,
        actor: Actor,
        case_id: UUID,
        *,
        category_code: str,
        reason: str | None = None,
        occurred_at: datetime | None = None,
        expected_version: int | None = None,
    ) -> Saved:
        """Move a case to another category of its PPR."""

        def change(case: Case) -> None:
            self.get_ppr(case.ppr_code).require_category(category_code)
            case.recategorise(actor, category_code, reason, occurred_at)

        return self._change_case(case_id, expected_version, change)

    def assign_case(
        self,
        actor: Actor,
        case_id: UUID,
        *,
        to: Party,
        assignee: str | None = None,
        note: str | None = None,
        occurred_at: datetime | None = None,
        expected_version: int | None = None,
    ) -> Saved:
        """Assign the work on a case."""
        return self._change_case(
            case_id,
            expected_version,
            lambda case: case.assign(actor, to, assignee, note, occurred_at),
        )

    def respond_to_case(
        self,
        actor: Actor,
        case_id: UUID,
        *,
        message: str,
        commitment_date: date | None = None,
        occurred_at: datetime | None = None,
        expected_version: int | None = None,
    ) -> Saved:
        """Management's public response, optionally with a commitment date."""
        return self._change_case(
            case_id,
            expected_version,
            lambda case: case.respond(actor, message, commitment_date, occurred_at),
        )

    def resolve_case(
        self,
        actor: Actor,
        case_id: UUID,
        *,
        note: str,
        occurred_at: datetime | None = None,
        expected_version: int | None = None,
    ) -> Saved:
        """Claim a case fixed."""
        return self._change_case(
            case_id, expected_version, lambda case: case.resolve(actor, note, occurred_at)
        )

    def confirm_resolution(
        self,
        actor: Actor,
        case_id: UUID,
        *,
        rating: int,
        comment: str | None = None,
        occurred_at: datetime | None = None,
        expected_version: int | None = None,
    ) -> Saved:
        """The reporter confirms the fix."""
        return self._change_case(
            case_id,
            expected_version,
            lambda case: case.confirm(actor, rating, comment, occurred_at),
        )

    def dispute_resolution(
        self,
        actor: Actor,
        case_id: UUID,
        *,
        reason: str,
        occurred_at: datetime | None = None,
        expected_version: int | None = None,
    ) -> Saved:
        """The reporter disputes the fix; the case reopens."""

        def change(case: Case) -> None:
            window = self.get_ppr(case.ppr_code).dispute_window_days
            case.dispute(actor, reason, window, occurred_at)

        return self._change_case(case_id, expected_version, change)

    def close_case(
        self,
        actor: Actor,
        case_id: UUID,
        *,
        occurred_at: datetime | None = None,
        expected_version: int | None = None,
    ) -> Saved:
        """Close a resolved case after its dispute window."""

        def change(case: Case) -> None:
            window = self.get_ppr(case.ppr_code).dispute_window_days
            case.close(actor, window, occurred_at)

        return self._change_case(case_id, expected_version, change)

    def decide_no_further_action(
        self,
        actor: Actor,
        case_id: UUID,
        *,
        reason: str,
        occurred_at: datetime | None = None,
        expected_version: int | None = None,
    ) -> Saved:
        """End a case without a fix, with a reason."""
        return self._change_case(
            case_id,
            expected_version,
            lambda case: case.decide_no_further_action(actor, reason, occurred_at),
        )

    def mark_duplicate(
        self,
        actor: Actor,
        case_id: UUID,
        *,
        duplicate_of: UUID,
        occurred_at: datetime | None = None,
        expected_version: int | None = None,
    ) -> Saved:
        """Mark a case as a duplicate of another case in the same PPR."""

        def change(case: Case) -> None:
            try:
                original = self.get_case(duplicate_of)
            except NotFound as error:
                raise InvalidValue("duplicate_of", "no case {case}", case=duplicate_of) from error
            case.mark_duplicate(actor, original, occurred_at)

        return self._change_case(case_id, expected_version, change)

    def withdraw_case(
        self,
        actor: Actor,
        case_id: UUID,
        *,
        reason: str | None = None,
        occurred_at: datetime | None = None,
        expected_version: int | None = None,
    ) -> Saved:
        """The reporter withdraws the case."""
        return self._change_case(
            case_id, expected_version, lambda case: case.withdraw(actor, reason, occurred_at)
        )

    def comment_on_case(
        self,
        actor: Actor,
        case_id: UUID,
        *,
        text: str,
        internal: bool = False,
        occurred_at: datetime | None = None,
        expected_version: int | None = None,
    ) -> Saved:
        """Add a comment; retried on a concurrent change because a comment never depends on state."""
        return self._change_case(
            case_id,
            expected_version,
            lambda case: case.add_comment(actor, text, internal, occurred_at),
            safe_to_retry=True,
        )

    def attach_photo(
        self,
        actor: Actor,
        case_id: UUID,
        *,
        photo: PhotoRef,
        occurred_at: datetime | None = None,
        expected_version: int | None = None,
    ) -> Saved:
        """Attach a stored photo to a case; retried on a concurrent change (the limits are re-checked)."""
        return self._change_case(
            case_id,
            expected_version,
            lambda case: case.attach_photo(actor, photo, occurred_at),
            safe_to_retry=True,
        )

    def designate_priority(
        self,
        actor: Actor,
        case_id: UUID,
        *,
        reason: str,
        occurred_at: datetime | None = None,
        expected_version: int | None = None,
    ) -> Saved:
        """The committee designates a case a community priority."""
        return self._change_case(
            case_id,
            expected_version,
            lambda case: case.designate_priority(actor, reason, occurred_at),
        )

    def support_case(
        self,
        actor: Actor,
        case_id: UUID,
        *,
        occurred_at: datetime | None = None,
        expected_version: int | None = None,
    ) -> Saved:
        """A resident supports a case; retried on a concurrent change (the rules are re-checked)."""
        return self._change_case(
            case_id,
            expected_version,
            lambda case: case.support(actor, occurred_at),
            safe_to_retry=True,
        )

    def sla_clock(self, case_id: UUID, target: SlaTarget) -> SlaClock | None:
        """The case's clock for ``target`` now, from its events and its PPR's current targets."""
        events = list(self.events.get(case_id))
        if not events or not isinstance(events[0], Case.Event):
            raise NotFound("no case {case}", case=case_id)
        case_milestones = milestones(events)
        category = self.get_ppr(case_milestones.ppr_code).categories.get(
            case_milestones.category_code
        )
        return clock_for(target, case_milestones, category["sla"] if category else None)

    def record_sla_breach(self, case_id: UUID, target: SlaTarget) -> Saved | None:
        """Record, once, that the case missed ``target``; None when it has not (or not yet)."""
        clock = self.sla_clock(case_id, target)
        if clock is None or not clock.breached(clock_now()):
            return None
        hours = round((clock.due_at - clock.reported_at).total_seconds() / 3600)

        def change(case: Case) -> None:
            case.record_sla_breach(Actor.system(), target.value, clock.due_at, hours)

        try:
            return self._change_case(case_id, None, change, safe_to_retry=True)
        except IllegalTransition:
            return None  # recorded already (by an earlier run of the same check)

    def _change_case(
        self,
        case_id: UUID,
        expected_version: int | None,
        change: Callable[[Case], None],
        *,
        safe_to_retry: bool = False,
    ) -> Saved:
        """Load, check the expected version, apply one command and save.

        A save that loses a race writes nothing. Commands whose outcome cannot depend on what the
        other writer did (a comment, a "me too" that is re-validated) are retried on fresh state;
        the others are refused so the caller can look at the case again. With an explicit expected
        version there is no retry: the caller asked for exactly that version.
        """
        attempts = SAFE_RETRY_ATTEMPTS if safe_to_retry and expected_version is None else 1
        for attempt in range(attempts):
            case = self.get_case(case_id)
            if expected_version is not None and case.version != expected_version:
                raise VersionMismatch(expected_version, case.version)
            change(case)
            try:
                self.save(case)
            except IntegrityError as error:
                if expected_version is not None:
                    # The version the caller named stopped being current while we worked.
                    raise VersionMismatch(expected_version) from error
                if attempt + 1 >= attempts:
                    break
                time.sleep(random.uniform(0, 0.002 * (attempt + 1)))
                continue
            return Saved(case.id, case.version, case)
        raise ConcurrentChange(
            "case {case} was changed at the same time; reload it and try again", case=case_id
        )
