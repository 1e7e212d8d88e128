"""Run a scenario file: claims (merged onto the base claim), the history before them, the expected decisions."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from hitbenefit.claims.read_json import claim_from_json
from hitbenefit.engine.adjudicate import adjudicate_batch
from hitbenefit.engine.tables import Tables
from hitbenefit.parameters.load import bundled_parameters
from hitbenefit.rates.localities import locality_states
from hitbenefit.rates.model import RateBook, RateTable

HERE = Path(__file__).parent
ABSENT = "<absent>"
CLAIM_START = "<claim-start>"
SCENARIO_KEYS = {"title", "faq", "rules", "note", "rates", "history", "claims", "expect"}


def load_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


BASE = load_yaml(HERE / "_base.yaml")


def merge(base: Any, over: Any) -> Any:
    """Objects merge key by key, anything else replaces; the value "<absent>" removes the key."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = copy.deepcopy(base)
        for key, value in over.items():
            if value == ABSENT:
                out.pop(key, None)
            else:
                out[key] = merge(out.get(key), value)
        return out
    return copy.deepcopy(over)


def with_claim_start(claim: dict) -> dict:
    """Put the claim's earliest service date where the base says "<claim-start>"."""
    plan = claim.get("plan_of_care")
    if isinstance(plan, dict) and plan.get("last_reviewed") == CLAIM_START:
        dates = [str(line["service_date"]) for line in claim.get("lines", []) if "service_date" in line]
        plan["last_reviewed"] = min(dates) if dates else None
    return claim


def as_json(value: Any) -> Any:
    """YAML values as the JSON a user would send: dates as text, numbers as exact decimals."""
    return json.loads(json.dumps(value, default=str), parse_float=Decimal)


def rate_book(tables: list[dict]) -> RateBook:
    built = {}
    for t in tables:
        built[t["year"]] = RateTable(
            year=t["year"], source=t.get("source", "scenario table"), status=t.get("status", "official"),
            national={code: Decimal(str(v)) for code, v in t.get("national", {}).items()},
            locality={(loc, code): Decimal(str(v)) for loc, codes in t.get("locality", {}).items()
                      for code, v in codes.items()},
            gaf={loc: Decimal(str(v)) for loc, v in t.get("gaf", {}).items()})
    return RateBook(built)


@dataclass
class Scenario:
    path: Path
    doc: dict

    @property
    def name(self) -> str:
        return str(self.path.relative_to(HERE))

    def claims(self, key: str) -> list:
        return [claim_from_json(as_json(with_claim_start(merge(BASE["claim"], c))), self.name, i + 1)
                for i, c in enumerate(self.doc.get(key) or [])]

    def tables(self) -> Tables:
        return Tables(bundled_parameters(), rate_book(self.doc.get("rates", BASE["rates"])), locality_states())

    def run(self) -> list:
        return adjudicate_batch(self.claims("claims"), self.tables(), self.claims("history"))


def all_scenarios() -> list[Scenario]:
    return [Scenario(p, load_yaml(p)) for p in sorted(HERE.rglob("*.yaml")) if not p.name.startswith("_")]


MONEY = ("allowed", "deductible", "coinsurance", "sequestration", "paid")


def check(scenario: Scenario) -> list[str]:
    """Every difference between the scenario's expectations and the engine's decisions."""
    problems = []
    unknown = set(scenario.doc) - SCENARIO_KEYS
    if unknown:
        problems.append(f"unknown scenario keys {sorted(unknown)}")
    decisions = {d.claim_id: d for d in scenario.run()}
    for want in scenario.doc["expect"]:
        got = decisions.get(want["claim_id"])
        if got is None:
            problems.append(f"no decision for claim {want['claim_id']}")
            continue
        where = want["claim_id"]
        if "status" in want and got.status != want["status"]:
            problems.append(f"{where}: status {got.status}, expected {want['status']}")
        for key, value in (want.get("totals") or {}).items():
            if got.totals[key] != Decimal(str(value)):
                problems.append(f"{where}: totals.{key} {got.totals[key]}, expected {value}")
        lines = {line.line: line for line in got.lines}
        for wl in want.get("lines", []):
            line = lines.get(wl["line"])
            if line is None:
                problems.append(f"{where} line {wl['line']}: missing")
                continue
            at = f"{where} line {wl['line']}"
            if "status" in wl and line.status != wl["status"]:
                problems.append(f"{at}: status {line.status}, expected {wl['status']} ({[r.key for r in line.reasons]})")
            if "reasons" in wl and sorted(r.key for r in line.reasons) != sorted(wl["reasons"]):
                problems.append(f"{at}: reasons {sorted(r.key for r in line.reasons)}, expected {sorted(wl['reasons'])}")
            for key in ("visit_type", "category"):
                if key in wl and getattr(line, key) != wl[key]:
                    problems.append(f"{at}: {key} {getattr(line, key)}, expected {wl[key]}")
            for key in MONEY:
                if key in wl:
                    expected = None if wl[key] is None else Decimal(str(wl[key]))
                    if getattr(line, key) != expected:
                        problems.append(f"{at}: {key} {getattr(line, key)}, expected {wl[key]}")
    return problems
