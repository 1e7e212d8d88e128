"""docs/faq-traceability.md stays true: FAQ questions 1-26 -> rule ids -> scenario files.

The table is parsed, then checked against the rule catalogue and the scenario files: every
question has a row, every named rule and scenario exists, every scenario's `faq:` questions name
it in their rows, and a row without scenarios says why the question is out of a claim's scope.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hitbenefit.engine.adjudicate import all_rules
from tests.scenarios.runner import HERE as SCENARIO_DIR
from tests.scenarios.runner import all_scenarios

DOC = Path(__file__).resolve().parents[1] / "docs" / "faq-traceability.md"
QUESTIONS = range(1, 27)
HEADER = ("faq", "question (short)", "rule ids", "scenario files", "out of a claim's scope")
TICKED = re.compile(r"`([^`]+)`")
NONE = {"", "—", "-"}


def parse_table(text: str) -> dict[int, dict[str, object]]:
    """The rows of the first table whose header is HEADER, by question number."""
    rows: dict[int, dict[str, object]] = {}
    in_table = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line.startswith("|"):
            if in_table:
                break
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        if not in_table:
            if tuple(c.lower() for c in cells) == HEADER:
                in_table = True
            continue
        if set("".join(cells)) <= set("-: "):
            continue  # the |---| separator
        if len(cells) != len(HEADER):
            raise ValueError(f"row with {len(cells)} cells, expected {len(HEADER)}: {line}")
        number = int(cells[0])
        if number in rows:
            raise ValueError(f"question {number} has two rows")
        rows[number] = {
            "title": cells[1],
            "rules": TICKED.findall(cells[2]),
            "scenarios": TICKED.findall(cells[3]),
            "out_of_scope": "" if cells[4] in NONE else cells[4],
            "raw_rules": cells[2],
            "raw_scenarios": cells[3],
        }
    if not in_table:
        raise ValueError(f"no table with the header {HEADER}")
    return rows


def problems(rows: dict[int, dict], rule_ids: set[str], scenario_faqs: dict[str, list[int]],
             scenario_rules: dict[str, list[str]], scenario_dir: Path) -> list[str]:
    """Everything wrong with the table, as sentences (empty when the doc is in step)."""
    out = []
    for q in QUESTIONS:
        if q not in rows:
            out.append(f"FAQ {q}: no row")
    for q, row in sorted(rows.items()):
        if q not in QUESTIONS:
            out.append(f"FAQ {q}: not a question of the FAQ (1-26)")
        if not row["title"]:
            out.append(f"FAQ {q}: no short title")
        if row["raw_rules"] not in NONE and not row["rules"]:
            out.append(f"FAQ {q}: rule ids must be in backticks: {row['raw_rules']!r}")
        if row["raw_scenarios"] not in NONE and not row["scenarios"]:
            out.append(f"FAQ {q}: scenario files must be in backticks: {row['raw_scenarios']!r}")
        for rid in row["rules"]:
            if rid not in rule_ids:
                out.append(f"FAQ {q}: rule id {rid} is not in the catalogue")
        for name in row["scenarios"]:
            if not (scenario_dir / name).is_file():
                out.append(f"FAQ {q}: scenario file {name} does not exist")
            elif q not in scenario_faqs.get(name, []):
                out.append(f"FAQ {q}: {name} is named here but its faq: is {scenario_faqs.get(name)}")
        if not row["scenarios"] and not row["out_of_scope"]:
            out.append(f"FAQ {q}: no scenario and no reason why the question is out of a claim's scope")
    for name, faqs in sorted(scenario_faqs.items()):
        for q in faqs:
            if q not in rows:
                continue  # reported above as a missing row
            if name not in rows[q]["scenarios"]:
                out.append(f"{name}: faq: lists {q}, but the FAQ {q} row does not name it")
    for name, rids in sorted(scenario_rules.items()):
        for rid in rids:
            if rid not in rule_ids:
                out.append(f"{name}: rules: names {rid}, which is not in the catalogue")
    return out


def _scenario_facts() -> tuple[dict[str, list[int]], dict[str, list[str]]]:
    scenarios = all_scenarios()
    faqs = {s.name: [int(q) for q in (s.doc.get("faq") or [])] for s in scenarios}
    rules = {s.name: [str(r) for r in (s.doc.get("rules") or [])] for s in scenarios}
    return faqs, rules


RULE_IDS = {info.id for info in all_rules()}


def test_doc_matches_rules_and_scenarios():
    faqs, rules = _scenario_facts()
    rows = parse_table(DOC.read_text(encoding="utf-8"))
    assert problems(rows, RULE_IDS, faqs, rules, SCENARIO_DIR) == []


# The checks themselves must be able to fail: each broken copy of the doc is caught.

def _broken(old: str, new: str, count: int = 1) -> str:
    text = DOC.read_text(encoding="utf-8")
    assert old in text, f"fixture text {old!r} not in the doc"
    return text.replace(old, new, count)


@pytest.mark.parametrize("old, new, expected", [
    ("| 26 | Medicare Advantage plans |", "| 27 | Medicare Advantage plans |", "FAQ 26: no row"),
    ("`COV-1`", "`COV-99`", "rule id COV-99 is not in the catalogue"),
    ("`medicare_advantage/ma_ended_before_service_date.yaml`",
     "`medicare_advantage/no_such_file.yaml`", "no_such_file.yaml does not exist"),
    ("`medicare_advantage/ma_ended_before_service_date.yaml`<br>", "",
     "ma_ended_before_service_date.yaml: faq: lists 26, but the FAQ 26 row does not name it"),
])
def test_a_stale_doc_fails(old, new, expected):
    faqs, rules = _scenario_facts()
    rows = parse_table(_broken(old, new))
    found = problems(rows, RULE_IDS, faqs, rules, SCENARIO_DIR)
    assert any(expected in p for p in found), found


def test_a_row_without_scenarios_needs_a_reason():
    rows = {q: {"title": "t", "rules": [], "scenarios": [], "out_of_scope": "", "raw_rules": "—",
                "raw_scenarios": "—"} for q in QUESTIONS}
    found = problems(rows, RULE_IDS, {}, {}, SCENARIO_DIR)
    assert "FAQ 12: no scenario and no reason why the question is out of a claim's scope" in found


def test_a_scenario_naming_an_unknown_rule_fails():
    faqs, _ = _scenario_facts()
    rows = parse_table(DOC.read_text(encoding="utf-8"))
    found = problems(rows, RULE_IDS, faqs, {"x/y.yaml": ["NOPE-1"]}, SCENARIO_DIR)
    assert found == ["x/y.yaml: rules: names NOPE-1, which is not in the catalogue"]
