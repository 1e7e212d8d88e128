"""``decision_json_line`` writes exactly the bytes of ``orjson.dumps(decision.to_json(), ...)`` (the
batch's former writer) for every decision of the scenarios and of 3,000 synthetic claims, and its
remembered lines never leak into a line that differs."""

from __future__ import annotations

import copy
from decimal import Decimal

import orjson
import pytest

from hitbenefit.claims.model import Decision, LineDecision
from hitbenefit.claims.read_json import claim_from_json
from hitbenefit.claims.write_json import decision_json_line
from hitbenefit.engine.adjudicate import adjudicate_batch
from hitbenefit.service import load_tables
from hitbenefit.synth import generate_claims
from tests.scenarios.runner import all_scenarios


def _exact_number(value):
    if isinstance(value, Decimal):
        return orjson.Fragment(str(value))
    raise TypeError


def expected(decision: Decision) -> bytes:
    return orjson.dumps(decision.to_json(), default=_exact_number, option=orjson.OPT_APPEND_NEWLINE)


def scenario_decisions() -> list[Decision]:
    return [d for s in all_scenarios() for d in s.run()]


def synthetic_decisions() -> list[Decision]:
    return adjudicate_batch([claim_from_json(raw) for raw in generate_claims(3000, seed=1)], load_tables())


@pytest.mark.parametrize("decisions", [scenario_decisions, synthetic_decisions], ids=["scenarios", "synth3000"])
def test_same_bytes_as_to_json(decisions):
    made = decisions()
    assert len(made) > 50
    for decision in made:
        assert decision_json_line(decision) == expected(decision), decision.claim_id
    for decision in made:  # again, now from what was remembered
        assert decision_json_line(decision) == expected(decision), decision.claim_id


def test_equal_amounts_written_as_they_are():
    paid = next(d for d in synthetic_decisions()[:200] if d.lines[0].payment is not None)
    decision_json_line(paid)
    other = copy.copy(paid)
    line = copy.copy(paid.lines[0])
    line.allowed = Decimal(str(line.allowed)) + Decimal("0.000")  # equal value, three decimals
    other.lines = [line, *paid.lines[1:]]
    assert decision_json_line(other) == expected(other)
    assert b'"allowed":' + str(line.allowed).encode() + b"," in decision_json_line(other)


def test_a_changed_line_is_written_anew():
    decision = next(d for d in synthetic_decisions()[:200] if len(d.lines) > 1)
    first = decision_json_line(decision)
    line: LineDecision = decision.lines[1]
    line.reasons = [*line.reasons, decision.lines[0].reasons[0]] if decision.lines[0].reasons else []
    line.status = "denied" if line.status != "denied" else "rejected"
    assert decision_json_line(decision) == expected(decision) != first


@pytest.mark.parametrize("field", ["allowed", "paid"])
def test_amounts_equal_to_the_usual_ones_written_as_they_are(field):
    """A line's amounts are remembered as "the payment's own" or "all the shared 0.00" only when they are those
    very objects: an equal amount with other digits is written as it is."""
    decisions = synthetic_decisions()[:200]
    priced = next(d for d in decisions if d.lines[0].payment is not None)
    not_priced = next(d for d in decisions if any(line.payment is None for line in d.lines))
    for decision, equal in ((priced, lambda amount: amount + Decimal("0.000")), (not_priced, lambda _: Decimal(0))):
        decision_json_line(decision)
        other = copy.copy(decision)
        i = next(i for i, line in enumerate(decision.lines) if (line.payment is not None) == (decision is priced))
        line = copy.copy(decision.lines[i])
        setattr(line, field, equal(getattr(line, field)))
        other.lines = [*decision.lines[:i], line, *decision.lines[i + 1:]]
        assert decision_json_line(other) == expected(other) != decision_json_line(decision)
