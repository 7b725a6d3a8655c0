"""Projections recognise events by class name: every name they use must be a real event class."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from domain.case import Case
from domain.ppr import Ppr

PROJECTIONS = Path(__file__).parents[2] / "projections"
NAME_TEST = re.compile(r'(?:kind|__name__) == "([A-Za-z]+)"')
AGGREGATES = {"case_list.py": Case, "case_timeline.py": Case, "ppr_directory.py": Ppr}


@pytest.mark.parametrize("module", sorted(AGGREGATES))
def test_every_event_name_a_projection_tests_for_is_an_event_of_its_aggregate(module: str) -> None:
    aggregate = AGGREGATES[module]
    names = NAME_TEST.findall((PROJECTIONS / module).read_text())

    missing = [
        name
        for name in names
        if not (
            isinstance(getattr(aggregate, name, None), type)
            and issubclass(getattr(aggregate, name), aggregate.Event)
        )
    ]

    assert not missing, (
        f"{module} tests for events that {aggregate.__name__} does not have: {missing}"
    )


def test_the_name_check_sees_the_projections_tests() -> None:
    # Guard against the pattern silently matching nothing after a refactor.
    assert len(NAME_TEST.findall((PROJECTIONS / "case_list.py").read_text())) >= 7
    assert len(NAME_TEST.findall((PROJECTIONS / "ppr_directory.py").read_text())) >= 4
