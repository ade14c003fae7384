"""CSV downloads of the reports as Starlette endpoints.

Each endpoint reads the verified :class:`~api.domain.actor.Actor` from
``request.state.actor`` and a session factory from ``request.app.state.sessionmaker``,
validates the query parameters before anything is sent (400 naming the parameter, 403 for
a report the actor may not read), then streams the CSV from its own session.
"""

from __future__ import annotations

from collections.abc import (
    AsyncIterator,
    Collection,
    Iterable,
    Mapping,
    Sequence,
)

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from api.domain.actor import Actor
from api.reports import csv_format
from api.reports.cdr_filter import CdrFilter
from api.reports.cdrs import stream_cdr_rows
from api.reports.errors import InvalidParameter, ReportError, ReportForbidden
from api.reports.financial import financial_report
from api.reports.params import (
    CDR_PARAMETERS,
    PERIOD_PARAMETERS,
    cdr_filter_from,
    check_known,
    group_by_from,
    optional_id,
    period_from,
)
from api.reports.period import Period
from api.reports.profit import profit_summary
from api.reports.scope import require_not_client, scope_of

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"


def _actor(request: Request) -> Actor:
    actor = getattr(request.state, "actor", None)
    if not isinstance(actor, Actor):
        raise ReportForbidden("no authenticated actor")
    return actor


def _sessionmaker(request: Request) -> async_sessionmaker[AsyncSession]:
    factory: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    return factory


def _params(request: Request, allowed: Collection[str]) -> Mapping[str, str]:
    for name in request.query_params:
        if len(request.query_params.getlist(name)) > 1:
            raise InvalidParameter(name, "given more than once")
    params = dict(request.query_params)
    check_known(params, allowed)
    return params


def _error_response(error: ReportError) -> JSONResponse:
    if isinstance(error, InvalidParameter):
        body = {"error": "invalid_parameter", "parameter": error.name, "message": error.message}
        return JSONResponse(body, status_code=400)
    return JSONResponse({"error": "forbidden", "message": str(error)}, status_code=403)


def _download(name: str, period: Period, body: AsyncIterator[bytes]) -> StreamingResponse:
    filename = f"{name}-{period.first_day.isoformat()}-{period.last_day.isoformat()}.csv"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return StreamingResponse(body, media_type=CSV_MEDIA_TYPE, headers=headers)


async def cdr_csv(request: Request) -> Response:
    """``GET ?from=&to=[&tz=&client_id=&sub_account_id=&direction=&country=&status=]``:
    every call of the filter, streamed in chunks from a server-side cursor."""
    try:
        actor = _actor(request)
        sees_cost = scope_of(actor).sees_cost
        cdr_filter = cdr_filter_from(_params(request, CDR_PARAMETERS))
    except ReportError as error:
        return _error_response(error)
    rows = _cdr_body(_sessionmaker(request), actor, cdr_filter, sees_cost)
    return _download("cdrs", cdr_filter.period, rows)


async def _cdr_body(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    cdr_filter: CdrFilter,
    sees_cost: bool,
) -> AsyncIterator[bytes]:
    yield csv_format.encode([csv_format.cdr_header(sees_cost)])
    async with sessionmaker() as session:
        async for chunk in stream_cdr_rows(session, actor, cdr_filter):
            period = cdr_filter.period
            yield csv_format.encode(csv_format.cdr_cells(row, period, sees_cost) for row in chunk)


async def profit_csv(request: Request) -> Response:
    """``GET ?group_by=client|country|day|package|reseller&from=&to=[&tz=&…CDR filters]``."""
    try:
        actor = _actor(request)
        require_not_client(actor, "profit")
        params = _params(request, (*CDR_PARAMETERS, "group_by"))
        group_by = group_by_from(params)
        cdr_filter = cdr_filter_from(params)
        async with _sessionmaker(request)() as session:
            summary = await profit_summary(session, actor, cdr_filter, group_by)
    except ReportError as error:
        return _error_response(error)
    header = csv_format.encode([csv_format.PROFIT_COLUMNS])
    body = _chunks(header, csv_format.profit_rows(summary))
    return _download(f"profit-by-{group_by.value}", cdr_filter.period, body)


async def financial_csv(request: Request) -> Response:
    """``GET ?from=&to=[&tz=&reseller_id=]``: opening, movements and closing per client,
    per reseller its clients' total and its account with the operator."""
    try:
        actor = _actor(request)
        params = _params(request, (*PERIOD_PARAMETERS, "reseller_id"))
        period = period_from(params)
        reseller_id = optional_id(params, "reseller_id")
        async with _sessionmaker(request)() as session:
            report = await financial_report(session, actor, period, reseller_id=reseller_id)
    except ReportError as error:
        return _error_response(error)
    header = csv_format.encode([csv_format.FINANCIAL_COLUMNS])
    return _download("financial", period, _chunks(header, csv_format.financial_rows(report)))


async def _chunks(
    header: bytes, rows: Iterable[Sequence[csv_format.Cell]], rows_per_chunk: int = 1000
) -> AsyncIterator[bytes]:
    yield header
    batch: list[Sequence[csv_format.Cell]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == rows_per_chunk:
            yield csv_format.encode(batch)
            batch = []
    if batch:
        yield csv_format.encode(batch)
