"""CY 2025 Medicare payment localities: state, name and counties (GPCI2025 joined to 25LOCCO1).

GPCI2025 carries the USPS state code per MAC + locality; 25LOCCO1 carries the counties and full
state names (blank on continuation rows). Both files lose leading zeros (Excel), so codes are
padded before the join. Used by the engine to check a supplier's licensed states (CONTRACT §1,
FAQ 3).
"""

from __future__ import annotations

import csv
import functools
from typing import NamedTuple

from hitbenefit.rates.pfs import PFS_DIR, pad_locality, read_gpci

#: full state names as 25LOCCO1 writes them -> USPS codes (only those the file uses)
STATE_CODES = {
    "ALABAMA": "AL", "ALASKA": "AK", "ARIZONA": "AZ", "ARKANSAS": "AR", "CALIFORNIA": "CA", "COLORADO": "CO",
    "CONNECTICUT": "CT", "DELAWARE": "DE", "DISTRICT OF COLUMBIA": "DC", "FLORIDA": "FL", "GEORGIA": "GA",
    "HAWAII/GUAM": "HI", "IDAHO": "ID", "ILLINOIS": "IL", "INDIANA": "IN", "IOWA": "IA", "KANSAS": "KS",
    "KENTUCKY": "KY", "LOUISIANA": "LA", "MAINE": "ME", "MARYLAND": "MD", "MASSACHUSETTS": "MA",
    "MICHIGAN": "MI", "MINNESOTA": "MN", "MISSISSIPPI": "MS", "MISSOURI": "MO", "MONTANA": "MT",
    "NEBRASKA": "NE", "NEVADA": "NV", "NEW HAMPSHIRE": "NH", "NEW JERSEY": "NJ", "NEW MEXICO": "NM",
    "NEW YORK": "NY", "NORTH CAROLINA": "NC", "NORTH DAKOTA": "ND", "OHIO": "OH", "OKLAHOMA": "OK",
    "OREGON": "OR", "PENNSYLVANIA": "PA", "PUERTO RICO": "PR", "RHODE ISLAND": "RI", "SOUTH CAROLINA": "SC",
    "SOUTH DAKOTA": "SD", "TENNESSEE": "TN", "TEXAS": "TX", "UTAH": "UT", "VERMONT": "VT",
    "VIRGIN ISLANDS": "VI", "VIRGINIA": "VA", "WASHINGTON": "WA", "WEST VIRGINIA": "WV", "WISCONSIN": "WI",
    "WYOMING": "WY",
}


class Locality(NamedTuple):
    state: str     # USPS code
    name: str      # GPCI2025 locality name, footnote asterisks removed
    counties: str  # 25LOCCO1 counties text


def _counties() -> dict[str, tuple[str, str]]:
    """MAC-locality -> (USPS code from the full state name, counties) from 25LOCCO1."""
    out: dict[str, tuple[str, str]] = {}
    state = ""
    with open(PFS_DIR / "25LOCCO1.csv", newline="", encoding="utf-8") as f:
        for row in csv.reader(f):
            if len(row) < 5 or not row[0].strip().isdigit():
                continue
            if row[2].strip():
                state = STATE_CODES[row[2].strip()]
            out.setdefault(pad_locality(row[0], row[1]), (state, row[4].strip()))
    return out


@functools.lru_cache(maxsize=1)
def load_localities() -> dict[str, Locality]:
    """Every CY 2025 locality: ``MAC-locality`` -> (state, name, counties)."""
    counties = _counties()
    out = {}
    for g in read_gpci(PFS_DIR / "GPCI2025.csv"):
        locco_state, text = counties.get(g.locality, (g.state, ""))
        if locco_state != g.state:
            raise ValueError(f"{g.locality}: GPCI2025 says {g.state}, 25LOCCO1 says {locco_state}")
        out[g.locality] = Locality(g.state, g.name, text)
    return out


def locality_states() -> dict[str, str]:
    """``MAC-locality`` -> USPS state code, for the supplier-licence check."""
    return {code: loc.state for code, loc in load_localities().items()}
