"""Remote monitoring: self-reported vital signs, the plan's thresholds, and alerts a clinician
acts on (FAQ 12 C, 14; BPM 15 §320.6.2; RULES POC-9, PAY-3).

Patients send their own readings (weight, blood pressure, heart rate, temperature) by telephone
or electronically. A reading outside the plan's thresholds (the bounds are inclusive: a value
equal to a bound is in range) raises an alert for the clinician, who acknowledges it and records
what was done when resolving it. Where a plan sets no threshold for a vital sign the dated
project default applies (parameter ``care_vital_sign_thresholds``, confidence U).

Monitoring is never billed on its own: "A qualified home infusion therapy supplier may not bill
separately for any services furnished via remote monitoring. This service is considered bundled
into the payment made for an infusion drug administration calendar day" (FAQ 14).
``billable_lines`` says so in code.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Iterable, Mapping

from hitbenefit.care import fields as f
from hitbenefit.care.fields import CareInputError

VITAL_SIGNS = ("weight", "systolic_bp", "diastolic_bp", "heart_rate", "temperature")
CHANNELS = ("phone", "electronic")
UNITS = {"weight": ("kg", "lb"), "systolic_bp": ("mmHg",), "diastolic_bp": ("mmHg",), "heart_rate": ("bpm",),
         "temperature": ("C", "F")}
"""Accepted units per vital sign; the first is the canonical unit thresholds are written in."""
OPEN, ACKNOWLEDGED, RESOLVED = "open", "acknowledged", "resolved"
ALERT_STATUSES = (OPEN, ACKNOWLEDGED, RESOLVED)
_LB_PER_KG = Decimal("2.20462262")
CITES = ("FAQ 14", "BPM 15 §320.6.2", "RULES POC-9")


@dataclass(frozen=True, slots=True)
class Threshold:
    """The acceptable range of one vital sign (inclusive bounds, canonical unit) and, for weight,
    the largest change since the previous reading that raises no alert."""

    low: Decimal | None = None
    high: Decimal | None = None
    max_change: Decimal | None = None

    def to_json(self) -> dict[str, str | None]:
        s = lambda d: None if d is None else str(d)  # noqa: E731
        return {"low": s(self.low), "high": s(self.high), "max_change": s(self.max_change)}


def thresholds_from_json(value: Any, where: str = "thresholds") -> dict[str, Threshold]:
    """``{kind: {low, high, max_change}}`` in canonical units (``UNITS``), checked."""
    if value is None:
        return {}
    value = f.obj(where, value, VITAL_SIGNS)
    out = {}
    for kind, raw in value.items():
        at = f"{where}.{kind}"
        raw = f.obj(at, raw, ("low", "high", "max_change"))
        low = f.number(f"{at}.low", raw.get("low"), optional=True)
        high = f.number(f"{at}.high", raw.get("high"), optional=True)
        change = f.number(f"{at}.max_change", raw.get("max_change"), optional=True)
        if low is not None and high is not None and low > high:
            raise CareInputError(f"{at}.high", f"below low ({low})")
        if change is not None and change <= 0:
            raise CareInputError(f"{at}.max_change", "expected a positive change")
        if change is not None and kind != "weight":
            raise CareInputError(f"{at}.max_change", "only weight has a change threshold")
        if low is None and high is None and change is None:
            raise CareInputError(at, "give low, high or max_change")
        out[kind] = Threshold(low, high, change)
    return out


def thresholds_to_json(thresholds: Mapping[str, Threshold]) -> dict[str, Any]:
    return {kind: thresholds[kind].to_json() for kind in VITAL_SIGNS if kind in thresholds}


def default_thresholds(params: Any, on: date) -> dict[str, Threshold]:
    """The project's default thresholds in force on a date (confidence U: CMS sets none)."""
    found = params.entry("care_vital_sign_thresholds", on)
    if found is None:
        raise CareInputError("taken_at", f"no monitoring thresholds are in force on {on} (the benefit began 2021-01-01)")
    return thresholds_from_json(found.value, "care_vital_sign_thresholds")


def effective_thresholds(plan_thresholds: Mapping[str, Threshold], defaults: Mapping[str, Threshold]) -> dict[str, Threshold]:
    """The plan's threshold for each vital sign it names, the default for the others."""
    return {**defaults, **plan_thresholds}


@dataclass(frozen=True, slots=True)
class VitalSignReading:
    """A self-obtained vital sign the patient reported (FAQ 14)."""

    kind: str
    value: Decimal
    unit: str
    taken_at: datetime
    channel: str  # phone | electronic

    def __post_init__(self) -> None:
        f.one_of("kind", self.kind, VITAL_SIGNS)
        f.number("value", self.value)
        if self.value <= 0:
            raise CareInputError("value", "a vital sign is a positive number")
        f.one_of("unit", self.unit, UNITS[self.kind])
        f.moment("taken_at", self.taken_at)
        f.one_of("channel", self.channel, CHANNELS)

    @property
    def canonical(self) -> Decimal:
        """The value in the canonical unit (kg, mmHg, bpm, degrees C), to two decimals."""
        value = self.value
        if self.unit == "lb":
            value = value / _LB_PER_KG
        elif self.unit == "F":
            value = (value - 32) * 5 / 9
        return value.quantize(Decimal("0.01"))

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "value": str(self.value), "unit": self.unit,
                "taken_at": self.taken_at.isoformat(), "channel": self.channel}


def reading_from_json(data: Any) -> VitalSignReading:
    """A reading from ``{kind, value, unit, taken_at, channel}``; ``unit`` defaults to the canonical one."""
    data = f.obj("", data, ("kind", "value", "unit", "taken_at", "channel"), ("kind", "value", "taken_at", "channel"))
    kind = f.one_of("kind", data["kind"], VITAL_SIGNS)
    return VitalSignReading(kind, f.number("value", data["value"]),  # type: ignore[arg-type]
                            data.get("unit") or UNITS[kind][0], f.moment("taken_at", data["taken_at"]),  # type: ignore[index]
                            data["channel"])


@dataclass(frozen=True, slots=True)
class Alert:
    """An abnormal reading for the clinician to act on; ``action`` is what the clinician recorded."""

    kind: str
    value: Decimal  # canonical unit
    reason: str
    bound: str  # low | high | change
    limit: Decimal
    status: str = OPEN
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    resolved_by: str | None = None
    resolved_at: datetime | None = None
    action: str | None = None
    citations: tuple[str, ...] = CITES


def evaluate(reading: VitalSignReading, thresholds: Mapping[str, Threshold],
             previous: VitalSignReading | None = None) -> Alert | None:
    """An alert when the reading is below ``low``, above ``high`` or (weight) changed by more
    than ``max_change`` since ``previous`` of the same kind; None when in range or no threshold."""
    limit = thresholds.get(reading.kind)
    if limit is None:
        return None
    value = reading.canonical
    unit = UNITS[reading.kind][0]
    if limit.low is not None and value < limit.low:
        return Alert(reading.kind, value, f"{reading.kind} {value} {unit} is below {limit.low} {unit}", "low", limit.low)
    if limit.high is not None and value > limit.high:
        return Alert(reading.kind, value, f"{reading.kind} {value} {unit} is above {limit.high} {unit}", "high",
                     limit.high)
    if limit.max_change is not None and previous is not None and previous.kind == reading.kind:
        change = value - previous.canonical
        if abs(change) > limit.max_change:
            return Alert(reading.kind, value, f"{reading.kind} changed by {change:+} {unit} since "
                         f"{previous.taken_at.date()} (more than {limit.max_change} {unit})", "change",
                         limit.max_change)
    return None


def acknowledge(alert: Alert, clinician: str, at: datetime, note: str | None = None) -> Alert:
    """The clinician has seen the alert (only an open one)."""
    if alert.status != OPEN:
        raise CareInputError("status", f"only an open alert is acknowledged; this one is {alert.status}")
    f.text("clinician", clinician)
    return replace(alert, status=ACKNOWLEDGED, acknowledged_by=clinician, acknowledged_at=at,
                   action=f.text("note", note, optional=True, limit=2000) or alert.action)


def resolve(alert: Alert, clinician: str, at: datetime, action: str) -> Alert:
    """The clinician acted (plan adjusted, patient called, physician told...) and says what."""
    if alert.status == RESOLVED:
        raise CareInputError("status", "the alert is already resolved")
    f.text("clinician", clinician)
    action = f.text("action", action, limit=2000)  # type: ignore[assignment]
    acknowledged = alert if alert.status == ACKNOWLEDGED else replace(alert, acknowledged_by=clinician,
                                                                     acknowledged_at=at)
    return replace(acknowledged, status=RESOLVED, resolved_by=clinician, resolved_at=at, action=action)


def billable_lines(readings: Iterable[VitalSignReading] = (), alerts: Iterable[Alert] = ()) -> tuple[()]:
    """The claim lines remote monitoring produces: none, ever. Monitoring is bundled into the
    payment for an infusion drug administration calendar day (FAQ 14; BPM 15 §320.6.2; RULES PAY-3)."""
    return ()
