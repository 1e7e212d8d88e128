"""Rate and GAF files (CONTRACT §6) and the rate books built from them.

* A rate file is CSV ``year,locality,hcpcs,amount`` (+ optional ``status``, ``source``); locality is
  ``national`` or ``MAC-locality`` (stripped zeros are padded: ``1112-5`` -> ``01112-05``).
* A GAF file is CSV ``year,locality,gaf`` (+ optional ``status``, ``source``).
* :func:`load_bundled_ratebook` reads the bundled tables (``data/<year>/``) and the user data
  directory (``$HITBENEFIT_HOME/rates`` or ``~/.local/share/hitbenefit/rates``), where
  ``hitbenefit rates import`` writes CMS's official tables; an official user table beats a bundled
  estimate for the same year.
* :func:`load_ratebook` applies ``--rates`` / ``--gaf`` files on top for one run (CONTRACT §7).

Errors raise :class:`RateFileError` naming the file, row and field.
"""

from __future__ import annotations

import csv
import functools
import os
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml

from hitbenefit.parameters.load import hit_gcodes
from hitbenefit.rates.model import ESTIMATE, OFFICIAL, STATUSES, RateBook, RateTable
from hitbenefit.rates.pfs import pad_locality

BUNDLED_DIR = Path(__file__).parent / "data"
RATE_FIELDS = ("year", "locality", "hcpcs", "amount")
GAF_FIELDS = ("year", "locality", "gaf")
OPTIONAL_FIELDS = ("status", "source")
_LOCALITY = re.compile(r"^(\d{1,5})-(\d{1,2})$")
_AMOUNT = re.compile(r"^-?\d+(\.\d+)?$")


class RateFileError(ValueError):
    """A rate, GAF or provenance file that cannot be used; the message names file, row and field."""


def _fail(path: Path | str, row: int | None, fieldname: str | None, message: str) -> RateFileError:
    where = str(path) + (f", row {row}" if row is not None else "") + (f", field {fieldname}" if fieldname else "")
    return RateFileError(f"{where}: {message}")


# -- field parsers (each raises RateFileError with file/row/field) ---------------------------

def normalize_locality(value: str, *, allow_national: bool = True) -> str:
    """``national`` or ``MAC-locality`` padded to 5 and 2 digits; ValueError otherwise."""
    text = value.strip()
    if allow_national and text.lower() == "national":
        return "national"
    m = _LOCALITY.match(text)
    if not m:
        expected = "'national' or MAC-locality like 01112-54" if allow_national else "MAC-locality like 01112-54"
        raise ValueError(f"{value!r} is not {expected}")
    return pad_locality(m.group(1), m.group(2))


def parse_amount(value: str) -> Decimal:
    """A non-negative dollar amount with at most two decimals; ValueError otherwise."""
    text = value.strip()
    if not _AMOUNT.match(text):
        raise ValueError(f"{value!r} is not a dollar amount")
    amount = Decimal(text)
    if amount < 0:
        raise ValueError(f"{value!r} is negative")
    if amount.as_tuple().exponent < -2:
        raise ValueError(f"{value!r} has more than two decimals")
    return amount.quantize(Decimal("0.01"))


def parse_gaf(value: str) -> Decimal:
    """A positive GAF with at most four decimals; ValueError otherwise."""
    text = value.strip()
    try:
        gaf = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a number") from None
    if not gaf.is_finite() or not _AMOUNT.match(text) or gaf <= 0 or gaf >= 10:
        raise ValueError(f"{value!r} is not a GAF (a number above 0 and below 10)")
    if gaf.as_tuple().exponent < -4:
        raise ValueError(f"{value!r} has more than four decimals")
    return gaf


def _parse_year(value: str) -> int:
    text = value.strip()
    if not (len(text) == 4 and text.isdigit()):
        raise ValueError(f"{value!r} is not a calendar year")
    return int(text)


def _parse_hcpcs(value: str) -> str:
    code = value.strip().upper()
    if code not in hit_gcodes():
        raise ValueError(f"{value!r} is not a HIT G-code ({', '.join(hit_gcodes())})")
    return code


def _parse_status(value: str) -> str:
    text = value.strip().lower()
    if text == "":
        return OFFICIAL
    if text not in STATUSES:
        raise ValueError(f"{value!r} is not one of {', '.join(STATUSES)}")
    return text


# -- reading ---------------------------------------------------------------------------------

@dataclass
class YearRows:
    """What one file says about one year."""

    national: dict[str, Decimal] = field(default_factory=dict)
    locality: dict[tuple[str, str], Decimal] = field(default_factory=dict)
    gaf: dict[str, Decimal] = field(default_factory=dict)
    statuses: set[str] = field(default_factory=set)
    sources: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        """Any estimate row makes the year an estimate."""
        return ESTIMATE if ESTIMATE in self.statuses else OFFICIAL


def _read_csv(path: Path, required: tuple[str, ...]) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            lines = list(csv.reader(f))
    except OSError as exc:
        raise _fail(path, None, None, f"cannot read: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise _fail(path, None, None, f"not a UTF-8 CSV file ({exc})") from None
    if not lines:
        raise _fail(path, 1, None, f"empty file; expected the header {','.join(required)}")
    header = [h.strip().lower() for h in lines[0]]
    for name in header:
        if name not in required and name not in OPTIONAL_FIELDS:
            raise _fail(path, 1, name or "(blank)", f"unknown column; allowed: {', '.join(required + OPTIONAL_FIELDS)}")
    for name in required:
        if name not in header:
            raise _fail(path, 1, name, f"missing column; the header must include {','.join(required)}")
    if len(set(header)) != len(header):
        raise _fail(path, 1, None, "duplicate column names")
    rows = []
    for number, cells in enumerate(lines[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            raise _fail(path, number, None, f"{len(cells)} cells, the header has {len(header)}")
        rows.append((number, dict(zip(header, cells))))
    if not rows:
        raise _fail(path, None, None, "no data rows")
    return header, rows


def _cell(path: Path, number: int, row: dict[str, str], name: str, parse):
    try:
        return parse(row.get(name, ""))
    except ValueError as exc:
        raise _fail(path, number, name, str(exc)) from None


def read_rates(path: Path | str) -> dict[int, YearRows]:
    """Read a CONTRACT §6 rate file into per-year rows."""
    path = Path(path)
    _, rows = _read_csv(path, RATE_FIELDS)
    years: dict[int, YearRows] = {}
    for number, row in rows:
        year = _cell(path, number, row, "year", _parse_year)
        locality = _cell(path, number, row, "locality", normalize_locality)
        hcpcs = _cell(path, number, row, "hcpcs", _parse_hcpcs)
        amount = _cell(path, number, row, "amount", parse_amount)
        ys = years.setdefault(year, YearRows())
        ys.statuses.add(_cell(path, number, row, "status", _parse_status))
        _add_source(ys, row)
        target, key = (ys.national, hcpcs) if locality == "national" else (ys.locality, (locality, hcpcs))
        if key in target:
            raise _fail(path, number, "hcpcs", f"duplicate row for {year} {locality} {hcpcs}")
        target[key] = amount
    return years


def read_gafs(path: Path | str) -> dict[int, YearRows]:
    """Read a CONTRACT §6 GAF file into per-year rows."""
    path = Path(path)
    _, rows = _read_csv(path, GAF_FIELDS)
    years: dict[int, YearRows] = {}
    for number, row in rows:
        year = _cell(path, number, row, "year", _parse_year)
        locality = _cell(path, number, row, "locality", lambda v: normalize_locality(v, allow_national=False))
        value = _cell(path, number, row, "gaf", parse_gaf)
        ys = years.setdefault(year, YearRows())
        ys.statuses.add(_cell(path, number, row, "status", _parse_status))
        _add_source(ys, row)
        if locality in ys.gaf:
            raise _fail(path, number, "locality", f"duplicate row for {year} {locality}")
        ys.gaf[locality] = value
    return years


def _add_source(ys: YearRows, row: dict[str, str]) -> None:
    source = row.get("source", "").strip()
    if source and source not in ys.sources:
        ys.sources.append(source)


# -- writing ---------------------------------------------------------------------------------

def write_rates(path: Path | str, year: int, national: dict[str, Decimal],
                locality: dict[tuple[str, str], Decimal] | None = None) -> None:
    """Write a CONTRACT §6 rate file (national rows first, then locality rows, sorted)."""
    lines = ["year,locality,hcpcs,amount"]
    lines += [f"{year},national,{code},{parse_amount(str(a))}" for code, a in national.items()]
    lines += [f"{year},{loc},{code},{parse_amount(str(a))}" for (loc, code), a in sorted((locality or {}).items())]
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_gafs(path: Path | str, year: int, gafs: dict[str, Decimal]) -> None:
    """Write a CONTRACT §6 GAF file, sorted by locality."""
    lines = ["year,locality,gaf"] + [f"{year},{loc},{g}" for loc, g in sorted(gafs.items())]
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")


# -- tables from folders -----------------------------------------------------------------------

def user_data_dir() -> Path:
    """Where imported tables live: ``$HITBENEFIT_HOME/rates`` or ``~/.local/share/hitbenefit/rates``."""
    home = os.environ.get("HITBENEFIT_HOME")
    return Path(home) / "rates" if home else Path.home() / ".local" / "share" / "hitbenefit" / "rates"


def read_provenance(path: Path) -> dict:
    """A table's provenance.yaml; it must say its year, status and source."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise _fail(path, None, None, f"cannot read provenance: {exc}") from None
    if not isinstance(data, dict):
        raise _fail(path, None, None, "provenance must be a mapping")
    for key in ("year", "status", "source"):
        if key not in data:
            raise _fail(path, None, key, "missing")
    if data["status"] not in STATUSES:
        raise _fail(path, None, "status", f"{data['status']!r} is not one of {', '.join(STATUSES)}")
    return data


def load_table_dir(folder: Path) -> RateTable:
    """One year's table from a folder holding rates.csv, gaf.csv and provenance.yaml."""
    prov = read_provenance(folder / "provenance.yaml")
    year = int(prov["year"])
    rates = read_rates(folder / "rates.csv") if _has_rows(folder / "rates.csv") else {year: YearRows()}
    gafs = read_gafs(folder / "gaf.csv") if _has_rows(folder / "gaf.csv") else {year: YearRows()}
    for name, found in (("rates.csv", rates), ("gaf.csv", gafs)):
        if set(found) != {year}:
            raise _fail(folder / name, None, "year", f"holds years {sorted(found)}, provenance says {year}")
    rows = rates[year]
    assumptions = prov.get("assumptions") or {}
    return RateTable(
        year=year, source=str(prov["source"]), status=prov["status"],
        national=dict(rows.national), locality=dict(rows.locality), gaf=dict(gafs[year].gaf),
        gaf_source=str(prov.get("gaf_method") or prov.get("gaf_source") or prov["source"]),
        notes=" ".join(str(n) for n in prov.get("notes") or []),
        method=str(prov.get("method", "")),
        substitutions=tuple(str(s) for s in prov.get("substitutions") or []),
        assumptions=tuple(_assumption(k, v) for k, v in assumptions.items()),
    )


def _assumption(key: str, value) -> str:
    if not isinstance(value, dict):
        return f"{key} = {value}"
    values = ", ".join(f"{k} {v}" if k != "value" else str(v) for k, v in value.items() if k != "label")
    return f"{key} = {values}: {value.get('label', '')}".strip()


def _has_rows(path: Path) -> bool:
    try:
        return len(path.read_text(encoding="utf-8").strip().splitlines()) > 1
    except OSError:
        return False


def _year_dirs(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.is_dir() and p.name.isdigit() and (p / "provenance.yaml").exists())


@functools.lru_cache(maxsize=8)
def _bundled_book(user_dir: str) -> RateBook:
    tables = {t.year: t for t in (load_table_dir(d) for d in _year_dirs(BUNDLED_DIR))}
    for folder in _year_dirs(Path(user_dir)):
        table = load_table_dir(folder)
        if table.status == OFFICIAL or table.year not in tables:
            tables[table.year] = table
    return RateBook(tables)


def load_bundled_ratebook() -> RateBook:
    """Bundled estimates plus user-imported tables (official user tables win); cached."""
    return _bundled_book(str(user_data_dir()))


load_bundled_ratebook.cache_clear = _bundled_book.cache_clear  # type: ignore[attr-defined]


def load_ratebook(rates_path: Path | str | None = None, gaf_path: Path | str | None = None) -> RateBook:
    """The bundled book with ``--rates`` and ``--gaf`` files applied for this run (CONTRACT §7).

    A year in the rates file replaces that year's amounts (national and locality rows); a year in the
    GAF file replaces that year's GAFs; a year with user rates but no user GAFs keeps the bundled GAFs.
    User rows are official unless a ``status`` column says estimate.
    """
    base = load_bundled_ratebook()
    if rates_path is None and gaf_path is None:
        return base
    user_rates = read_rates(rates_path) if rates_path is not None else {}
    user_gafs = read_gafs(gaf_path) if gaf_path is not None else {}
    tables: dict[int, RateTable] = {}
    for year in sorted(set(user_rates) | set(user_gafs)):
        old = base.table(year)
        r, g = user_rates.get(year), user_gafs.get(year)
        if g is not None:
            gaf, gaf_source = g.gaf, f"{Path(gaf_path).name} ({g.status}; replaces the bundled GAFs)"
        elif old is not None:
            gaf = dict(old.gaf)
            gaf_source = (f"bundled {year} GAFs kept ({old.status}: {old.source}); "
                          f"{Path(gaf_path).name if gaf_path else 'no --gaf file'} has no {year} rows")
        else:
            gaf, gaf_source = {}, f"no GAFs for {year}"
        if r is not None:
            source = "; ".join(r.sources) or f"{Path(rates_path).name} (user rate file)"
            tables[year] = RateTable(year, source, r.status, dict(r.national), dict(r.locality), gaf, gaf_source,
                                     notes=f"Rates from {Path(rates_path).name} replace the bundled {year} amounts.")
        elif old is not None:
            tables[year] = RateTable(old.year, old.source, old.status, old.national, old.locality, gaf, gaf_source,
                                     old.notes, old.method, old.substitutions, old.assumptions)
        else:
            tables[year] = RateTable(year, f"no {year} rate amounts; GAFs from {Path(gaf_path).name}", g.status,
                                     {}, {}, gaf, gaf_source)
    return base.replaced(tables)
