"""A person using the web pages through the Flask client: their own cookies, forms with CSRF."""

from __future__ import annotations

import html
import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.e2e.conftest import Caller

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_TAG = re.compile(r"<[^>]+>")
_SCRIPT = re.compile(r"<(script|style)\b.*?</\1>", re.S)


def text_of(page: TestResponse | str) -> str:
    """What a person reads on the page: the text without tags, spaces collapsed."""
    body = page if isinstance(page, str) else page.get_data(as_text=True)
    body = _SCRIPT.sub(" ", body)
    return " ".join(html.unescape(_TAG.sub(" ", body)).split())


class Visitor:
    """One browser: a cookie jar, and forms filled in the way the pages offer them."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.client: FlaskClient = app.test_client()
        self._csrf: str | None = None

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        """Open a page; remembers the page's CSRF token for the next form."""
        response = self.client.get(path, **kwargs)
        if response.mimetype != "text/html":
            return response  # a photo, a CSV: no form on it
        found = _CSRF.search(response.get_data(as_text=True))
        if found:
            self._csrf = html.unescape(found.group(1))
        return response

    def post(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> TestResponse:
        """Submit a form with the CSRF token of the last page opened (which must have had one)."""
        if self._csrf is None:
            self.get("/signin")
        form = {"csrf_token": self._csrf, **(data or {})}
        return self.client.post(path, data=form, **kwargs)

    def follow(self, response: TestResponse) -> TestResponse:
        """Go where a redirect points."""
        assert response.status_code in (302, 303), (response.status_code, text_of(response))
        return self.get(response.headers["Location"])

    def sign_in_with_token(self, token: str) -> TestResponse:
        """Sign in with an API token from the sign-in page; returns the page landed on."""
        self.get("/signin")
        response = self.post("/signin/token", {"token": token, "next": "/"})
        return self.follow(response)

    def switch_language(self, code: str) -> None:
        """Tap the language switch."""
        assert self.client.get(f"/language/{code}?next=/").status_code == 303


def signed_in(app: Flask, caller: Caller) -> Visitor:
    """A browser signed in with ``caller``'s token."""
    visitor = Visitor(app)
    page = visitor.sign_in_with_token(str(caller.token))
    assert page.status_code == 200
    return visitor


def in_english(app: Flask, caller: Caller) -> Visitor:
    """A browser signed in with ``caller``'s token, reading the pages in English."""
    visitor = signed_in(app, caller)
    visitor.switch_language("en")
    return visitor


def version_on(page: TestResponse) -> str:
    """The version a page's forms carry."""
    found = re.search(r'name="version" value="(\d+)"', page.get_data(as_text=True))
    assert found, text_of(page)
    return found.group(1)
