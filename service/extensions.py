"""Objects attached to the Flask app by the factory, and accessors for request code."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_smorest import Api as SmorestApi

from service.errors import ProblemSchema
from service.runtime import Runtime


class Api(SmorestApi):  # type: ignore[misc]
    """flask-smorest's Api documenting problem+json as the error shape."""

    ERROR_SCHEMA = ProblemSchema
    DEFAULT_ERROR_RESPONSE_NAME = None

    def handle_http_exception(self, error: Any) -> Any:
        """Errors are rendered by ``service.errors``; this keeps flask-smorest's hook consistent."""
        from service.errors import http_exception_to_problem

        return http_exception_to_problem(error)


def runtime() -> Runtime:
    """The current app's runtime (event store, read models, projection runner)."""
    value = current_app.extensions["k2k"]
    assert isinstance(value, Runtime)
    return value


def api_of() -> Api:
    """The current app's API object (for its OpenAPI converter)."""
    value = current_app.extensions["k2k-api"]
    assert isinstance(value, Api)
    return value
