"""A home infusion drug dispensed to a patient, as the pharmacy (DME side) recorded it.

The drug, pump and supplies are paid under the DME benefit (FAQ 1, 2, 4); on the HIT services claim
the drug's J-code line only shows the visit's payment category: it must be billed with the visit or
at most 30 days before it (RULES CLM-3), category 2 drugs carry modifier JB (RULES DRUG-4) and a NOC
drug (J7799, J7999) carries its name (FAQ 17). The record's ``charge`` is the DME-side charge; the
HIT claim's drug line carries $0.00 so nothing is billed twice.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from hitbenefit.care import fields as f
from hitbenefit.care.fields import CareInputError
from hitbenefit.claims.model import ClaimLine
from hitbenefit.money import ZERO
from hitbenefit.parameters.model import Parameters
from hitbenefit.rules.drugs import JB, drug_category, drug_kind
from hitbenefit.rules.facts import HIT_DRUG, NOC_DRUG

FIELDS = ("mbi", "dispensed_date", "hcpcs", "units", "charge", "drug_name", "ndc", "category")


@dataclass(frozen=True, slots=True)
class DispensingRecord:
    """One dispensing of a drug to a beneficiary (``category`` when the pharmacy knows it)."""

    mbi: str
    dispensed_date: date
    hcpcs: str
    units: Decimal
    charge: Decimal = ZERO
    drug_name: str | None = None
    ndc: str | None = None
    category: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"mbi": self.mbi, "dispensed_date": self.dispensed_date.isoformat(), "hcpcs": self.hcpcs,
                "units": self.units, "charge": self.charge, "drug_name": self.drug_name, "ndc": self.ndc,
                "category": self.category}

    def claim_line(self, line: int, params: Parameters) -> ClaimLine:
        """The HIT claim's drug line: JB for a category 2 drug, the drug name for a NOC code, $0.00."""
        bare = ClaimLine(line, self.hcpcs, self.units, self.dispensed_date, ZERO, drug_name=self.drug_name)
        category = self.payment_category(params)
        modifiers = (JB,) if category == 2 else ()
        kind = drug_kind(bare, params)
        return ClaimLine(line, self.hcpcs, self.units, self.dispensed_date, ZERO, modifiers,
                         drug_name=self.drug_name if kind == NOC_DRUG else None)

    def payment_category(self, params: Parameters) -> int | None:
        """The drug's payment category from the home infusion drug list (or the NOC name table), else
        the pharmacy's own ``category`` for a NOC drug the table does not name (FAQ 17, 22)."""
        bare = ClaimLine(1, self.hcpcs, self.units, self.dispensed_date, ZERO, drug_name=self.drug_name)
        kind = drug_kind(bare, params)
        if kind not in (HIT_DRUG, NOC_DRUG):
            return None
        found = drug_category(bare, kind, params)
        if found is None and kind == NOC_DRUG and self.category == 2:
            found = drug_category(ClaimLine(1, self.hcpcs, self.units, self.dispensed_date, ZERO, (JB,),
                                            drug_name=self.drug_name), kind, params)
        return found


def dispensing_from_json(data: Any) -> DispensingRecord:
    """A record from its JSON object; ``CareInputError`` names the field."""
    data = f.obj("", data, FIELDS, ("mbi", "dispensed_date", "hcpcs", "units"))
    code = f.text("hcpcs", data["hcpcs"], limit=5).upper()
    if not (len(code) == 5 and code[0] == "J" and code[1:].isdigit()):
        raise CareInputError("hcpcs", f"expected a drug J-code such as J1559, found {code!r}")
    units = f.number("units", data["units"])
    if units <= 0:
        raise CareInputError("units", f"expected a positive number, found {units}")
    charge = f.number("charge", data.get("charge"), optional=True)
    if charge is not None and (charge < 0 or charge != charge.quantize(Decimal("0.01"))):
        raise CareInputError("charge", f"expected dollars with at most two decimals, not below 0, found {charge}")
    name = f.text("drug_name", data.get("drug_name"), optional=True, limit=80)
    if code in ("J7799", "J7999") and not name:
        raise CareInputError("drug_name", f"{code} is a NOC code: name the drug (FAQ 17)")
    ndc = f.text("ndc", data.get("ndc"), optional=True, limit=13)
    if ndc is not None and not ndc.replace("-", "").isdigit():
        raise CareInputError("ndc", f"expected an NDC of digits and dashes, found {ndc!r}")
    category = data.get("category")
    if category not in (None, ""):
        category = f.whole("category", int(category) if isinstance(category, str) and category.isdigit()
                           else category, 1, 3)
    return DispensingRecord(f.text("mbi", data["mbi"], limit=32), f.day("dispensed_date", data["dispensed_date"]),
                            code, units, charge if charge is not None else ZERO, name, ndc, category or None)


def read_dispensing_csv(text: str, source: str) -> tuple[list[DispensingRecord], list[str]]:
    """Records from CSV text with a header of ``FIELDS`` (``mbi,dispensed_date,hcpcs,units`` at
    least); every bad row is reported as ``SOURCE, row N, field F: problem`` and the good rows kept."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [name for name in ("mbi", "dispensed_date", "hcpcs", "units") if name not in (reader.fieldnames or ())]
    if missing:
        return [], [f"{source}, header: missing column(s) {', '.join(missing)}"]
    unknown = [name for name in reader.fieldnames or () if name not in FIELDS]
    if unknown:
        return [], [f"{source}, header: unknown column(s) {', '.join(unknown)}"]
    records, errors = [], []
    try:
        for row in reader:
            if None in row:  # csv.DictReader's key for the cells past the header's columns
                errors.append(f"{source}, row {reader.line_num}: more cells than the header's {len(reader.fieldnames)} "
                              f"columns")
                continue
            values = {k: (v.strip() if isinstance(v, str) and v.strip() else None) for k, v in row.items()}
            try:
                records.append(dispensing_from_json(values))
            except CareInputError as exc:
                errors.append(f"{source}, row {reader.line_num}, {exc}")
    except csv.Error as exc:  # a field over the csv module's size limit, say
        errors.append(f"{source}, row {reader.line_num + 1}: not readable CSV ({exc})")
    return records, errors
