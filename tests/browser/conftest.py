"""Browser tests: headless Chromium (Debian's package) driven by Playwright against ``k2k serve``.

Playwright's own browser download is not used (and not reachable here): the tests launch the
system Chromium by path. Without it they skip on a laptop and fail under CI=true, where
``.ci/run`` installs it. Screenshots of the main pages go to ``var/test-artefacts/screenshots``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import IN_CI
from tests.processes import k2k_server

CHROMIUM = os.environ.get("K2K_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARTEFACTS = Path(os.environ.get("K2K_TEST_ARTEFACTS", "var/test-artefacts")).resolve()
#: A common small phone: the pages are designed for this width first.
PHONE = {"width": 360, "height": 740}
#: Chromium as root in a sandbox-less container, with nothing that calls home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

SLA = {"acknowledge_hours": 24, "first_response_hours": 48, "resolve_hours": 168}


def _chromium_missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the session."""
    reason = _chromium_missing()
    if reason:
        if IN_CI:
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@dataclass
class World:
    """A served K2K with one PPR, its people and their sign-in tokens."""

    url: str
    tokens: dict[str, str]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """``k2k serve`` (embedded mode) on a fresh data folder with PPR SRP set up through the API."""
    from domain.actors import Role
    from service import create_app
    from service.tokens.store import issue_token

    data = tmp_path_factory.mktemp("k2k-browser")
    env_settings = {"K2K_DATA_DIR": str(data), "K2K_BACKGROUND": "0"}
    app = create_app(env_settings)
    runtime = app.extensions["k2k"]
    admin_token, _ = issue_token(
        runtime.engine, runtime.app, role=Role.ADMIN, name="Admin", ppr_codes=["*"]
    )
    client = app.test_client()
    headers = {"Authorization": f"Bearer {admin_token}"}
    assert (
        client.post(
            "/api/v1/pprs", json={"code": "SRP", "name": "PPR Seri Pantai"}, headers=headers
        ).status_code
        == 201
    )
    for block in ("A", "B"):
        client.post(
            "/api/v1/pprs/SRP/blocks",
            json={"code": block, "name": f"Blok {block}", "floors": 17},
            headers=headers,
        )
    for code, ms, en in (("LIF", "Lif", "Lift"), ("AIR", "Bekalan air", "Water supply")):
        client.post(
            "/api/v1/pprs/SRP/categories",
            json={"code": code, "name_ms": ms, "name_en": en, "sla": SLA},
            headers=headers,
        )
    tokens = {"admin": admin_token}
    for key, role, name in (
        ("resident", Role.RESIDENT, "Puan Aminah"),
        ("neighbour", Role.RESIDENT, "Encik Lim"),
        ("management", Role.MANAGEMENT, "Pegawai DBKL"),
        ("committee", Role.COMMITTEE, "Setiausaha JKP"),
        ("auditor", Role.AUDITOR, "Juruaudit"),
    ):
        scope = ["*"] if role is Role.AUDITOR else ["SRP"]
        tokens[key], _ = issue_token(
            runtime.engine, runtime.app, role=role, name=name, ppr_codes=scope
        )
    runtime.close()
    # The server runs this checkout's code, whichever checkout the virtualenv was installed from.
    root = str(Path(__file__).resolve().parents[2])
    pythonpath = os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "K2K_DATA_DIR": str(data), "PYTHONPATH": pythonpath}
    env.pop("K2K_BACKGROUND", None)
    with k2k_server(env) as url:
        yield World(url, tokens)


@pytest.fixture
def phone(browser: Any, world: World) -> Iterator[Any]:
    """A fresh phone-sized browser context (its own cookies), closed afterwards."""
    context = browser.new_context(viewport=PHONE, base_url=world.url, locale="ms-MY")
    yield context
    context.close()


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page screenshot as a test artefact; returns its path."""
    folder = ARTEFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
