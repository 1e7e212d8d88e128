"""The one piece of batch work both engines run: adjudicate one partition's claims.

A partition is a list of spilled records ``(seq, source, record, claim JSON text)``; ``seq`` is the
claim's position in the whole input, so sorting by it restores input order whatever engine shipped
the records. The claims are parsed by the contract reader and decided by ``adjudicate_batch`` (the
same engine ``hitbenefit adjudicate`` uses: no rule is copied here).
"""

from __future__ import annotations

import json
import zlib
from decimal import Decimal
from typing import Iterable, NamedTuple

from hitbenefit.claims.model import Claim, Decision
from hitbenefit.claims.read_json import ClaimInputError, claim_from_json
from hitbenefit.engine.tables import Tables
from hitbenefit.service import adjudicate, decisions_json

#: columns of the flat line table (decisions.parquet); money columns are exact decimal strings here
ROW_COLUMNS = ("claim_id", "seq", "line", "hcpcs", "status", "claim_status", "category", "visit_type",
               "reasons", "service_date", "month", "mbi", "supplier_npi", "locality", "payer",
               "charge", "allowed", "deductible", "coinsurance", "sequestration", "paid")
MONEY_COLUMNS = ("charge", "allowed", "deductible", "coinsurance", "sequestration", "paid")


def partition_of(mbi: str, partitions: int) -> int:
    """A stable partition number for a beneficiary: CRC-32 of the MBI's UTF-8 bytes, modulo the count.

    Stable across processes, machines and Python versions (unlike ``hash()``)."""
    return zlib.crc32(mbi.encode("utf-8")) % partitions


class Record(NamedTuple):
    seq: int
    source: str
    record: int
    text: str


class Outcome(NamedTuple):
    """One adjudicated claim: sort key, its decision as a JSON line, its flat rows as a JSON line."""

    claim_id: str
    seq: int
    decision: str  # contract decision JSON, one line, newline-terminated
    rows: str  # a JSON array of row arrays (ROW_COLUMNS order), newline-terminated


def parse_record(rec: Record) -> Claim:
    """The record's claim, or ``ClaimInputError`` naming the file and record."""
    try:
        value = json.loads(rec.text, parse_float=Decimal)
    except (json.JSONDecodeError, RecursionError, ValueError) as exc:
        raise ClaimInputError(f"not valid JSON ({exc.__class__.__name__}: {exc})", rec.source, rec.record) from None
    return claim_from_json(value, rec.source, rec.record)


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def rows_of(seq: int, claim: Claim, decision: Decision) -> list[list]:
    """The flat rows (one per claim line) of a decision, with the claim's context for analytics."""
    out = []
    by_line = {line.line: line for line in claim.lines}
    for d in decision.lines:
        line = by_line[d.line]
        day = line.service_date.isoformat()
        out.append([decision.claim_id, seq, d.line, d.hcpcs, d.status, decision.status, d.category, d.visit_type,
                    [r.key for r in d.reasons], day, day[:7], claim.beneficiary.mbi, claim.supplier.npi,
                    claim.service_locality, claim.payer, str(line.charge), _money(d.allowed),
                    _money(d.deductible), _money(d.coinsurance), _money(d.sequestration), _money(d.paid)])
    return out


def adjudicate_records(records: Iterable[Record], tables: Tables) -> tuple[list[Outcome], list[ClaimInputError]]:
    """Parse and adjudicate one partition; outcomes sorted by (claim_id, seq).

    Every bad record is reported; when there is one, nothing is adjudicated (the batch will fail)."""
    records = sorted(records, key=lambda r: r.seq)
    claims, errors = [], []
    for rec in records:
        try:
            claims.append(parse_record(rec))
        except ClaimInputError as exc:
            errors.append(exc)
        except RecursionError:
            errors.append(ClaimInputError("nested too deeply", rec.source, rec.record))
    if errors:
        return [], errors
    decisions = adjudicate(claims, tables)
    dumps = json.dumps
    outcomes = [Outcome(claim.claim_id, rec.seq, decisions_json([decision], lines=True),
                        dumps(rows_of(rec.seq, claim, decision), ensure_ascii=False, separators=(",", ":")) + "\n")
                for rec, claim, decision in zip(records, claims, decisions)]
    outcomes.sort(key=lambda o: (o.claim_id, o.seq))
    return outcomes, []


def format_error(exc: Exception) -> str:
    return str(exc)
