"""Server-rendered pages for residents, committee, management and auditors.

Plain HTML forms that work without JavaScript (a little script only adds comfort), laid out for a
360 px phone first, in Bahasa Malaysia with English one tap away. Pages call the same application
methods and read the same read models as the API; they only add sessions (an HTTP-only cookie
instead of a bearer token) and CSRF protection on every form.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

from flask import Flask, Response, request
from flask_babel import Babel
from flask_wtf.csrf import CSRFProtect

from service.web.i18n import DEFAULT_LANGUAGE, FILTERS, GLOBALS, current_language
from service.web.session import RESIDENT_SESSION

WEB_DIR = Path(__file__).parent
babel = Babel()
csrf = CSRFProtect()

#: What a page may load: only this service's own styles, scripts and images (photos included).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def _session_key(secrets_key: str) -> bytes:
    # Its own key, derived from the one secret: a leaked cookie key says nothing about the seal.
    return hmac.new(secrets_key.encode(), b"k2k web session cookies", hashlib.sha256).digest()


def _page_headers(response: Response) -> Response:
    if request.blueprint and request.blueprint.startswith("web_"):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        # Pages show personal cases: no shared cache may keep them.
        response.headers.setdefault("Cache-Control", "private, no-store")
        response.vary.add("Cookie")
    return response


def init_app(app: Flask) -> None:
    """Register the pages, their sessions, CSRF protection and languages on ``app``."""
    from service.web.cases.routes import blp as cases_blp
    from service.web.dashboards.routes import blp as dashboards_blp
    from service.web.errors import error_page
    from service.web.governance.routes import blp as governance_blp
    from service.web.pages.routes import blp as pages_blp
    from service.web.signin.routes import blp as signin_blp
    from service.web.work.routes import blp as work_blp

    settings = app.extensions["k2k"].settings
    secure = settings.public_url.startswith("https://")
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _session_key(settings.secrets_key)
    app.config.update(
        # "__Host-" makes the browser refuse the cookie unless it is Secure, host-only and for /.
        SESSION_COOKIE_NAME="__Host-k2k" if secure else "k2k",
        SESSION_COOKIE_SECURE=secure,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=RESIDENT_SESSION,
        # Forms are checked by the web blueprints themselves; the bearer-token API has no cookies
        # to ride on, so it needs no CSRF token.
        WTF_CSRF_CHECK_DEFAULT=False,
        # A resident may leave a half-written report open for hours: the token lives as long as
        # the session, not an hour.
        WTF_CSRF_TIME_LIMIT=None,
        WTF_CSRF_SSL_STRICT=secure,
        BABEL_DEFAULT_LOCALE=DEFAULT_LANGUAGE,
        BABEL_DEFAULT_TIMEZONE="Asia/Kuala_Lumpur",
        BABEL_TRANSLATION_DIRECTORIES=str(WEB_DIR / "translations"),
    )
    babel.init_app(app, locale_selector=current_language)
    csrf.init_app(app)
    app.jinja_env.filters.update(FILTERS)
    app.jinja_env.globals.update(GLOBALS)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    for blueprint in (pages_blp, signin_blp, cases_blp, work_blp, governance_blp, dashboards_blp):
        app.register_blueprint(blueprint)
    app.after_request(_page_headers)
    app.extensions["k2k-error-page"] = error_page
