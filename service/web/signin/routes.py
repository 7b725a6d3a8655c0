"""Sign in with a one-time code (email or SMS) or an API token; sign out."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import flash, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from domain.actors import Role
from domain.errors import InvalidValue
from service.extensions import runtime
from service.tokens.store import authenticate
from service.web.common import form_errors, load_form, safe_next, web_blueprint
from service.web.i18n import current_language, gettext
from service.web.session import person_principal, sign_in, sign_out
from service.web.signin import schemas
from service.web.signin.codes import (
    MAX_GUESSES,
    CodeRejected,
    TooManyCodes,
    parse_address,
    request_code,
    verify_code,
)
from workers.kinds import Channel

blp = web_blueprint("signin", __name__, url_prefix="/signin")

ADDRESS_FORM = schemas.AddressFormSchema()
CODE_FORM = schemas.CodeFormSchema()
TOKEN_FORM = schemas.TokenFormSchema()
CHOOSE_FORM = schemas.ChooseFormSchema()


def _start_page(status: int = 200, **context: Any) -> tuple[str, int]:
    settings = runtime().settings
    channels = set(runtime().notifier.senders)
    context.setdefault("next", safe_next(request.values.get("next")))
    return (
        render_template(
            "web/signin.html",
            email_ready=Channel.EMAIL in channels,
            sms_ready=Channel.SMS in channels,
            outbox_dir=settings.outbox_dir if settings.embedded else None,
            **context,
        ),
        status,
    )


@blp.get("")
def start() -> tuple[str, int]:
    """Ask for an email address or phone number (or a token)."""
    return _start_page()


@blp.post("/code")
def send_code() -> tuple[str, int] | Response:
    """Send a code to the address given (if it is registered; the page never says)."""
    try:
        form = load_form(ADDRESS_FORM)
        address = parse_address(form["address"])
    except ma.ValidationError as error:
        return _start_page(422, errors=form_errors(error), address=request.form.get("address"))
    except InvalidValue:
        message = (
            gettext("This is not an email address.")
            if "@" in form["address"]
            else gettext("Enter an email address or a phone number such as 012-345 6789.")
        )
        return _start_page(422, errors={"address": [message]}, address=request.form.get("address"))
    try:
        code_id = request_code(
            runtime(), address, request.remote_addr or "unknown", current_language()
        )
    except TooManyCodes as error:
        minutes = max(1, (error.retry_after + 59) // 60)
        message = gettext(
            "Too many codes were asked for. Try again in %(minutes)d minutes.", minutes=minutes
        )
        page, _ = _start_page(429, errors={"address": [message]}, address=form["address"])
        return Response(page, status=429, headers={"Retry-After": str(error.retry_after)})
    session["code_id"] = code_id
    session["code_to"] = address.masked
    session["code_channel"] = address.channel.value
    session["next"] = safe_next(form["next"])
    return redirect(url_for("web_signin.enter_code"), code=303)


def _code_page(status: int = 200, **context: Any) -> tuple[str, int]:
    return (
        render_template(
            "web/signin_code.html",
            sent_to=session.get("code_to"),
            channel=session.get("code_channel"),
            outbox_dir=runtime().settings.outbox_dir if runtime().settings.embedded else None,
            **context,
        ),
        status,
    )


@blp.get("/code")
def enter_code() -> tuple[str, int] | Response:
    """The form for the code that was sent."""
    if not session.get("code_id"):
        return redirect(url_for("web_signin.start"), code=303)
    return _code_page()


@blp.post("/code/check")
def check_code() -> tuple[str, int] | Response:
    """Check the code; sign in (or ask who, when several people share the address)."""
    code_id = session.get("code_id")
    if not code_id:
        return redirect(url_for("web_signin.start"), code=303)
    try:
        form = load_form(CODE_FORM)
    except ma.ValidationError as error:
        return _code_page(422, errors=form_errors(error))
    try:
        principal_ids = verify_code(runtime(), code_id, form["code"])
    except CodeRejected as error:
        if error.reason == "wrong":
            message = gettext("That code is not right. Check the message and try again.")
            return _code_page(422, errors={"code": [message]})
        session.pop("code_id", None)
        flash(
            gettext("That code has expired or was used. Ask for a new one.")
            if error.reason == "expired"
            else gettext(
                "That code was guessed wrong %(count)d times and no longer works. Ask for a new one.",
                count=MAX_GUESSES,
            ),
            "error",
        )
        return redirect(url_for("web_signin.start"), code=303)
    session.pop("code_id", None)
    if len(principal_ids) > 1:
        session["choose_from"] = principal_ids
        return redirect(url_for("web_signin.choose"), code=303)
    return _signed_in_as(principal_ids[0])


def _signed_in_as(principal_id: str) -> Response:
    target = safe_next(session.pop("next", None))
    principal = person_principal(principal_id)
    if principal is None:
        flash(gettext("This account cannot sign in to the web pages."), "error")
        return redirect(url_for("web_signin.start"), code=303)
    sign_in(principal, via="code")
    flash(gettext("Welcome, %(name)s.", name=principal.name), "ok")
    return redirect(target, code=303)


@blp.route("/choose", methods=["GET", "POST"])
def choose() -> tuple[str, int] | Response:
    """Several people are registered under one phone or address: which one is this?"""
    candidates = session.get("choose_from") or []
    if not candidates:
        return redirect(url_for("web_signin.start"), code=303)
    if request.method == "POST":
        try:
            chosen = load_form(CHOOSE_FORM)["principal_id"]
        except ma.ValidationError:
            chosen = None
        if chosen in candidates:
            session.pop("choose_from", None)
            return _signed_in_as(chosen)
    people = [p for p in (person_principal(each) for each in candidates) if p is not None]
    return render_template("web/signin_choose.html", people=people), 200


@blp.post("/token")
def with_token() -> tuple[str, int] | Response:
    """Sign in with an API token (staff accounts and the demo's printed tokens)."""
    try:
        form = load_form(TOKEN_FORM)
    except ma.ValidationError as error:
        return _start_page(422, token_errors=form_errors(error))
    principal = authenticate(runtime().engine, form["token"].strip())
    if principal is None:
        message = gettext("This token is unknown or was revoked.")
        return _start_page(422, token_errors={"token": [message]})
    if principal.role in (Role.INTEGRATION, Role.SYSTEM):
        message = gettext("Integration tokens are for the API, not for the web pages.")
        return _start_page(422, token_errors={"token": [message]})
    sign_in(principal, via="token")
    flash(gettext("Welcome, %(name)s.", name=principal.name), "ok")
    return redirect(safe_next(form["next"]), code=303)


@blp.post("/out")
def out() -> Response:
    """Sign out on this device."""
    sign_out()
    flash(gettext("You are signed out."), "ok")
    return redirect(url_for("web_pages.home"), code=303)
