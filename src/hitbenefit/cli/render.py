"""Decisions for people: a coloured table for a terminal, and prose for ``explain``."""

from __future__ import annotations

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from hitbenefit.claims.model import Decision
from hitbenefit.parameters.model import ReasonSpec
from hitbenefit.money import dollars

STATUS_STYLE = {"paid": "green", "partial": "yellow", "denied": "red", "rejected": "magenta",
                "informational": "cyan"}
STATUS_WORD = {"paid": "PAID", "partial": "PARTIAL", "denied": "DENIED", "rejected": "REJECTED",
               "informational": "INFO"}


def _rates_note(decision: Decision) -> str:
    rates = decision.rates
    if not rates:
        return "not priced"
    label = "ESTIMATE" if rates["status"] == "estimate" else "official"
    return f"{rates['year']} {label} rates, {rates['source']}"


TONE = {"rejected": "magenta", "denied": "red", "warning": "yellow", "informational": "cyan"}


def decision_table(decision: Decision) -> Group:
    """One claim: a title line, a row per line with its reason keys, what each reason means, the totals."""
    style = STATUS_STYLE.get(decision.status, "white")
    title = Text.assemble(("Claim ", "bold"), (decision.claim_id, "bold"), "  ",
                          (STATUS_WORD[decision.status], f"bold {style}"))
    table = Table(show_header=True, header_style="bold", expand=False, pad_edge=False)
    for name, justify in (("Line", "right"), ("Code", "left"), ("Cat", "center"), ("Visit", "left"),
                          ("Status", "left"), ("Allowed", "right"), ("Patient", "right"), ("Paid", "right"),
                          ("Reasons", "left")):
        table.add_column(name, justify=justify, no_wrap=name != "Reasons", overflow="fold")
    notes = []
    for line in decision.lines:
        patient = None
        if line.deductible is not None and line.coinsurance is not None:
            patient = line.deductible + line.coinsurance
        keys = Text()
        for i, reason in enumerate(line.reasons):
            keys.append(("\n" if i else "") + reason.key, style=TONE.get(reason.outcome, "white"))
            if reason.outcome != "informational":
                notes.append(Text.assemble(f"  line {line.line} ", (reason.key, f"bold {TONE[reason.outcome]}"),
                                           f": {reason.message} [{', '.join(reason.citations)}]"))
        table.add_row(str(line.line), line.hcpcs, str(line.category or ""), line.visit_type or "",
                      Text(STATUS_WORD[line.status], style=STATUS_STYLE[line.status]),
                      dollars(line.allowed), dollars(patient), dollars(line.paid), keys)
    t = decision.totals
    totals = Text(f"Charge {dollars(t['charge'])}  Allowed {dollars(t['allowed'])}  "
                  f"Patient {dollars(t['patient'])}  Paid {dollars(t['paid'])}  ({_rates_note(decision)})")
    return Group(title, table, *notes, totals, Text(""))


def print_table(decisions: list[Decision], console: Console) -> None:
    for decision in decisions:
        console.print(decision_table(decision))


def explain(decision: Decision) -> str:
    """The decision and its trace as prose, line by line."""
    out = [f"Claim {decision.claim_id} is {decision.status}."]
    if decision.rates:
        out.append(f"Priced with the {_rates_note(decision)}.")
    for line in decision.lines:
        head = f"Line {line.line} ({line.hcpcs}"
        if line.category:
            head += f", payment category {line.category}"
        if line.visit_type:
            head += f", {line.visit_type} visit"
        out.append("")
        out.append(f"{head}): {line.status}.")
        for reason in line.reasons:
            kind = "Warning" if reason.outcome == "warning" else reason.outcome.capitalize()
            codes = "-".join(c for c in (reason.group, reason.carc) if c)
            if reason.rarc:
                codes += f", RARC {reason.rarc}"
            out.append(f"  {kind} {reason.key}{f' ({codes})' if codes else ''}: {reason.message}")
            out.append(f"    Sources: {', '.join(reason.citations)}.")
        for step in line.trace:
            out.append(f"  - {step}")
    t = decision.totals
    out.append("")
    out.append(f"Totals: charge {dollars(t['charge'])}, allowed {dollars(t['allowed'])}, "
               f"patient owes {dollars(t['patient'])}, Medicare pays {dollars(t['paid'])}.")
    return "\n".join(out)


def x12_codes(spec: ReasonSpec) -> str:
    """``CO-16 / MA130``, or a dash for a warning that adjusts nothing."""
    if spec.carc is None:
        return "-"
    return f"{spec.group}-{spec.carc}" + (f" / {spec.rarc}" if spec.rarc else "")


def spec_json(spec: ReasonSpec) -> dict:
    return {"key": spec.key, "outcome": spec.outcome, "group": spec.group, "carc": spec.carc, "rarc": spec.rarc,
            "message": spec.message, "citations": list(spec.citations), "code_basis": spec.code_basis}


def reasons_markdown(specs: list[ReasonSpec]) -> str:
    """The reason table of docs/reasons.md, made from parameters/data/reasons.yaml."""
    out = ["# Reason keys and their X12 codes", "",
           "Generated by `hitbenefit reasons --format markdown` from `src/hitbenefit/parameters/data/reasons.yaml`;",
           "a test keeps this file equal to that output. CMS has not published HIT-specific CARC/RARC codes",
           "(RULES.md §17): where the basis says *chosen*, the project picked the standard X12 code whose",
           "published meaning fits the edit.", "",
           "| key | outcome | X12 group-CARC / RARC | message | sources | basis of the code |",
           "|---|---|---|---|---|---|"]
    for s in specs:
        cells = (s.key, s.outcome, x12_codes(s), s.message, "; ".join(s.citations), s.code_basis)
        out.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(out) + "\n"
