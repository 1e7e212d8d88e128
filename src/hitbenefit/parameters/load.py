"""Read the parameter files (YAML) into ``Parameters``, strictly.

A typo must not silently drop a fact: unknown keys, duplicate keys and missing references are
errors that name the file and the key (STACK.md: OpenFisca's and PolicyEngine's traps).
"""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from hitbenefit.parameters.model import (
    CodedItem,
    DatedValue,
    GCode,
    HomeInfusionDrug,
    NocDrugCode,
    NocDrugName,
    Parameter,
    Parameters,
    ReasonSpec,
)

DATA = Path(__file__).parent / "data"
CONFIDENCE = {"P", "S", "I", "U"}


class ParameterError(ValueError):
    """A parameter file is malformed; the message names the file and the key."""


class _StrictLoader(yaml.SafeLoader):
    pass


def _no_duplicates(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise ParameterError(f"{node.start_mark.name}, line {key_node.start_mark.line + 1}: duplicate key {key!r}")
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)


def read_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        try:
            return yaml.load(handle, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
        except yaml.YAMLError as exc:
            raise ParameterError(f"{path}: not valid YAML: {exc}") from None
        except UnicodeDecodeError as exc:
            raise ParameterError(f"{path}: not UTF-8 text ({exc})") from None


def _keys(where: str, found: dict, required: set[str], optional: set[str] = frozenset()) -> None:
    if not isinstance(found, dict):
        raise ParameterError(f"{where}: expected a mapping, found {type(found).__name__}")
    unknown = set(found) - required - set(optional)
    if unknown:
        raise ParameterError(f"{where}: unknown key(s) {sorted(unknown)}")
    missing = required - set(found)
    if missing:
        raise ParameterError(f"{where}: missing key(s) {sorted(missing)}")
    if "confidence" in found and found["confidence"] not in CONFIDENCE:
        raise ParameterError(f"{where}: confidence must be one of P, S, I, U")
    if "reference" in found and not str(found["reference"]).strip():
        raise ParameterError(f"{where}: empty reference")


def _date(where: str, value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    raise ParameterError(f"{where}: expected a date YYYY-MM-DD, found {value!r}")


def _scalar(path: Path, name: str) -> Parameter:
    doc = read_yaml(path)
    _keys(str(path), doc, {"description", "unit", "values"})
    values = []
    for start, entry in sorted(doc["values"].items()):
        where = f"{path}, values.{start}"
        _date(where, start)
        _keys(where, entry, {"value", "reference", "confidence"})
        value = entry["value"]
        if isinstance(value, str) and doc["unit"] in ("fraction", "dollars"):
            value = Decimal(value)
        values.append(DatedValue(start, value, entry["reference"], entry["confidence"]))
    return Parameter(name, doc["description"], doc["unit"], tuple(values))


def _entries(path: Path) -> list[tuple[str, dict]]:
    doc = read_yaml(path)
    _keys(str(path), doc, {"description", "entries"})
    if not isinstance(doc["entries"], list):
        raise ParameterError(f"{path}: entries must be a list, found {type(doc['entries']).__name__}")
    return [(f"{path}, entry {i + 1}", entry) for i, entry in enumerate(doc["entries"])]


def _gcodes(path: Path) -> dict[str, GCode]:
    out = {}
    for where, e in _entries(path):
        _keys(where, e, {"code", "category", "visit_type", "short", "from", "to", "reference", "confidence"})
        if e["visit_type"] not in ("initial", "subsequent") or e["category"] not in (1, 2, 3):
            raise ParameterError(f"{where}: visit_type must be initial/subsequent and category 1, 2 or 3")
        out[e["code"]] = GCode(e["code"], e["category"], e["visit_type"], e["short"], _date(where, e["from"]),
                               _date(where, e["to"]), e["reference"], e["confidence"])
    return out


def _drugs(path: Path) -> dict[str, tuple[HomeInfusionDrug, ...]]:
    out: dict[str, list[HomeInfusionDrug]] = {}
    for where, e in _entries(path):
        _keys(where, e, {"code", "category", "name", "from", "to", "reference", "confidence"}, {"requires_modifier"})
        if e["category"] not in (1, 2, 3):
            raise ParameterError(f"{where}: category must be 1, 2 or 3")
        out.setdefault(e["code"], []).append(HomeInfusionDrug(
            e["code"], e["category"], e["name"], e.get("requires_modifier"), _date(where, e["from"]),
            _date(where, e["to"]), e["reference"], e["confidence"]))
    return {code: tuple(entries) for code, entries in out.items()}


def _noc_codes(path: Path) -> dict[str, NocDrugCode]:
    out = {}
    for where, e in _entries(path):
        _keys(where, e, {"code", "name", "category_with_jb", "from", "to", "reference", "confidence"})
        out[e["code"]] = NocDrugCode(e["code"], e["name"], e["category_with_jb"], _date(where, e["from"]),
                                     _date(where, e["to"]), e["reference"], e["confidence"])
    return out


def _noc_names_yaml(path: Path) -> dict[str, NocDrugName]:
    out = {}
    for where, e in _entries(path):
        _keys(where, e, {"name", "category", "reference", "confidence"})
        out[_noc_key(where, e["name"])] = NocDrugName(e["name"], _noc_category(where, e["category"]),
                                                      e["reference"], e["confidence"])
    return out


def _noc_key(where: str, name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ParameterError(f"{where}: field name: a drug name is required")
    return " ".join(name.lower().split())


def _noc_category(where: str, category: Any) -> int | None:
    if category in (1, 2, 3, "1", "2", "3"):
        return int(category)
    if category == "excluded":
        return None
    raise ParameterError(f"{where}: field category: must be 1, 2, 3 or excluded, not {category!r}")


def read_noc_names_csv(path: Path) -> dict[str, NocDrugName]:
    """A contractor's NOC table as CSV with the header ``name,category[,reference]``."""
    out = {}
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            if not reader.fieldnames or not {"name", "category"} <= set(reader.fieldnames):
                raise ParameterError(f"{path}: header must be name,category[,reference]")
            for row in reader:
                where = f"{path}, row {reader.line_num}"
                out[_noc_key(where, row["name"])] = NocDrugName(
                    row["name"].strip(), _noc_category(where, (row["category"] or "").strip()),
                    (row.get("reference") or f"contractor table {path.name}").strip(), "P")
    except (UnicodeDecodeError, csv.Error) as exc:  # bytes that are not UTF-8; a field over csv's size limit
        raise ParameterError(f"{path}: not a UTF-8 CSV file ({exc})") from None
    return out


def _items(path: Path, text_key: str) -> dict[str, CodedItem]:
    out = {}
    for where, e in _entries(path):
        _keys(where, e, {"code", text_key, "reference", "confidence"}, {"from", "to"})
        out[e["code"]] = CodedItem(e["code"], e[text_key], _date(where, e.get("from")), _date(where, e.get("to")),
                                   e["reference"], e["confidence"])
    return out


def _reasons(path: Path) -> dict[str, ReasonSpec]:
    out = {}
    for where, e in _entries(path):
        _keys(where, e, {"key", "outcome", "group", "carc", "rarc", "message", "citations", "code_basis"})
        if e["outcome"] not in ("rejected", "denied", "warning", "informational"):
            raise ParameterError(f"{where}: outcome must be rejected, denied, warning or informational")
        out[e["key"]] = ReasonSpec(e["key"], e["outcome"], e["group"], e["carc"], e["rarc"], e["message"].strip(),
                                   tuple(e["citations"]), e["code_basis"])
    return out


def _known_codes(path: Path) -> frozenset[str]:
    with path.open(encoding="utf-8") as handle:
        return frozenset(line.split(",", 1)[0].strip() for line in handle if line[:1].isalnum())


SCALARS = {
    "benefit_start": "benefit/start_date.yaml",
    "initial_visit_lookback_days": "visits/initial_visit_lookback_days.yaml",
    "drug_window_days": "drugs/drug_window_days.yaml",
    "units_minimum": "units/minimum.yaml",
    "units_maximum": "units/maximum.yaml",
    "minutes_per_unit": "units/minutes_per_unit.yaml",
    "coinsurance_rate": "cost_sharing/coinsurance_rate.yaml",
    "part_b_deductible": "cost_sharing/part_b_deductible.yaml",
    "sequestration_rate": "payment/sequestration_rate.yaml",
    "plan_review_interval_days": "plan_of_care/review_interval_days.yaml",
    "care_training_topics": "care/training_topics.yaml",
    "care_vital_sign_thresholds": "care/vital_sign_thresholds.yaml",
    "home_places_of_service": "places/home.yaml",
    "units_rounding": "units/rounding.yaml",
    "hha_not_enrolled_notice": "benefit/hha_not_enrolled_notice.yaml",
}


def load_parameters(data_dir: Path = DATA, noc_names: Path | None = None) -> Parameters:
    """Read every parameter file; ``noc_names`` (CSV or YAML) replaces the NOC name table."""
    scalars = {name: _scalar(data_dir / rel, name) for name, rel in SCALARS.items()}
    names = _noc_names_yaml(data_dir / "codes/noc_drug_names.yaml")
    names_source = "codes/noc_drug_names.yaml (seed)"
    if noc_names is not None:
        names = read_noc_names_csv(noc_names) if noc_names.suffix.lower() == ".csv" else _noc_names_yaml(noc_names)
        names_source = str(noc_names)
    return Parameters(
        scalars=scalars,
        gcodes=_gcodes(data_dir / "codes/hit_gcodes.yaml"),
        drugs=_drugs(data_dir / "codes/home_infusion_drugs.yaml"),
        noc_codes=_noc_codes(data_dir / "codes/noc_drug_codes.yaml"),
        noc_names=names,
        excluded_drugs=_items(data_dir / "codes/excluded_drugs.yaml", "why"),
        dme_items=_items(data_dir / "codes/dme_items.yaml", "what"),
        reasons=_reasons(data_dir / "reasons.yaml"),
        known_codes=_known_codes(data_dir / "codes/hcpcs_level2_known.csv"),
        sources={"noc_names": names_source},
    )


@lru_cache(maxsize=1)
def bundled_parameters() -> Parameters:
    """The parameters shipped with hitbenefit (read once per process)."""
    return load_parameters()


def accrediting_organizations(data_dir: Path = DATA) -> dict[str, CodedItem]:
    """The HIT accrediting organizations with their approval terms where known (FAQ 3; RULES SUP-10)."""
    return _items(data_dir / "supplier/accrediting_organizations.yaml", "name")


def hit_gcodes() -> dict[str, tuple[int, str]]:
    """The six HIT G-codes -> (payment category, visit type), from ``codes/hit_gcodes.yaml`` (FAQ 23)."""
    return {code: (g.category, g.visit_type) for code, g in sorted(bundled_parameters().gcodes.items())}
