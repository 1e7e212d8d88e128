"""Readers for the physician fee schedule inputs copied into ``data/pfs/`` (see its README.md).

Three shapes: CMS PPRRVU extracts (10 title lines, NON-FACILITY TOTAL in the 12th column),
per-code CSV extracts of derived JSON (work + non-facility PE + MP), and GPCI tables (CMS
Addendum E or extracts of derived JSON with the same column order). CMS files saved through
Excel lose leading zeros: MAC and locality are left-padded here (5 and 2 digits).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

PFS_DIR = Path(__file__).parent / "data" / "pfs"


@dataclass(frozen=True)
class Gpci:
    locality: str  # MAC-locality, padded
    state: str
    name: str
    work: Decimal
    pe: Decimal
    mp: Decimal


def pad_locality(mac: str, locality: str) -> str:
    """``1112``, ``5`` -> ``01112-05`` (CMS files lose leading zeros in Excel)."""
    mac, locality = mac.strip(), locality.strip()
    if not (mac.isdigit() and locality.isdigit() and len(mac) <= 5 and len(locality) <= 2):
        raise ValueError(f"not a MAC and locality number: {mac!r}, {locality!r}")
    return f"{mac.zfill(5)}-{locality.zfill(2)}"


def _rows(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def read_pprrvu(path: Path, codes: tuple[str, ...]) -> tuple[dict[str, Decimal], Decimal]:
    """Non-facility total RVUs of ``codes`` and the file's conversion factor (CMS PPRRVU layout).

    Checks that NON-FACILITY TOTAL = work + non-facility PE + MP for every code read.
    """
    totals: dict[str, Decimal] = {}
    factors: set[Decimal] = set()
    for row in _rows(path)[10:]:
        if len(row) < 25 or row[0] not in codes or row[1].strip():
            continue
        work, pe, mp, total = (Decimal(row[i]) for i in (5, 6, 10, 11))
        if work + pe + mp != total:
            raise ValueError(f"{path.name}: {row[0]} total {total} != {work} + {pe} + {mp}")
        totals[row[0]] = total
        factors.add(Decimal(row[24]))
    _require(path, codes, totals)
    if len(factors) != 1:
        raise ValueError(f"{path.name}: expected one conversion factor, found {sorted(factors)}")
    return totals, factors.pop()


def read_rvu_extract(path: Path, codes: tuple[str, ...]) -> dict[str, Decimal]:
    """Non-facility totals summed from a derived-JSON extract: work + pe_rvu_nonfac + mp."""
    with open(path, newline="", encoding="utf-8") as f:
        totals = {r["hcpcs"]: Decimal(r["work_rvu"]) + Decimal(r["pe_rvu_nonfac"]) + Decimal(r["mp_rvu"])
                  for r in csv.DictReader(f) if r["hcpcs"] in codes}
    _require(path, codes, totals)
    return totals


def read_gpci(path: Path) -> list[Gpci]:
    """Locality GPCIs: rows whose first cell is a MAC number (title lines and footnotes skipped)."""
    out = []
    for row in _rows(path):
        if len(row) < 7 or not row[0].strip().isdigit():
            continue
        name = row[3].strip().rstrip("*").strip()
        out.append(Gpci(pad_locality(row[0], row[2]), row[1].strip(), name,
                        Decimal(row[4]), Decimal(row[5]), Decimal(row[6])))
    if len({g.locality for g in out}) != len(out):
        raise ValueError(f"{path.name}: duplicate MAC-locality rows")
    return out


def _require(path: Path, codes: tuple[str, ...], found: dict[str, Decimal]) -> None:
    missing = [c for c in codes if c not in found]
    if missing:
        raise ValueError(f"{path.name}: codes missing: {', '.join(missing)}")
