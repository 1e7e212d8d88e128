"""Every scenario file (tests/scenarios/**.yaml) gives exactly the decisions it expects."""

from __future__ import annotations

import pytest

from hitbenefit.parameters.load import bundled_parameters
from tests.scenarios.runner import all_scenarios, check

SCENARIOS = all_scenarios()


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_scenario(scenario):
    assert check(scenario) == []


def test_every_reason_key_has_a_scenario():
    covered = {key for s in SCENARIOS for want in s.doc["expect"] for line in want.get("lines", [])
               for key in line.get("reasons", [])}
    assert set(bundled_parameters().reasons) - covered == set()


def test_every_scenario_cites_an_faq_question():
    assert [s.name for s in SCENARIOS if not s.doc.get("faq")] == []
