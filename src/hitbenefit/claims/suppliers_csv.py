"""The supplier registry file of CONTRACT §7: ``npi,specialty,accreditation_expires,licensed_states``."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from hitbenefit.claims.model import Supplier
from hitbenefit.claims.read_json import ClaimInputError

HEADER = ("npi", "specialty", "accreditation_expires", "licensed_states")


def read_suppliers(path: Path) -> dict[str, Supplier]:
    """Suppliers by NPI; empty cells mean "not known". States are separated by ``;``."""
    out: dict[str, Supplier] = {}
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            if tuple(reader.fieldnames or ()) != HEADER:
                found = ",".join(reader.fieldnames or [])
                raise ClaimInputError(f"the header must be {','.join(HEADER)}, found {found}", str(path))
            for row in reader:
                where = {"source": str(path), "record": reader.line_num}
                npi = (row["npi"] or "").strip()
                if not npi:
                    raise ClaimInputError("required", field="npi", **where)
                expires = (row["accreditation_expires"] or "").strip()
                try:
                    expires_on = date.fromisoformat(expires) if expires else None
                except ValueError:
                    raise ClaimInputError(f"expected a date YYYY-MM-DD, found {expires!r}",
                                          field="accreditation_expires", **where) from None
                states = (row["licensed_states"] or "").strip()
                out[npi] = Supplier(
                    npi=npi,
                    specialty=(row["specialty"] or "").strip() or None,
                    accreditation_expires=expires_on,
                    licensed_states=(tuple(s.strip().upper() for s in states.split(";") if s.strip())
                                     if states else None),
                )
    except (UnicodeDecodeError, csv.Error) as exc:  # bytes that are not UTF-8; a field over csv's size limit
        raise ClaimInputError(f"not a UTF-8 CSV file ({exc})", str(path)) from None
    return out
