"""The engine remembers a drug line's findings by its code, date of service, drug name and modifiers
(``engine.adjudicate._check_drug``). That is right only while the drug rules read nothing else of the
line: this test reads every drug rule's use of a line, so a new rule that reads more (the units, the
charge) fails here rather than getting another line's findings."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from hitbenefit import service
from hitbenefit.claims.model import ClaimLine
from hitbenefit.engine import adjudicate as engine

REMEMBERED_BY = {"hcpcs", "service_date", "drug_name", "modifiers"}


class ReadingLine:
    """A claim line that notes which of its fields are read."""

    def __init__(self, line: ClaimLine) -> None:
        self._line = line
        self.read: set[str] = set()

    def __getattr__(self, name: str):
        self.read.add(name)
        return getattr(self._line, name)


def _drug_lines(params) -> list[ClaimLine]:
    noc = sorted(params.noc_codes)[0]
    codes = [sorted(params.drugs)[0], noc, sorted(params.excluded_drugs)[0],
             next(c for c in sorted(params.known_codes) if c.startswith("J") and c not in params.drugs
                  and c not in params.noc_codes and c not in params.excluded_drugs)]
    lines = []
    for code in codes:
        for day in (date(2020, 12, 31), date(2025, 3, 3)):
            for modifiers, name in (((), None), (("JB",), None), (("JB",), "immune globulin"), ((), "unknown drug")):
                lines.append(ClaimLine(2, code, Decimal(10), day, Decimal("0.00"), modifiers, "12", drug_name=name))
    return lines


def test_drug_rules_read_only_what_their_findings_are_remembered_by():
    params = service.load_tables().params
    lines = _drug_lines(params)
    kinds = set()
    for line in lines:
        engine._DRUG_CHECKS.clear()
        reading = ReadingLine(line)
        checked = engine._check_drug(reading, params)
        assert checked is not None, line.hcpcs
        kinds.add(checked[0])
        assert reading.read <= REMEMBERED_BY, (line, reading.read - REMEMBERED_BY)
    assert len(kinds) == 4  # every kind of drug line was checked


@pytest.mark.parametrize("field, value", [("units", Decimal(99)), ("charge", Decimal("12.00")), ("line", 7),
                                          ("place_of_service", "11")])
def test_a_drug_line_differing_only_in_other_fields_gets_the_same_findings(field, value):
    params = service.load_tables().params
    for line in _drug_lines(params):
        engine._DRUG_CHECKS.clear()
        first = engine._check_drug(line, params)
        engine._DRUG_CHECKS.clear()
        other = ClaimLine(**{**{f: getattr(line, f) for f in ClaimLine.__dataclass_fields__}, field: value})
        assert engine._check_drug(other, params) == first
