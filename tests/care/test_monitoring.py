"""Remote monitoring: thresholds at their bounds, units, alerts and their life, never billed (FAQ 14)."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest

from hitbenefit.care.fields import CareInputError
from hitbenefit.care.monitoring import (ACKNOWLEDGED, OPEN, RESOLVED, Threshold, acknowledge, billable_lines,
                                        default_thresholds, effective_thresholds, evaluate, reading_from_json,
                                        resolve, thresholds_from_json)
from tests.care.conftest import D

AT = "2025-03-04T08:00:00Z"
LIMITS = thresholds_from_json({"systolic_bp": {"low": "95", "high": "150"}, "temperature": {"high": "38.0"},
                               "weight": {"max_change": "1.5"}})


def reading(kind, value, unit=None, at=AT, channel="phone"):
    return reading_from_json({"kind": kind, "value": value, "unit": unit, "taken_at": at, "channel": channel})


@pytest.mark.parametrize("value, alert", [("150", None), ("150.01", "high"), ("95", None), ("94.99", "low")])
def test_bounds_are_inclusive(value, alert):
    found = evaluate(reading("systolic_bp", value), LIMITS)
    assert (found.bound if found else None) == alert
    if found:
        assert found.status == OPEN and "FAQ 14" in found.citations


def test_fahrenheit_is_compared_in_celsius():
    assert evaluate(reading("temperature", "100.4", "F"), LIMITS) is None  # 38.00 C
    high = evaluate(reading("temperature", "100.5", "F"), LIMITS)
    assert high is not None and high.value == Decimal("38.06") and "above 38.0" in high.reason


def test_weight_alerts_on_a_change_beyond_the_plans_limit_in_either_unit():
    before = reading("weight", "80.0", "kg", at="2025-03-03T08:00:00Z")
    assert evaluate(reading("weight", "81.5", "kg"), LIMITS, before) is None
    gained = evaluate(reading("weight", "81.6", "kg"), LIMITS, before)
    assert gained is not None and gained.bound == "change"
    assert evaluate(reading("weight", "183", "lb"), LIMITS, before).bound == "change"  # 83.01 kg
    assert evaluate(reading("weight", "90", "kg"), LIMITS) is None  # no earlier reading, no range


def test_no_threshold_no_alert_and_the_plan_overrides_the_defaults(params):
    assert evaluate(reading("heart_rate", "180"), LIMITS) is None
    defaults = default_thresholds(params, D("2025-03-04"))
    assert params.entry("care_vital_sign_thresholds", D("2025-03-04")).confidence == "U"
    merged = effective_thresholds(LIMITS, defaults)
    assert merged["systolic_bp"] == Threshold(Decimal("95"), Decimal("150"))
    assert merged["heart_rate"] == defaults["heart_rate"]
    assert evaluate(reading("heart_rate", "180"), merged).bound == "high"


def test_an_alert_is_acknowledged_then_resolved_with_the_action_recorded():
    alert = evaluate(reading("systolic_bp", "170"), LIMITS)
    now = datetime(2025, 3, 4, 9, tzinfo=timezone.utc)
    seen = acknowledge(alert, "Synthetic Nurse", now)
    assert seen.status == ACKNOWLEDGED and seen.acknowledged_by == "Synthetic Nurse"
    done = resolve(seen, "Synthetic Nurse", now, "Called the patient; physician adjusted the plan")
    assert done.status == RESOLVED and done.action.startswith("Called")
    with pytest.raises(CareInputError):
        acknowledge(done, "Synthetic Nurse", now)
    with pytest.raises(CareInputError) as exc:
        resolve(alert, "Synthetic Nurse", now, " ")
    assert exc.value.field == "action"
    direct = resolve(alert, "Synthetic Nurse", now, "Advised rest")  # an open alert may be resolved at once
    assert direct.acknowledged_by == "Synthetic Nurse"


def test_monitoring_never_yields_a_billable_line():
    alert = evaluate(reading("systolic_bp", "170"), LIMITS)
    assert billable_lines([reading("systolic_bp", "170")], [alert]) == ()


@pytest.mark.parametrize("data, field", [
    ({"kind": "glucose", "value": 5, "taken_at": AT, "channel": "phone"}, "kind"),
    ({"kind": "weight", "value": "heavy", "taken_at": AT, "channel": "phone"}, "value"),
    ({"kind": "weight", "value": -1, "taken_at": AT, "channel": "phone"}, "value"),
    ({"kind": "weight", "value": "80.00001", "taken_at": AT, "channel": "phone"}, "value"),
    ({"kind": "weight", "value": "1e6", "taken_at": AT, "channel": "phone"}, "value"),
    ({"kind": "weight", "value": 80, "unit": "stone", "taken_at": AT, "channel": "phone"}, "unit"),
    ({"kind": "weight", "value": 80, "taken_at": "yesterday", "channel": "phone"}, "taken_at"),
    ({"kind": "weight", "value": 80, "taken_at": AT, "channel": "fax"}, "channel"),
    ({"kind": "weight", "value": 80, "taken_at": AT, "channel": "phone", "mood": "ok"}, "mood"),
])
def test_a_bad_reading_names_the_field(data, field):
    with pytest.raises(CareInputError) as exc:
        reading_from_json(data)
    assert exc.value.field == field


def test_thresholds_name_the_field():
    with pytest.raises(CareInputError) as exc:
        thresholds_from_json({"heart_rate": {"max_change": "5"}})
    assert exc.value.field == "thresholds.heart_rate.max_change"
