"""Signing in with a one-time code sent to a registered email address or phone number."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy import func, select, update

from domain.actors import Role
from service import create_app
from service.settings import Settings
from service.tables import sign_in_codes
from service.web.signin.codes import CODES_PER_REQUESTER
from tests.e2e.conftest import Caller, Cast
from tests.e2e.web import Visitor, text_of
from workers.people import update_person
from workers.tables import messages


def register(cast: Cast, caller: Caller, **contact: str) -> None:
    """Give a person an email address or phone number, as an admin or the person would."""
    update_person(cast.runtime.engine, caller.principal_id, **contact)


def code_sent_to(cast: Cast, caller: Caller) -> str:
    """The newest sign-in code in ``caller``'s outbox, read as they would read it."""
    response = caller.get("/api/v1/notifications")
    assert response.status_code == 200
    codes = [item for item in response.json["items"] if item["kind"] == "sign_in.code"]
    assert codes, "no sign-in code in the outbox"
    found = re.search(r"\b(\d{6})\b", codes[0]["body"])
    assert found
    return found.group(1)


def one_code_or_none(cast: Cast, caller: Caller) -> str | None:
    """The sign-in code in ``caller``'s outbox, or None when they got none."""
    items = caller.get("/api/v1/notifications").json["items"]
    return code_sent_to(cast, caller) if any(i["kind"] == "sign_in.code" for i in items) else None


def ask_for_a_code(app: Flask, address: str) -> Visitor:
    visitor = Visitor(app)
    visitor.switch_language("en")
    visitor.get("/signin")
    response = visitor.post("/signin/code", {"address": address, "next": "/report"})
    assert response.status_code == 303, text_of(response)
    return visitor


def sign_in_codes_in_messages(cast: Cast) -> int:
    with cast.runtime.engine.connect() as conn:
        return int(
            conn.execute(select(func.count()).where(messages.c.kind == "sign_in.code")).scalar_one()
        )


def test_a_resident_signs_in_with_the_code_sent_to_her_email(app: Flask, cast: Cast) -> None:
    register(cast, cast.resident, email="aminah@example.my")
    visitor = ask_for_a_code(app, "Aminah@Example.MY")
    page = visitor.get("/signin/code")
    assert "If a\u2022\u2022\u2022@example.my is registered" in text_of(page)
    code = code_sent_to(cast, cast.resident)
    response = visitor.post("/signin/code/check", {"code": code})
    assert response.headers["Location"] == "/report"
    assert "Report a problem" in text_of(visitor.get("/report"))


def test_a_code_sent_by_sms_accepts_a_local_phone_number(app: Flask, cast: Cast) -> None:
    register(cast, cast.neighbour, phone="+60123456789")
    visitor = ask_for_a_code(app, "012-345 6789")
    code = code_sent_to(cast, cast.neighbour)
    response = visitor.post("/signin/code/check", {"code": f"{code[:3]} {code[3:]}"})
    assert response.status_code == 303
    assert "Hello, Encik Lim" in text_of(
        visitor.follow(visitor.get("/")) if False else visitor.get("/")
    )


def test_a_code_works_only_once(app: Flask, cast: Cast) -> None:
    register(cast, cast.resident, email="aminah@example.my")
    visitor = ask_for_a_code(app, "aminah@example.my")
    code = code_sent_to(cast, cast.resident)
    with visitor.client.session_transaction() as session:
        pending = session["code_id"]
    assert visitor.post("/signin/code/check", {"code": code}).status_code == 303
    replay = Visitor(app)
    with replay.client.session_transaction() as session:
        session["code_id"] = pending
    replay.get("/signin/code")
    response = replay.post("/signin/code/check", {"code": code})
    assert response.headers["Location"] == "/signin"
    assert replay.get("/report").status_code == 302


def test_five_wrong_guesses_spend_the_code_even_for_the_right_one(app: Flask, cast: Cast) -> None:
    register(cast, cast.resident, email="aminah@example.my")
    visitor = ask_for_a_code(app, "aminah@example.my")
    code = code_sent_to(cast, cast.resident)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(4):
        visitor.get("/signin/code")
        response = visitor.post("/signin/code/check", {"code": wrong})
        assert response.status_code == 422
        assert "That code is not right" in text_of(response)
    visitor.get("/signin/code")
    locked = visitor.post("/signin/code/check", {"code": wrong})
    assert locked.headers["Location"] == "/signin"
    assert "guessed wrong 5 times" in text_of(visitor.get("/signin"))
    with cast.runtime.engine.connect() as conn:
        attempts = conn.execute(select(sign_in_codes.c.attempts)).scalars().all()
    assert attempts == [5]
    assert visitor.get("/report").status_code == 302


def test_an_expired_code_is_refused(app: Flask, cast: Cast) -> None:
    register(cast, cast.resident, email="aminah@example.my")
    visitor = ask_for_a_code(app, "aminah@example.my")
    code = code_sent_to(cast, cast.resident)
    with cast.runtime.engine.begin() as conn:
        conn.execute(
            update(sign_in_codes).values(expires_at=datetime.now(tz=UTC) - timedelta(seconds=1))
        )
    visitor.get("/signin/code")
    response = visitor.post("/signin/code/check", {"code": code})
    assert response.headers["Location"] == "/signin"
    assert "expired or was used" in text_of(visitor.get("/signin"))


def test_asking_for_an_unregistered_address_reads_the_same_and_sends_nothing(
    app: Flask, cast: Cast
) -> None:
    register(cast, cast.resident, email="aminah@example.my")
    known = text_of(ask_for_a_code(app, "aminah@example.my").get("/signin/code"))
    before = sign_in_codes_in_messages(cast)
    unknown = text_of(ask_for_a_code(app, "nobody@example.my").get("/signin/code"))
    assert sign_in_codes_in_messages(cast) == before
    assert known.replace("a\u2022\u2022\u2022", "n\u2022\u2022\u2022") == unknown


def test_codes_for_one_address_are_rate_limited(app: Flask, cast: Cast) -> None:
    register(cast, cast.resident, email="aminah@example.my")
    for _ in range(3):
        ask_for_a_code(app, "aminah@example.my")
    visitor = Visitor(app)
    visitor.switch_language("en")
    visitor.get("/signin")
    response = visitor.post("/signin/code", {"address": "aminah@example.my"})
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert "Too many codes were asked for" in text_of(response)
    assert sign_in_codes_in_messages(cast) == 3


def test_a_shared_phone_asks_who_is_signing_in(app: Flask, cast: Cast) -> None:
    husband = cast.caller(Role.RESIDENT, ["SRP"], "Encik Rahman")
    register(cast, cast.resident, phone="0198765432")
    register(cast, husband, phone="+60198765432")
    visitor = ask_for_a_code(app, "019-876 5432")
    # One SMS for the shared phone, addressed to the first person registered on it.
    outboxes = [one_code_or_none(cast, person) for person in (cast.resident, husband)]
    [code] = [each for each in outboxes if each is not None]
    response = visitor.post("/signin/code/check", {"code": code})
    assert response.headers["Location"] == "/signin/choose"
    page = visitor.get("/signin/choose")
    assert "Puan Aminah" in text_of(page)
    assert "Encik Rahman" in text_of(page)
    chosen = visitor.post("/signin/choose", {"principal_id": husband.principal_id})
    assert chosen.status_code == 303
    assert "Hello, Encik Rahman" in text_of(visitor.get("/"))


def test_a_code_sign_in_follows_a_role_change(app: Flask, cast: Cast) -> None:
    register(cast, cast.committee, email="setiausaha@example.my")
    visitor = ask_for_a_code(app, "setiausaha@example.my")
    visitor.post("/signin/code/check", {"code": code_sent_to(cast, cast.committee)})
    assert visitor.get("/ppr/SRP/board").status_code == 200
    update_person(cast.runtime.engine, cast.committee.principal_id, ppr_codes=["LSB"])
    assert visitor.get("/ppr/SRP/board").status_code == 404


def test_a_malformed_address_is_named_on_the_form(app: Flask) -> None:
    visitor = Visitor(app)
    visitor.switch_language("en")
    visitor.get("/signin")
    response = visitor.post("/signin/code", {"address": "not a phone"})
    assert response.status_code == 422
    assert "Enter an email address or a phone number" in text_of(response)


def test_behind_a_trusted_proxy_each_client_has_its_own_code_allowance(
    settings: Settings,
) -> None:
    app = create_app(
        {
            "K2K_DATABASE_URL": settings.database_url,
            "K2K_BACKGROUND": "0",
            "K2K_TRUSTED_PROXIES": "1",
            "TESTING": True,
        }
    )
    try:
        runtime = app.extensions["k2k"]
        for number in range(CODES_PER_REQUESTER):
            visitor = Visitor(app)
            visitor.get("/signin")
            response = visitor.post(
                "/signin/code",
                {"address": f"person{number}@example.my"},
                headers={"X-Forwarded-For": "198.51.100.7"},
            )
            assert response.status_code == 303
        blocked = Visitor(app)
        blocked.get("/signin")
        same_client = blocked.post(
            "/signin/code", {"address": "x@example.my"}, headers={"X-Forwarded-For": "198.51.100.7"}
        )
        assert same_client.status_code == 429
        other_client = blocked.post(
            "/signin/code", {"address": "x@example.my"}, headers={"X-Forwarded-For": "203.0.113.5"}
        )
        assert other_client.status_code == 303
    finally:
        runtime.close()
