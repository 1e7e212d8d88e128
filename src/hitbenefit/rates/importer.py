"""Import CMS's published HIT rate files (CSV, as CMS posts them) as official tables.

CMS publishes, per calendar year, national unadjusted rates and locality-adjusted rates with the
GAFs (RULES PAY-6, PAY-10, PAY-11). The files may carry title lines above the header row, which is
found by its column names; MAC and locality codes stripped of leading zeros (Excel) are padded.
Recognised columns (case-insensitive):

* ``HCPCS`` / ``HCPCS Code`` / ``Code`` with ``National Unadjusted Rate`` / ``National Rate``
  (any header with "national" and "rate"/"amount"/"payment");
* ``MAC`` / ``Contractor`` / ``Carrier`` with ``Locality`` and optionally ``GAF``, and either one
  column per G-code (a header containing ``G0068`` ...) or a ``HCPCS`` column with a
  locality-adjusted amount column (a header with "adjusted" or "locality" and "rate"/"amount").

The year comes from ``--year``, else the title lines (``CY 2025``), else the file name. Tables are
written to the user data directory, where :func:`~hitbenefit.rates.files.load_bundled_ratebook`
prefers them over the bundled estimates.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import yaml

from hitbenefit.parameters.load import hit_gcodes
from hitbenefit.rates.files import (
    RateFileError, YearRows, _fail, _has_rows, load_bundled_ratebook, normalize_locality, parse_amount, parse_gaf,
    read_gafs, read_provenance, read_rates, user_data_dir, write_gafs, write_rates,
)
from hitbenefit.rates.model import OFFICIAL

_CODE = re.compile(r"\b(G00(?:68|69|70|88|89|90))\b", re.I)
_YEAR_IN_TITLE = re.compile(r"\b(?:CY|calendar year)\s*(20\d\d)\b", re.I)
_YEAR = re.compile(r"(?<!\d)(20\d\d)(?!\d)")


def _norm(cell: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9/ -]", " ", cell.lower()).split())


@dataclass
class Columns:
    """Which column holds what, found from the header row."""

    hcpcs: int | None = None
    national: int | None = None
    mac: int | None = None
    locality: int | None = None
    gaf: int | None = None
    adjusted: int | None = None
    wide: dict[str, int] = field(default_factory=dict)  # G-code -> column of its locality amount

    @classmethod
    def from_header(cls, cells: list[str]) -> "Columns":
        c = cls()
        for i, raw in enumerate(cells):
            h = _norm(raw)
            code = _CODE.search(raw)
            if code:
                c.wide.setdefault(code.group(1).upper(), i)
            elif h in ("hcpcs", "hcpcs code", "code", "g-code", "g code", "hcpcs/cpt", "hcpcs cd"):
                c.hcpcs = i
            elif "national" in h and any(w in h for w in ("rate", "amount", "payment")):
                c.national = i
            elif h in ("mac", "carrier", "contractor", "mac number", "carrier number", "contractor number") \
                    or "administrative contractor" in h or h.startswith("mac "):
                c.mac = i
            elif h == "gaf" or h.startswith("gaf ") or "geographic adjustment factor" in h:
                c.gaf = i
            elif "locality" in h and not any(w in h for w in ("name", "rate", "amount", "description")):
                c.locality = i
            elif any(w in h for w in ("adjusted", "locality")) and any(w in h for w in ("rate", "amount")):
                c.adjusted = i
        return c

    @property
    def is_header(self) -> bool:
        national = self.hcpcs is not None and self.national is not None
        local = self.mac is not None and self.locality is not None and (
            bool(self.wide) or self.gaf is not None or (self.hcpcs is not None and self.adjusted is not None))
        return national or local


def _money(path: Path, row: int, name: str, value: str) -> Decimal:
    try:
        return parse_amount(value.replace("$", "").replace(",", "").strip())
    except ValueError as exc:
        raise _fail(path, row, name, str(exc)) from None


def read_cms_file(path: Path | str, year: int | None = None) -> tuple[int, YearRows]:
    """Read one CMS HIT rate file (national or locality layout) into one year's rows."""
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8-sig", errors="strict") as f:
            lines = list(csv.reader(f))
    except OSError as exc:
        raise _fail(path, None, None, f"cannot read: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise _fail(path, None, None, f"not a UTF-8 CSV file ({exc})") from None
    for index, cells in enumerate(lines[:40]):
        cols = Columns.from_header(cells)
        if cols.is_header:
            break
    else:
        raise _fail(path, None, None, "no header row found: expected columns such as HCPCS and "
                                      "'National Unadjusted Rate', or MAC, Locality, GAF and G-code amounts")
    year = year or _year(path, lines[:index])
    header, rows = lines[index], YearRows(statuses={OFFICIAL}, sources=[path.name])
    for number, cells in enumerate(lines[index + 1:], start=index + 2):
        cells = cells + [""] * (len(header) - len(cells))
        if not any(c.strip() for c in cells):
            continue
        _read_row(path, number, header, cols, cells, rows)
    if not (rows.national or rows.locality or rows.gaf):
        raise _fail(path, None, None, "no rate rows under the header")
    return year, rows


def _read_row(path: Path, number: int, header: list[str], cols: Columns, cells: list[str], out: YearRows) -> None:
    name = lambda i: header[i].strip() or f"column {i + 1}"  # noqa: E731
    hcpcs = cells[cols.hcpcs].strip().upper() if cols.hcpcs is not None else ""
    locality = None
    if cols.mac is not None and cols.locality is not None:
        mac, loc = cells[cols.mac].strip(), cells[cols.locality].strip()
        if not mac and not loc or (mac and not mac.isdigit() and not hcpcs):
            return  # a footnote or a state sub-heading, not data
        try:
            locality = normalize_locality(f"{mac}-{loc}", allow_national=False)
        except ValueError:
            raise _fail(path, number, name(cols.locality), f"{mac!r} / {loc!r} is not a MAC and locality number") from None
    elif hcpcs and not re.fullmatch(r"[A-Z0-9]\d{3}[A-Z0-9]", hcpcs):
        return  # a footnote line under the table
    if hcpcs and hcpcs not in hit_gcodes():
        raise _fail(path, number, name(cols.hcpcs), f"{hcpcs!r} is not a HIT G-code ({', '.join(hit_gcodes())})")
    if hcpcs and cols.national is not None and cells[cols.national].strip():
        out.national[hcpcs] = _money(path, number, name(cols.national), cells[cols.national])
    if locality is None:
        return
    if cols.gaf is not None and cells[cols.gaf].strip():
        try:
            out.gaf[locality] = parse_gaf(cells[cols.gaf])
        except ValueError as exc:
            raise _fail(path, number, name(cols.gaf), str(exc)) from None
    for code, i in cols.wide.items():
        if cells[i].strip():
            out.locality[(locality, code)] = _money(path, number, name(i), cells[i])
    if hcpcs and cols.adjusted is not None and cells[cols.adjusted].strip():
        out.locality[(locality, hcpcs)] = _money(path, number, name(cols.adjusted), cells[cols.adjusted])


def _year(path: Path, title_lines: list[list[str]]) -> int:
    text = " ".join(c for line in title_lines for c in line)
    for pattern in (_YEAR_IN_TITLE, _YEAR):
        m = pattern.search(text) or pattern.search(path.name)
        if m:
            return int(m.group(1))
    raise _fail(path, None, None, "cannot tell the calendar year from the title lines or file name; pass --year")


def import_files(paths: list[Path | str], year: int | None = None, out_dir: Path | str | None = None,
                 today: dt.date | None = None) -> list[Path]:
    """Import CMS files; write ``<out>/<year>/`` (rates.csv, gaf.csv, provenance.yaml) per year.

    Files of the same year are merged (e.g. a national file and a locality file), also with an
    official table already imported into that folder. Returns the folders written.
    """
    out = Path(out_dir) if out_dir is not None else user_data_dir()
    merged: dict[int, YearRows] = {}
    for p in paths:
        y, rows = read_cms_file(p, year)
        into = merged.setdefault(y, YearRows(statuses={OFFICIAL}))
        into.national.update(rows.national)
        into.locality.update(rows.locality)
        into.gaf.update(rows.gaf)
        into.sources += [s for s in rows.sources if s not in into.sources]
    written = []
    for y, rows in sorted(merged.items()):
        folder = out / str(y)
        _merge_existing(folder, y, rows)
        folder.mkdir(parents=True, exist_ok=True)
        write_rates(folder / "rates.csv", y, rows.national, rows.locality)
        write_gafs(folder / "gaf.csv", y, rows.gaf)
        provenance = {
            "year": y,
            "status": OFFICIAL,
            "source": "CMS published HIT rate file(s): " + ", ".join(rows.sources),
            "files": rows.sources,
            "imported": (today or dt.date.today()).isoformat(),
            "method": "Imported as published by CMS (hitbenefit rates import); MAC and locality codes "
                      "left-padded to 5 and 2 digits; amounts unchanged.",
            "substitutions": [],
            "notes": [f"{len(rows.national)} national rows, {len(rows.locality)} locality rows, "
                      f"{len(rows.gaf)} GAFs."],
        }
        (folder / "provenance.yaml").write_text(yaml.safe_dump(provenance, sort_keys=False), encoding="utf-8")
        written.append(folder)
    load_bundled_ratebook.cache_clear()  # type: ignore[attr-defined]
    return written


def _merge_existing(folder: Path, year: int, rows: YearRows) -> None:
    """Keep rows of an earlier import of the same year that this import does not replace."""
    if not (folder / "provenance.yaml").exists():
        return
    try:
        prov = read_provenance(folder / "provenance.yaml")
        if prov["status"] != OFFICIAL:
            return
        old = read_rates(folder / "rates.csv").get(year, YearRows()) if _has_rows(folder / "rates.csv") else YearRows()
        old_gaf = read_gafs(folder / "gaf.csv").get(year, YearRows()) if _has_rows(folder / "gaf.csv") else YearRows()
    except (RateFileError, OSError):
        return
    rows.national = {**old.national, **rows.national}
    rows.locality = {**old.locality, **rows.locality}
    rows.gaf = {**old_gaf.gaf, **rows.gaf}
    rows.sources = [s for s in prov.get("files", []) if s not in rows.sources] + rows.sources
