"""Batch jobs: an uploaded 837P or JSONL file becomes a job of claims, decided in contract order by
a worker thread, each claim submitted through the store.

Jobs live in two tables, ``api_batch_jobs`` and ``api_batch_items``, which migration 0002 creates
(``Store.open`` upgrades any older database, so the API creates nothing itself); the ``sa.Table``
definitions below are the reference for this module's queries.
Progress is recorded per claim after the store has decided it; a worker killed at any point
leaves items ``pending`` whose claims may already be stored, and the rerun submits them again:
the store's idempotency (same supplier, claim id and body -> the stored decision) makes every
claim decided exactly once. Unfinished jobs are resumed when the service starts.
"""

from __future__ import annotations

import hashlib
import io
import logging
import threading
import uuid
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Path, Query, Request
from sqlalchemy.exc import IntegrityError, OperationalError

from hitbenefit.api.deps import Auth, Writer, input_error_field
from hitbenefit.api.problems import Problem, field_error, problem_responses
from hitbenefit.api.responses import DecimalJSONResponse
from hitbenefit.claims.read_json import ClaimInputError, claim_from_json, read_claims
from hitbenefit.engine.adjudicate import contract_order
from hitbenefit.rates.files import normalize_locality
from hitbenefit.store import ClaimConflict, Forbidden, Principal, StoreError
from hitbenefit.store.canonical import claim_to_json, dumps, loads
from hitbenefit.store.database import utc_now, write_transaction
from hitbenefit.store.schema import api_batch_items as items
from hitbenefit.store.schema import api_batch_jobs as jobs
from hitbenefit.x12.read_837 import read_837
from hitbenefit.x12.segments import X12Error

log = logging.getLogger("hitbenefit.api.batches")
BATCH_TYPES = {"application/x-ndjson": "jsonl", "application/jsonl": "jsonl", "application/json": "jsonl",
               "application/x-jsonlines": "jsonl", "application/edi-x12": "837", "application/x12": "837",
               "text/plain": None, "application/octet-stream": None}



# ---- reading an upload ----------------------------------------------------------------------------
def read_upload(data: bytes, media: str, locality: str | None):
    kind = BATCH_TYPES.get(media, "?")
    if kind == "?":
        raise Problem(415, f"send the batch as application/x-ndjson (JSON Lines) or application/edi-x12 (837P), "
                      f"not {media or 'no content type'!r}", [field_error("Content-Type", "unsupported")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Problem(400, "the batch is not UTF-8 text", [field_error(None, "not UTF-8")]) from None
    if not text.strip():
        raise Problem(400, "the batch is empty", [field_error(None, "empty body")])
    is_x12 = text.lstrip()[:3] in ("ISA", "ST*")
    if kind == "837" and not is_x12:
        raise Problem(400, "an 837P file starts with an ISA segment", [field_error(None, "not X12")])
    if is_x12:
        try:
            claims = list(read_837(io.StringIO(text), "<batch>", locality))
        except X12Error as exc:
            raise Problem(422, str(exc), [field_error(getattr(exc, "segment", None) and str(exc.segment), str(exc))])
        except ValueError as exc:
            raise Problem(422, str(exc), [field_error(None, str(exc))]) from None
        return "837", claims
    claims, errors = read_claims(text, "<batch>")
    if errors:
        raise Problem(422, f"{len(errors)} record(s) of the batch cannot be read; nothing was queued",
                      [dict(field_error(_record_field(e), e.problem if isinstance(e, ClaimInputError) else str(e)),
                            record=getattr(e, "record", None), claim_id=getattr(e, "claim_id", None))
                       for e in errors[:100]])
    if not claims:
        raise Problem(422, "the batch holds no claims", [field_error(None, "no claims")])
    return "jsonl", claims


def _record_field(exc) -> str | None:
    if not isinstance(exc, ClaimInputError):
        return None
    inner = input_error_field(exc)
    return f"records[{exc.record}].{inner}" if inner and exc.record else inner


# ---- jobs -------------------------------------------------------------------------------------------
def create_job(engine: sa.Engine, principal: Principal, data: bytes, kind: str, claims: list) -> tuple[str, bool]:
    """A new job (id, True) or the job already made from the same body by the same key (id, False)."""
    digest = hashlib.sha256(data).hexdigest()
    found = _existing(engine, principal, digest)
    if found:
        return found, False
    job_id = str(uuid.uuid4())
    rows = [{"job_id": job_id, "seq": seq, "claim_id": claims[i].claim_id, "claim": dumps(claim_to_json(claims[i])),
             "status": "pending"} for seq, i in enumerate(contract_order(claims))]
    try:
        with write_transaction(engine) as conn:
            conn.execute(jobs.insert().values(id=job_id, key_id=principal.key_id, role=principal.role,
                                              supplier_npi=principal.supplier_npi, body_sha256=digest, format=kind,
                                              status="queued", total=len(rows), created_at=utc_now()))
            for start in range(0, len(rows), 1000):
                conn.execute(items.insert(), rows[start:start + 1000])
    except IntegrityError:
        found = _existing(engine, principal, digest)
        if found:
            return found, False
        raise
    return job_id, True


def _existing(engine: sa.Engine, principal: Principal, digest: str) -> str | None:
    with engine.connect() as conn:
        return conn.execute(sa.select(jobs.c.id).where(jobs.c.key_id == principal.key_id,
                                                       jobs.c.body_sha256 == digest)).scalar()


def visible_job(engine: sa.Engine, job_id: str, principal: Principal):
    """The job row if this principal may see it (a supplier: only its own supplier's), else 404."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(jobs).where(jobs.c.id == job_id)).first()
    if row is None or (principal.role == "supplier" and row.supplier_npi != principal.supplier_npi):
        raise Problem(404, f"no batch job {job_id} that this key may read")
    return row


def job_counts(engine: sa.Engine, job_id: str) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(items.c.status, sa.func.count()).where(items.c.job_id == job_id)
                            .group_by(items.c.status)).all()
    return {status: count for status, count in rows}


class Worker:
    """One thread that decides the pending claims of unfinished jobs, oldest job first."""

    def __init__(self, store, tables, poll_seconds: float = 1.0) -> None:
        self.store, self.tables, self.poll = store, tables, poll_seconds
        self.wake, self.stopping = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._run, name="hitbenefit-batch-worker", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self.stopping.set()
        self.wake.set()
        self.thread.join(timeout)

    def _run(self) -> None:
        while not self.stopping.is_set():
            try:
                worked = self.run_once()
            except Exception as exc:  # noqa: BLE001 - the database may be away; nothing is lost, try again
                # the class only: database messages carry statement parameters, which may hold an MBI
                log.warning("batch worker: a pass failed (%s); retrying", exc.__class__.__name__)
                worked = False
            if not worked:
                self.wake.wait(self.poll)
                self.wake.clear()

    def run_once(self) -> bool:
        """Work on the oldest unfinished job; False when there is none."""
        engine = self.store.engine
        with engine.connect() as conn:
            job = conn.execute(sa.select(jobs).where(jobs.c.status != "done")
                               .order_by(jobs.c.created_at, jobs.c.id).limit(1)).first()
        if job is None:
            return False
        if job.status == "queued":
            with write_transaction(engine) as conn:
                conn.execute(jobs.update().where(jobs.c.id == job.id).values(status="running"))
        principal = Principal(job.key_id, job.role, job.supplier_npi)
        while not self.stopping.is_set():
            with engine.connect() as conn:
                pending = conn.execute(sa.select(items.c.seq, items.c.claim_id, items.c.claim)
                                       .where(items.c.job_id == job.id, items.c.status == "pending")
                                       .order_by(items.c.seq).limit(200)).all()
            if not pending:
                break
            for item in pending:
                if self.stopping.is_set():
                    return True
                self._decide(job.id, principal, item)
        if not self.stopping.is_set():
            with write_transaction(engine) as conn:
                conn.execute(jobs.update().where(jobs.c.id == job.id).values(status="done", finished_at=utc_now()))
            log.info("batch %s done (%d claims)", job.id, job.total)
        return True

    def _decide(self, job_id: str, principal: Principal, item) -> None:
        values: dict
        try:
            claim = claim_from_json(loads(item.claim), "<batch>", item.seq + 1)
            result = self.store.submit_claim(claim, principal, self.tables, remote=f"batch:{job_id}"[:64])
            decision = result.decision.to_json()
            values = {"status": "decided", "created": result.created, "claim_status": decision["status"],
                      "decision": dumps(decision)}
        except ClaimConflict as exc:
            values = {"status": "conflict", "error": str(exc)}
        except Forbidden as exc:
            values = {"status": "forbidden", "error": str(exc)}
        except (StoreError, ClaimInputError) as exc:
            values = {"status": "error", "error": str(exc)}
        except OperationalError:
            raise  # the database is away: leave the item pending and retry the pass
        with write_transaction(self.store.engine) as conn:
            conn.execute(items.update().where(items.c.job_id == job_id, items.c.seq == item.seq,
                                              items.c.status == "pending").values(**values))
        log.info("batch %s claim %s %s", job_id, item.claim_id, values["status"])


# ---- routes -----------------------------------------------------------------------------------------
router = APIRouter(prefix="/v1", default_response_class=DecimalJSONResponse)
JobId = Annotated[str, Path(min_length=1, max_length=36)]


def _job_json(row, counts: dict[str, int]) -> dict:
    done = sum(v for k, v in counts.items() if k != "pending")
    return {"job_id": row.id, "status": row.status, "format": row.format, "total": row.total,
            "counts": {"pending": counts.get("pending", 0), "decided": counts.get("decided", 0),
                       "conflict": counts.get("conflict", 0), "forbidden": counts.get("forbidden", 0),
                       "error": counts.get("error", 0), "processed": done},
            "created_at": row.created_at.isoformat() if row.created_at else None,
            "finished_at": row.finished_at.isoformat() if row.finished_at else None,
            "links": {"self": f"/v1/batches/{row.id}", "decisions": f"/v1/batches/{row.id}/decisions"}}


@router.post("/batches", status_code=202, summary="Upload an 837P or JSON Lines file; returns a job to poll",
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/x-ndjson": {"schema": {"type": "string"}},
                 "application/edi-x12": {"schema": {"type": "string"}},
                 "text/plain": {"schema": {"type": "string"}}}}},
             responses={202: {"description": "Queued"}, 200: {"description": "The same file again: its job"},
                        **problem_responses(400, 401, 403, 413, 415, 422, 429)})
async def submit_batch(request: Request, principal: Writer,
                       locality: Annotated[str | None, Query(min_length=1, max_length=16)] = None):
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if locality is not None:
        try:
            locality = normalize_locality(locality, allow_national=False)
        except ValueError as exc:
            raise Problem(422, f"locality: {exc}", [field_error("locality", str(exc))]) from None
    data = await request.body()
    state = request.app.state
    kind, claims = read_upload(data, media, locality)
    if principal.role == "supplier":
        others = [c for c in claims if c.supplier.npi != principal.supplier_npi]
        if others:
            raise Problem(403, f"a supplier key may only send claims of its own supplier ({principal.supplier_npi})",
                          [field_error("supplier.npi", f"claim {others[0].claim_id} names another supplier")])
    from starlette.concurrency import run_in_threadpool
    job_id, created = await run_in_threadpool(create_job, state.store.engine, principal, data, kind, claims)
    if state.worker is not None:
        state.worker.wake.set()
    row = await run_in_threadpool(visible_job, state.store.engine, job_id, principal)
    counts = await run_in_threadpool(job_counts, state.store.engine, job_id)
    log.info("batch %s %s by key %s (%d claims)", job_id, "queued" if created else "replayed", principal.key_id,
             len(claims))
    return DecimalJSONResponse(_job_json(row, counts), status_code=202 if created else 200,
                               headers={"Location": f"/v1/batches/{job_id}"})


@router.get("/batches/{job_id}", summary="A batch job: status and counts",
            responses={200: {"description": "The job"}, **problem_responses(401, 404, 422, 429)})
def get_batch(request: Request, principal: Auth, job_id: JobId):
    engine = request.app.state.store.engine
    row = visible_job(engine, job_id, principal)
    return DecimalJSONResponse(_job_json(row, job_counts(engine, job_id)))


@router.get("/batches/{job_id}/decisions", summary="The decisions of a batch job, in contract order",
            responses={200: {"description": "Decisions so far"}, **problem_responses(401, 404, 422, 429)})
def batch_decisions(request: Request, principal: Auth, job_id: JobId,
                    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
                    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000):
    engine = request.app.state.store.engine
    row = visible_job(engine, job_id, principal)
    with engine.connect() as conn:
        rows = conn.execute(sa.select(items).where(items.c.job_id == job_id).order_by(items.c.seq)
                            .offset(offset).limit(limit)).all()
    out = []
    for r in rows:
        entry = {"seq": r.seq, "claim_id": r.claim_id, "status": r.status, "created": r.created}
        if r.decision is not None:
            entry["decision"] = loads(r.decision)
        if r.error is not None:
            entry["error"] = r.error
        out.append(entry)
    return DecimalJSONResponse({"job_id": row.id, "status": row.status, "offset": offset, "items": out})
