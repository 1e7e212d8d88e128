"""/v1/directory: the HIT supplier directory (CMS "Home Infusion Therapy Providers", FAQ 5) and the
accrediting organizations (FAQ 3; RULES SUP-10). Public data: any key may search; only a
contractor key may import a file (``POST /v1/directory/imports``, a CSV body)."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from starlette.concurrency import run_in_threadpool

from hitbenefit.api.deps import Auth, authenticate
from hitbenefit.api.problems import Problem, field_error, problem_responses
from hitbenefit.api.responses import DecimalJSONResponse
from hitbenefit.store import InvalidRequest, NotFound, Principal

router = APIRouter(prefix="/v1/directory", default_response_class=DecimalJSONResponse, tags=["directory"])
READ = problem_responses(400, 401, 404, 422, 429)
CSV_TYPES = ("text/csv", "application/csv", "text/plain", "application/octet-stream")
Text = Annotated[str | None, Query(min_length=1, max_length=100)]


def _query(**values):
    from hitbenefit.store.directory import Query as DirectoryQuery

    try:
        return DirectoryQuery.make(values["state"], values["county"], values["city"], values["zip"], values["name"])
    except InvalidRequest as exc:
        name = str(exc).split(":", 1)[0]
        raise Problem(422, str(exc), [field_error(name, str(exc).split(": ", 1)[-1])]) from None


@router.get("/suppliers", summary="Suppliers serving a state, county, city or ZIP code (FAQ 5)",
            responses={200: {"description": "One page of suppliers, by name, with the matching service areas"},
                       **READ})
def search(request: Request, principal: Auth, state: Annotated[str | None, Query(min_length=1, max_length=2)] = None,
           county: Text = None, city: Text = None,
           zip: Annotated[str | None, Query(min_length=1, max_length=10)] = None, name: Text = None,
           as_of: Annotated[str | None, Query(min_length=1, max_length=10,
                                              description="An import id or a date YYYY-MM-DD")] = None,
           limit: Annotated[int, Query(ge=1, le=500)] = 50, offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0):
    from hitbenefit.store.directory import parse_as_of, search_directory

    query = _query(state=state, county=county, city=city, zip=zip, name=name)
    try:
        when = parse_as_of(as_of)
        result = search_directory(request.app.state.store.engine, query, when, limit, offset)
    except InvalidRequest as exc:
        raise Problem(422, str(exc), [field_error("as_of", "expected an import id or a date YYYY-MM-DD")]) from None
    except NotFound as exc:
        raise Problem(404, str(exc), [field_error("as_of", "no such import")]) from None
    return DecimalJSONResponse(result.to_json(limit, offset))


@router.get("/suppliers/{enrollment_id}", summary="One supplier: its current entry and every earlier version",
            responses={200: {"description": "The supplier's history"}, **READ})
def supplier(request: Request, principal: Auth, enrollment_id: Annotated[str, Path(min_length=1, max_length=32)]):
    from hitbenefit.store.directory import supplier_history

    try:
        found = supplier_history(request.app.state.store.engine, enrollment_id)
    except NotFound as exc:
        raise Problem(404, str(exc)) from None
    return DecimalJSONResponse(found.to_json())


@router.post("/imports", summary="Import a directory CSV file (contractor keys only); the same file twice is a no-op",
             status_code=201,
             openapi_extra={"requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}},
             responses={201: {"description": "Imported: what changed"},
                        200: {"description": "The same file was imported before: nothing changed"},
                        **problem_responses(400, 401, 403, 413, 415, 422, 429)})
async def import_file(request: Request,
                      file_name: Annotated[str, Query(min_length=1, max_length=200)] = "upload.csv"):
    data = await request.body()
    return await run_in_threadpool(_import, request, data, file_name)


def _import(request: Request, data: bytes, file_name: str):
    from hitbenefit.directory.read_csv import DirectoryFileError, read_directory_bytes
    from hitbenefit.store.directory import import_directory

    principal: Principal = authenticate(request)
    if principal.role != "contractor":
        raise Problem(403, "only a contractor key may import the supplier directory")
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in CSV_TYPES:
        raise Problem(415, f"send the directory file as text/csv, not {media or 'no content type'!r}",
                      [field_error("Content-Type", "expected text/csv")])
    if not data.strip():
        raise Problem(400, "the body is empty: send the CSV file", [field_error(None, "empty body")])
    try:
        read = read_directory_bytes(data, file_name)
    except DirectoryFileError as exc:
        raise Problem(422, str(exc), [dict(field_error(e.column, e.problem), row=e.row) for e in exc.errors],
                      title="Invalid directory file") from None
    result = import_directory(request.app.state.store.engine, read, principal, file_name)
    return DecimalJSONResponse(result.to_json(), status_code=201 if result.created else 200,
                               headers={"Location": f"/v1/directory/suppliers?as_of={result.info.id}"})


@router.get("/accreditors", summary="The HIT accrediting organizations and their status on a date (FAQ 3)",
            responses={200: {"description": "Accrediting organizations"}, **READ})
def accreditors(principal: Auth, on: Annotated[date | None, Query(description="YYYY-MM-DD; default today")] = None):
    from hitbenefit.directory.accreditors import accreditors_json
    from hitbenefit.parameters.load import accrediting_organizations

    day = on or datetime.now(timezone.utc).date()
    return DecimalJSONResponse({"on": day.isoformat(), "accreditors": accreditors_json(accrediting_organizations(), day)})
