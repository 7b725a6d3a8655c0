"""``k2k audit export``: the event log as JSON Lines, every person pseudonymised as auditors see them."""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import json
import pkgutil
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from io import StringIO
from pathlib import Path
from typing import Any, TextIO
from uuid import UUID, uuid4

import pytest
from click.testing import CliRunner
from eventsourcing.domain import Aggregate

import domain
from domain.actors import Actor, Role
from domain.case import Channel, Location, Party
from domain.committee import AgeBand, CommitteeRole, Gender, Selection
from domain.decision import ActionBy, Answer
from domain.meeting import VoteMethod
from domain.survey import Audience
from service import create_app
from service.audit import export
from service.audit.export import (
    CONTACT_FIELDS,
    KEPT_IN_EVENT,
    LIBRARY_FIELDS,
    classify,
    export_command,
    export_log,
    pseudonym,
    value_pseudonym,
)
from service.cases.visibility import SERVICE_PRINCIPAL, Redactor
from service.demo import load_demo
from service.runtime import Runtime
from service.tokens.store import ALL_PPRS, Principal, issue_token
from tests.integration.scenario import ADMIN, MANAGER, PPR, manual_clock, register_ppr
from workers.people import update_person

HOME = "A-10-01"
NEIGHBOUR_HOME = "A-12-07"


@dataclass(frozen=True)
class Resident:
    """A resident as the source data knows them: token holder, name and contact points."""

    actor: Actor
    name: str
    phone: str
    email: str
    unit: str

    @property
    def id(self) -> str:
        """Their principal id."""
        return self.actor.principal_id


@dataclass
class Story:
    """What the scenario recorded: its people and the ids that matter."""

    aminah: Resident
    bala: Resident
    chong: Resident
    secretary: Resident
    member_names: list[str]
    first_report: UUID
    repeat_report: UUID
    anonymous_report: UUID
    meeting: UUID
    survey: UUID
    subscription: UUID
    fingerprint: str

    @property
    def residents(self) -> list[Resident]:
        """Everyone whose personal data the source holds."""
        return [self.aminah, self.bala, self.chong, self.secretary]


def _resident(
    runtime: Runtime, role: Role, name: str, phone: str, email: str, unit: str
) -> Resident:
    _, principal = issue_token(runtime.engine, runtime.app, role=role, name=name, ppr_codes=[PPR])
    update_person(runtime.engine, principal.principal_id, phone=phone, email=email)
    return Resident(principal.actor, name, phone, email, unit)


def tell_story(runtime: Runtime) -> Story:
    """A PPR's cases (one anonymous), its committee, a meeting, a decision, a survey, a webhook."""
    app = runtime.app
    with manual_clock() as clock:
        register_ppr(app)
        aminah = _resident(
            runtime, Role.RESIDENT, "Aminah binti Yusof", "+60123456701", "aminah@example.my", HOME
        )
        bala = _resident(
            runtime,
            Role.RESIDENT,
            "Bala a/l Krishnan",
            "+60123456702",
            "bala@example.my",
            "A-03-04",
        )
        chong = _resident(
            runtime,
            Role.RESIDENT,
            "Chong Mei Ling",
            "+60123456703",
            "chong@example.my",
            NEIGHBOUR_HOME,
        )
        secretary = _resident(
            runtime,
            Role.COMMITTEE,
            "Siti Rohani binti Ahmad",
            "+60123456704",
            "siti@example.my",
            "-",
        )
        committee = secretary.actor

        # Aminah reports the lift from her unit; Bala says "me too"; management fixes it and
        # Aminah confirms. A month later she reports again from the same unit.
        clock.advance(minutes=5)
        first = app.report_case(
            aminah.actor,
            ppr_code=PPR,
            location=Location(block="A", floor="10", unit=HOME),
            category_code="LIFT",
            title="Lif berhenti di tingkat 7",
            description="Pintu lif tidak terbuka, warga emas terpaksa naik tangga.",
            channel=Channel.APP,
        ).id
        clock.advance(minutes=10)
        app.support_case(bala.actor, first)
        app.comment_on_case(aminah.actor, first, text="Masih rosak pagi ini")
        clock.advance(hours=1)
        app.acknowledge_case(MANAGER, first, note="Diterima")
        app.assign_case(MANAGER, first, to=Party.CONTRACTOR, assignee="Syarikat Lif Jaya")
        app.comment_on_case(MANAGER, first, text="Invois kontraktor belum dibayar", internal=True)
        clock.advance(days=2)
        app.resolve_case(MANAGER, first, note="Motor diganti")
        clock.advance(hours=3)
        app.confirm_resolution(aminah.actor, first, rating=4, comment="Sudah baik")

        # Chong reports a leak anonymously, then comments on it; she stays unnamed.
        clock.advance(hours=1)
        anonymous = app.report_case(
            chong.actor,
            ppr_code=PPR,
            location=Location(block="A", floor="12", unit=NEIGHBOUR_HOME),
            category_code="WATER",
            title="Paip bocor di koridor",
            description="Air menitis dari siling sejak semalam.",
            channel=Channel.WHATSAPP,
            anonymous=True,
        ).id
        app.comment_on_case(chong.actor, anonymous, text="Makin teruk")
        app.acknowledge_case(MANAGER, anonymous)

        # The committee: the secretary and Aminah, who represents block A.
        app.establish_committee(
            committee, PPR, term_start=date(2025, 1, 1), term_end=date(2026, 12, 31)
        )
        app.appoint_member(
            committee,
            PPR,
            member_id=secretary.id,
            name=secretary.name,
            role=CommitteeRole.SECRETARY,
            selection=Selection.ELECTED,
            gender=Gender.FEMALE,
            age_band=AgeBand.FROM_45,
        )
        app.appoint_member(
            committee,
            PPR,
            member_id=aminah.id,
            name=aminah.name,
            role=CommitteeRole.BLOCK_REPRESENTATIVE,
            selection=Selection.APPOINTED,
            block="A",
        )

        # A meeting tables the leak; Bala and Chong sign the register; a decision follows.
        clock.advance(days=1)
        meeting = app.schedule_meeting(
            committee,
            PPR,
            scheduled_for=clock.now + timedelta(days=2),
            place="Dewan serbaguna",
            agenda=[("Paip bocor Blok A", [str(anonymous)])],
        ).id
        clock.advance(days=2)
        app.hold_meeting(
            committee,
            meeting,
            members_present=[secretary.id, aminah.id],
            residents_attending={"female/35-44": 3, "male/55-64": 2},
            resident_ids=[bala.id, chong.id],
            management_present=1,
        )
        app.record_motion(
            committee, meeting, item_number=1, text="Baiki paip", method=VoteMethod.CONSENSUS
        )
        decision = app.make_decision(
            committee,
            meeting,
            motion_number=1,
            text="Pengurusan membaiki paip koridor Blok A",
            case_ids=[str(anonymous)],
            action_by=ActionBy.MANAGEMENT,
            due_date=date(2025, 4, 30),
        ).id
        app.respond_to_decision(
            MANAGER, decision, answer=Answer.ACCEPT, commitment_date=date(2025, 4, 15)
        )

        clock.advance(days=30)
        repeat = app.report_case(
            aminah.actor,
            ppr_code=PPR,
            location=Location(block="A", floor="10", unit=HOME),
            category_code="WATER",
            title="Tekanan air lemah",
            description="Air paip sangat perlahan waktu pagi.",
            channel=Channel.WEB,
        ).id

        # A survey Bala answers, and a webhook subscription an integration asks for.
        survey = app.create_survey(
            ADMIN,
            title="Persepsi pengurusan bersama 2025-H1",
            ppr_codes=[PPR],
            audiences=[Audience.RESIDENTS],
            wave="2025-H1",
            period_start=date(2025, 1, 1),
            period_end=date(2025, 6, 30),
            items=[
                {
                    "code": "trust",
                    "text_ms": "Saya percaya jawatankuasa",
                    "text_en": "I trust the committee",
                    "scale": "likert_5",
                    "construct": "trust_in_committee",
                }
            ],
        ).id
        app.open_survey(ADMIN, survey)
        app.respond_to_survey(
            bala.actor,
            survey,
            audience=Audience.RESIDENTS,
            ppr_code=PPR,
            answers={"trust": 4},
            gender="male",
            block="A",
        )
        subscription = uuid4()
        fingerprint = "sha256:" + hashlib.sha256(b"a webhook secret").hexdigest()
        app.create_webhook_subscription(
            Actor("integration-open311", Role.INTEGRATION),
            subscription_id=subscription,
            url="https://aduan.example.my/k2k",
            event_types=["case.*"],
            ppr_codes=[PPR],
            description="Sistem aduan majlis",
            secret_fingerprint=fingerprint,
        )
    runtime.runner.catch_up()
    return Story(
        aminah=aminah,
        bala=bala,
        chong=chong,
        secretary=secretary,
        member_names=[secretary.name, aminah.name],
        first_report=first,
        repeat_report=repeat,
        anonymous_report=anonymous,
        meeting=meeting,
        survey=survey,
        subscription=subscription,
        fingerprint=fingerprint,
    )


def exported(runtime: Runtime, start: int = 0) -> str:
    """The export's text."""
    out = StringIO()
    export_log(runtime.app, out, runtime.settings.pseudonym_key, start=start)
    return out.getvalue()


def lines_of(text: str) -> list[dict[str, Any]]:
    """The export's lines, parsed."""
    return [json.loads(line) for line in text.splitlines()]


def lines_about(lines: list[dict[str, Any]], originator_id: UUID) -> list[dict[str, Any]]:
    """The lines of one aggregate."""
    return [line for line in lines if line["originator_id"] == str(originator_id)]


def everything(runtime: Runtime) -> list[Any]:
    """Every stored record of the log, in order."""
    return list(runtime.app.recorder.select_notifications(start=None, limit=100_000))


def stored_states(runtime: Runtime) -> dict[tuple[str, int], bytes]:
    """Each record's state bytes read from the event table itself, past the library."""
    table = runtime.app.recorder.events_table_name  # type: ignore[attr-defined]
    query = f"SELECT originator_id, originator_version, state FROM {table}"
    if runtime.settings.is_sqlite:
        import sqlite3

        path = runtime.settings.event_store_env()["SQLITE_DBNAME"]
        with sqlite3.connect(path) as conn:
            rows = conn.execute(query).fetchall()
    else:
        import psycopg

        with psycopg.connect(runtime.settings.database_url) as conn:
            rows = conn.execute(query).fetchall()
    return {(str(UUID(str(row[0]))), int(row[1])): bytes(row[2]) for row in rows}


def test_each_event_is_one_line_in_log_order_with_its_position_and_stored_digest(
    runtime: Runtime,
) -> None:
    tell_story(runtime)
    stored = everything(runtime)
    states = stored_states(runtime)

    lines = lines_of(exported(runtime))

    assert [line["position"] for line in lines] == [record.id for record in stored]
    for line, record in zip(lines, stored, strict=True):
        event = runtime.app.mapper.to_domain_event(record)
        assert line["originator_id"] == str(record.originator_id)
        assert line["version"] == record.originator_version
        assert line["topic"] == record.topic
        assert line["event"] == type(event).__name__
        assert line["aggregate"] == record.topic.split(":")[1].split(".")[0]
        # The digest of the bytes as stored (sealed), which the audit log's entries carry.
        state = states[(line["originator_id"], line["version"])]
        assert line["state_sha256"] == hashlib.sha256(state).hexdigest()
        recorded = datetime.fromisoformat(line["recorded_at"])
        assert recorded.utcoffset() is not None
        assert recorded == event.timestamp  # type: ignore[attr-defined]
        assert not LIBRARY_FIELDS & line["data"].keys()
    assert len(states) == len(lines)
    kinds = {(line["aggregate"], line["event"]) for line in lines}
    assert {
        ("Ppr", "Registered"),
        ("Case", "Reported"),
        ("Case", "Supported"),
        ("Committee", "MemberJoined"),
        ("Meeting", "Held"),
        ("Decision", "Made"),
        ("Survey", "Created"),
        ("SurveyResponse", "Submitted"),
        ("WebhookSubscription", "Created"),
    } <= kinds


def test_no_principal_id_name_phone_email_or_unit_from_the_source_appears_in_the_export(
    runtime: Runtime,
) -> None:
    story = tell_story(runtime)

    text = exported(runtime)

    for person in story.residents:
        for value in (person.id, person.name, person.phone, person.email):
            assert value not in text
    for unit in (HOME, NEIGHBOUR_HOME):
        assert unit not in text
    for principal in (MANAGER.principal_id, ADMIN.principal_id, "integration-open311"):
        assert f'"{principal}"' not in text
    # What is not about people is kept: places, free text, categories and the secret's fingerprint.
    assert "PPR Sri Aman" in text
    assert "Blok A" in text
    assert "Pintu lif tidak terbuka, warga emas terpaksa naik tangga." in text
    assert "Invois kontraktor belum dibayar" in text
    assert story.fingerprint in text


def test_one_person_has_one_pseudonym_in_every_event_and_aggregate(runtime: Runtime) -> None:
    story = tell_story(runtime)
    key = runtime.settings.pseudonym_key
    aminah, bala = pseudonym(key, story.aminah.id), pseudonym(key, story.bala.id)

    lines = lines_of(exported(runtime))

    first = {line["event"]: line["data"] for line in lines_about(lines, story.first_report)}
    comments = [
        line["data"]
        for line in lines_about(lines, story.first_report)
        if line["event"] == "CommentAdded"
    ]
    assert first["Reported"]["actor_id"] == aminah
    assert [comment["actor_id"] for comment in comments] == [
        aminah,
        pseudonym(key, MANAGER.principal_id),
    ]
    assert first["ResolutionConfirmed"]["actor_id"] == aminah
    assert first["Supported"]["actor_id"] == bala
    assert first["Acknowledged"]["actor_id"] == pseudonym(key, MANAGER.principal_id)
    assert first["Assigned"]["assignee"] == "Syarikat Lif Jaya"
    seats = [line["data"] for line in lines if line["event"] == "MemberJoined"]
    assert [seat["member_id"] for seat in seats] == [pseudonym(key, story.secretary.id), aminah]
    assert [seat["name"] for seat in seats] == [
        value_pseudonym(key, "name", name) for name in story.member_names
    ]
    assert seats[0]["actor_id"] == seats[0]["member_id"]  # the secretary seats herself
    (held,) = [
        line["data"] for line in lines_about(lines, story.meeting) if line["event"] == "Held"
    ]
    assert held["members_present"] == [pseudonym(key, story.secretary.id), aminah]
    assert held["resident_ids"] == [bala, pseudonym(key, story.chong.id)]
    assert held["residents_attending"] == {"female/35-44": 3, "male/55-64": 2}

    # One household, one unit pseudonym: repeat reports can be counted without the unit number.
    repeat = lines_about(lines, story.repeat_report)[0]["data"]
    assert repeat["unit"] == first["Reported"]["unit"] == value_pseudonym(key, "unit", HOME)
    assert repeat["block"] == "A"
    assert value_pseudonym(key, "unit", " a-10-01") == value_pseudonym(key, "unit", HOME)


def test_an_anonymous_reporter_is_not_shown_nor_their_unit(runtime: Runtime) -> None:
    story = tell_story(runtime)
    key = runtime.settings.pseudonym_key

    lines = lines_about(lines_of(exported(runtime)), story.anonymous_report)

    by_event = {line["event"]: line["data"] for line in lines}
    assert by_event["Reported"]["actor_id"] is None
    assert by_event["Reported"]["actor_role"] == "resident"
    assert by_event["Reported"]["unit"] is None
    assert by_event["CommentAdded"]["actor_id"] is None
    assert by_event["Acknowledged"]["actor_id"] == pseudonym(key, MANAGER.principal_id)
    # Nothing in the case's lines ties it to her (the meeting register shows her, as the API does).
    assert pseudonym(key, story.chong.id) not in json.dumps(lines)


def test_survey_responses_keep_their_keyed_id_and_webhooks_their_fingerprint(
    runtime: Runtime,
) -> None:
    story = tell_story(runtime)
    key = runtime.settings.pseudonym_key

    lines = lines_of(exported(runtime))

    response_id = runtime.app.response_id(story.survey, story.bala.id)
    (response,) = lines_about(lines, response_id)
    assert response["event"] == "Submitted"
    assert response["data"]["answers"] == {"trust": 4}
    assert not {"actor_id", "respondent_id"} & response["data"].keys()
    (subscription,) = lines_about(lines, story.subscription)
    assert subscription["data"]["secret_fingerprint"] == story.fingerprint
    assert subscription["data"]["owner_id"] == pseudonym(key, "integration-open311")
    assert subscription["data"]["url"] == "https://aduan.example.my/k2k"


def test_the_export_shows_every_person_as_the_auditors_api_does(runtime: Runtime) -> None:
    story = tell_story(runtime)
    lines = lines_of(exported(runtime))
    flask_app = create_app(
        {"K2K_DATABASE_URL": runtime.settings.database_url, "K2K_BACKGROUND": "0", "TESTING": True}
    )
    try:
        token, _ = issue_token(
            runtime.engine, runtime.app, role=Role.AUDITOR, name="Juruaudit", ppr_codes=[ALL_PPRS]
        )
        client = flask_app.test_client()
        headers = {"Authorization": f"Bearer {token}"}
        for case_id in (story.first_report, story.anonymous_report, story.repeat_report):
            response = client.get(f"/api/v1/cases/{case_id}/history", headers=headers)
            assert response.status_code == 200, response.json
            seen = {item["version"]: item["actor"]["id"] for item in response.json["items"]}
            shown = {
                line["version"]: line["data"]["actor_id"] for line in lines_about(lines, case_id)
            }
            assert shown == seen
        response = client.get(f"/api/v1/meetings/{story.meeting}", headers=headers)
        assert response.status_code == 200, response.json
        (held,) = [line for line in lines_about(lines, story.meeting) if line["event"] == "Held"]
        assert held["data"]["resident_ids"] == response.json["resident_ids"]
    finally:
        flask_app.extensions["k2k"].close()


@pytest.mark.parametrize("key", ["k2k-dev-pseudonym-key", "another key", "kunci-rahsia-ü"])
@pytest.mark.parametrize("principal_id", ["resident-3f9a0c1d2e4b", "committee-srp", "ü-1"])
def test_the_export_pseudonym_is_the_auditor_redactors(key: str, principal_id: str) -> None:
    auditor = Principal("auditor-1", "Juruaudit", Role.AUDITOR, (ALL_PPRS,))
    redactor = Redactor(auditor, reporter_id="", anonymous=False, pseudonym_key=key)

    assert pseudonym(key, principal_id) == redactor.pseudonym(principal_id)
    assert redactor.person(principal_id, "resident")["id"] == pseudonym(key, principal_id)
    assert pseudonym(key.encode(), principal_id) == pseudonym(key, principal_id)


def test_a_pseudonym_is_p_and_16_hex_of_the_keyed_hash_as_it_always_was() -> None:
    # Pinned: auditors compare pseudonyms across exports and API answers, so they never change.
    assert pseudonym("k2k-dev-pseudonym-key", "resident-3f9a0c1d2e4b") == "p-0fdfee9944879276"


def test_the_service_itself_is_not_pseudonymised() -> None:
    auditor = Principal("auditor-1", "Juruaudit", Role.AUDITOR, (ALL_PPRS,))
    redactor = Redactor(auditor, reporter_id="", anonymous=False, pseudonym_key="k")

    assert redactor.person(SERVICE_PRINCIPAL, "system")["id"] == SERVICE_PRINCIPAL == "system"
    scrubbed = export._Scrubber("k").fields("Case", "Closed", {"actor_id": SERVICE_PRINCIPAL}, None)
    assert scrubbed == {"actor_id": SERVICE_PRINCIPAL}


def test_since_resumes_after_a_position_with_the_lines_that_follow(runtime: Runtime) -> None:
    story = tell_story(runtime)
    whole = exported(runtime).splitlines()
    lines = lines_of("\n".join(whole))
    # Resume right after the anonymous report, so the export must look its reporter up.
    reported = next(
        line
        for line in lines
        if line["originator_id"] == str(story.anonymous_report) and line["event"] == "Reported"
    )
    cut = lines.index(reported) + 1

    tail = exported(runtime, start=reported["position"]).splitlines()

    assert tail == whole[cut:]  # her later comment is unnamed without its report in the batch
    assert exported(runtime, start=lines[-1]["position"]) == ""
    counted = export_log(runtime.app, StringIO(), "k", start=lines[cut]["position"])
    assert counted == len(whole) - cut - 1


def test_progress_is_told_each_batch(runtime: Runtime) -> None:
    tell_story(runtime)
    batches: list[int] = []

    count = export_log(runtime.app, StringIO(), "k", progress=batches.append, batch_size=7)

    assert sum(batches) == count == len(everything(runtime))
    assert set(batches[:-1]) == {7}


@pytest.fixture
def cli(runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A runner whose environment points the command at the runtime's storage."""
    monkeypatch.setenv("K2K_DATABASE_URL", runtime.settings.database_url)
    monkeypatch.setenv("K2K_DATA_DIR", str(tmp_path / "data"))
    return CliRunner()


def test_the_command_writes_the_same_lines_to_a_file_or_to_stdout_alone(
    runtime: Runtime, cli: CliRunner, tmp_path: Path
) -> None:
    tell_story(runtime)
    expected = exported(runtime)
    path = tmp_path / "log.jsonl"

    to_file = cli.invoke(export_command, ["--out", str(path)])
    to_stdout = cli.invoke(export_command, [])

    assert to_file.exit_code == 0, to_file.output
    assert path.read_text(encoding="utf-8") == expected
    assert to_file.stdout == ""
    assert f"exported {len(expected.splitlines())} event(s)" in to_file.stderr
    assert list(tmp_path.glob(".log.jsonl.*")) == []
    assert to_stdout.exit_code == 0, to_stdout.output
    assert to_stdout.stdout == expected
    assert "exported" in to_stdout.stderr


def test_the_command_resumes_since_a_position(
    runtime: Runtime, cli: CliRunner, tmp_path: Path
) -> None:
    tell_story(runtime)
    whole = exported(runtime).splitlines()
    since = json.loads(whole[9])["position"]

    result = cli.invoke(export_command, ["--since", str(since)])

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == whole[10:]
    assert f"after position {since}" in result.stderr


def test_a_failed_export_leaves_no_file_behind(
    runtime: Runtime, cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tell_story(runtime)
    path = tmp_path / "log.jsonl"

    def fails_half_way(app: Any, out: TextIO, key: str, **_: Any) -> int:
        out.write('{"position": 1}\n')
        raise RuntimeError("the database went away")

    monkeypatch.setattr(export, "export_log", fails_half_way)
    result = cli.invoke(export_command, ["--out", str(path)])

    assert result.exit_code != 0
    assert isinstance(result.exception, RuntimeError)
    assert not path.exists()
    assert not list(tmp_path.glob(".log.jsonl.*"))


def test_the_help_says_a_line_matches_an_audit_entry_by_its_notification_id() -> None:
    result = CliRunner().invoke(export_command, ["--help"])

    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert "Each line's position is the event's notification id" in text
    assert "use the entry's notification_id, not its index" in text


def test_the_command_refuses_a_file_in_a_directory_that_does_not_exist(tmp_path: Path) -> None:
    result = CliRunner().invoke(export_command, ["--out", str(tmp_path / "nowhere" / "log.jsonl")])

    assert result.exit_code == 1
    assert "is not a directory" in result.stderr


#: Fields that name people in the demo's events, listed here apart from the export's own tables.
DEMO_PEOPLE = ("actor_id", "member_id", "owner_id", "members_present", "resident_ids")


def leaves(value: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    """Every (field name, value) at the leaves of nested dicts and lists."""
    if isinstance(value, dict):
        for name, item in value.items():
            yield from leaves(item, name)
    elif isinstance(value, list):
        for item in value:
            yield from leaves(item, key)
    else:
        yield key, value


def test_a_small_demo_exports_no_principal_id_or_member_name(runtime: Runtime) -> None:
    load_demo(runtime, cases=15, seed=20261128, now=datetime(2026, 11, 28, 4, 0, tzinfo=UTC))
    people: set[str] = set()
    for record in everything(runtime):
        fields = vars(runtime.app.mapper.to_domain_event(record))
        for name in DEMO_PEOPLE:
            value = fields.get(name)
            people.update(value if isinstance(value, list) else [value] if value else [])
        if type(runtime.app.mapper.to_domain_event(record)).__name__ == "MemberJoined":
            people.add(fields["name"])
    people.discard("system")

    text = exported(runtime)

    lines = lines_of(text)
    assert len(people) > 20
    # The demo's admin is "admin", as is its role: compare values, leaving roles aside.
    shown = {value for line in lines for key, value in leaves(line["data"]) if "role" not in key}
    assert people.isdisjoint(shown)
    for value in people:
        if len(value) >= 10:  # an id such as resident-srp-001, even inside a text
            assert value not in text
    assert len(lines) == len(everything(runtime))
    units = [line["data"]["unit"] for line in lines if line["event"] == "Reported"]
    assert all(unit is None or unit.startswith("unit-") for unit in units)
    assert any(unit is not None for unit in units)


# -- the rules cover every field ---------------------------------------------------------------

#: Parts of a field's name that suggest it holds a person, a contact point or a household.
PERSONAL_LOOKING = re.compile(
    r"(^|_)(names?|phones?|mobile|emails?|contacts?|address|units?|ids?|members?|residents?"
    r"|owners?|reporters?|assignees?|actors?|persons?|people|principals?|attendees?|supporters?"
    r"|respondents?|nric|ic|gender|age|birth|signed|signatory|voters?)($|_)"
)


def event_classes() -> Iterator[type[Any]]:
    """Every event class of every aggregate in ``domain``."""
    for module in pkgutil.walk_packages(domain.__path__, "domain."):
        importlib.import_module(module.name)
    seen: set[type[Any]] = set()
    todo: list[type[Any]] = [Aggregate.Event]
    while todo:
        kind = todo.pop()
        for sub in kind.__subclasses__():
            if sub not in seen:
                seen.add(sub)
                todo.append(sub)
    for kind in sorted(seen, key=lambda each: (each.__module__, each.__qualname__)):
        if kind.__module__.startswith("domain.") and "." in kind.__qualname__:
            yield kind


def test_every_event_field_whose_name_looks_personal_is_classified() -> None:
    unclassified = []
    checked = 0
    for kind in event_classes():
        aggregate = kind.__qualname__.rsplit(".", 1)[0]
        for field in dataclasses.fields(kind):
            if field.name in LIBRARY_FIELDS:
                continue
            checked += 1
            if (
                PERSONAL_LOOKING.search(field.name)
                and classify(aggregate, kind.__name__, field.name) is None
            ):
                unclassified.append(f"{kind.__module__}:{kind.__qualname__}.{field.name}")

    assert checked > 150
    assert unclassified == [], (
        "decide in service/audit/export.py whether these hold people (PERSON_FIELDS), names or "
        "contact points (CONTACT_FIELDS) or neither (KEPT_FIELDS, KEPT_IN_EVENT)"
    )


def test_the_rules_name_fields_that_exist() -> None:
    fields = {
        (kind.__qualname__.rsplit(".", 1)[0], kind.__name__): {
            field.name for field in dataclasses.fields(kind)
        }
        for kind in event_classes()
    }

    for where, kept in KEPT_IN_EVENT.items():
        assert where in fields, where
        assert kept.keys() <= fields[where], where
    assert set(CONTACT_FIELDS.values()) == {"name", "phone", "email", "unit"}
    assert classify("Committee", "MemberJoined", "name") == "contact"
    assert classify("Ppr", "Registered", "name") == "kept"
    assert classify("Case", "Reported", "title") is None
