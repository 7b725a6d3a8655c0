"""The ``k2k`` command line, as an operator uses it."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from domain.actors import Actor, Role
from domain.case import Channel, Location
from domain.ppr import SlaTargets
from projections.registry import all_projections
from service.cli import main
from service.runtime import Runtime
from service.settings import Settings
from service.tokens.store import authenticate


@pytest.fixture
def cli(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A runner whose environment points the CLI at this test's storage."""
    monkeypatch.setenv("K2K_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("K2K_DATA_DIR", str(tmp_path / "data"))
    return CliRunner()


def _seed(settings: Settings, cases: int) -> None:
    runtime = Runtime.from_settings(settings)
    admin, resident = Actor("admin", Role.ADMIN), Actor("r1", Role.RESIDENT)
    try:
        runtime.app.register_ppr(admin, "SRP", "PPR Seri Pantai")
        runtime.app.add_block(admin, "SRP", "A", "Blok A", 17)
        runtime.app.add_category(admin, "SRP", "LIFT", "Lif", "Lift", SlaTargets(24, 48, 168))
        for number in range(cases):
            runtime.app.report_case(
                resident,
                ppr_code="SRP",
                location=Location("A", common_area="lobi"),
                category_code="LIFT",
                title=f"Lif rosak {number}",
                description="Lif tidak bergerak.",
                channel=Channel.APP,
            )
    finally:
        runtime.close()


def test_tokens_create_prints_a_token_that_authenticates_once_stored_as_a_hash(
    cli: CliRunner, settings: Settings
) -> None:
    _seed(settings, cases=0)

    result = cli.invoke(
        main, ["tokens", "create", "--role", "management", "--ppr", "SRP", "--name", "Pegawai"]
    )

    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[0]
    runtime = Runtime.from_settings(settings)
    try:
        principal = authenticate(runtime.engine, token)
        assert principal is not None
        assert (principal.role, principal.ppr_codes, principal.name) == (
            Role.MANAGEMENT,
            ("SRP",),
            "Pegawai",
        )
    finally:
        runtime.close()


def test_tokens_create_refuses_a_ppr_that_does_not_exist(cli: CliRunner) -> None:
    result = cli.invoke(
        main, ["tokens", "create", "--role", "resident", "--ppr", "XYZ", "--name", "X"]
    )

    assert result.exit_code == 1
    assert "no PPR with code 'XYZ'" in result.output


def test_tokens_create_refuses_an_unknown_role(cli: CliRunner) -> None:
    result = cli.invoke(
        main, ["tokens", "create", "--role", "mayor", "--ppr", "SRP", "--name", "X"]
    )

    assert result.exit_code == 2
    assert "mayor" in result.output


def test_projections_status_shows_the_lag_and_rebuild_catches_up(
    cli: CliRunner, settings: Settings
) -> None:
    _seed(settings, cases=5)

    before = cli.invoke(main, ["projections", "status"])
    rebuilt = cli.invoke(main, ["projections", "rebuild"])
    after = cli.invoke(main, ["projections", "status"])

    assert before.exit_code == rebuilt.exit_code == after.exit_code == 0
    case_list_before = next(
        line for line in before.output.splitlines() if line.startswith("case_list")
    )
    assert "lag       8" in case_list_before
    assert all("lag       0" in line for line in after.output.splitlines())
    assert f"rebuilding all {len(all_projections())} read models" in rebuilt.output


def test_rebuilding_an_unknown_projection_names_the_known_ones(cli: CliRunner) -> None:
    result = cli.invoke(main, ["projections", "rebuild", "nonsense"])

    assert result.exit_code == 1
    assert "case_list" in result.output


def test_audit_keygen_writes_a_private_key_only_its_owner_reads_and_prints_the_public_key(
    tmp_path: Path,
) -> None:
    from projections.signed_note import NoteSigner, NoteVerifier

    key = tmp_path / "keys" / "audit.key"
    result = CliRunner().invoke(
        main, ["audit", "keygen", "--origin", "k2k.test/log", "--out", str(key)]
    )
    assert result.exit_code == 0, result.output
    verifier_key = result.stdout.strip()
    assert key.stat().st_mode & 0o777 == 0o600
    signer = NoteSigner.from_private_key(key.read_text())
    assert signer.verifier == NoteVerifier.from_verifier_key(verifier_key)
    assert (tmp_path / "keys" / "audit.key.pub").read_text().strip() == verifier_key
    again = CliRunner().invoke(
        main, ["audit", "keygen", "--origin", "k2k.test/log", "--out", str(key)]
    )
    assert again.exit_code != 0
    assert "exists" in again.output
    assert NoteSigner.from_private_key(key.read_text()) == signer  # the key was not replaced
