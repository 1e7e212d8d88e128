"""The approved HIT accrediting organizations on a date (FAQ 3; RULES SUP-3, SUP-10, SUP-11)."""

from __future__ import annotations

from datetime import date
from typing import Any

from hitbenefit.parameters.model import CodedItem

APPROVED, ENDED, UNKNOWN = "approved", "not approved", "term unknown"


def status_on(item: CodedItem, on: date) -> str:
    """``approved`` inside its known approval term, ``not approved`` after its known term ended,
    ``term unknown`` when no term was read or the date is before the known term (earlier terms
    are not recorded)."""
    if item.end is not None and on > item.end:
        return ENDED
    if item.start is not None and item.start <= on:
        return APPROVED
    return UNKNOWN


def accreditors_json(items: dict[str, CodedItem], on: date) -> list[dict[str, Any]]:
    return [{"code": i.code, "name": i.what, "approved_from": i.start.isoformat() if i.start else None,
             "approved_to": i.end.isoformat() if i.end else None, "status_on_date": status_on(i, on),
             "reference": i.reference, "confidence": i.confidence} for i in items.values()]
