"""``POST /switch/authorize``, ``/switch/cdr`` and ``/switch/hangup``.

Every request needs ``Authorization: Bearer <switch token>`` (401 otherwise; operator,
reseller and portal credentials are refused). ``/switch/authorize`` answers 200 with a
decision for every readable request: when the database does not answer within
``settings.switch_timeout_seconds`` (token check included) or fails, the decision is
refused with reason ``unavailable`` (SIP 503), so that call setup never hangs.
"""

from __future__ import annotations

import asyncio
import logging

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from api.auth.tokens import bearer
from api.domain.errors import InvalidFields, InvalidInput
from api.services.records import SwitchIdentity
from api.services.switch import NotStored, authorize_switch_call, rate_switch_cdr, release_call
from api.state import AppState
from api.store.db_errors import database_errors
from api.switch.answers import answer, decision_body, error, unavailable_body
from api.switch.gate import SwitchGate
from api.switch.inputs import (
    BadRequest,
    authorize_request,
    cdr_request,
    hangup_request,
    read_fields,
)

log = logging.getLogger("pulsebill.switch")
UNAUTHENTICATED = "a valid switch token is required (Authorization: Bearer <token>)"
CDR_KEYS = {
    "cdr.source": "source",
    "cdr.call_id": "call_id",
    "cdr.sub_account": "sub_account",
    "cdr.number": "number",
    "cdr.direction": "direction",
    "cdr.started_at": "start",
    "cdr.duration": "answered_seconds",
}


def switch_mount(path: str = "/switch") -> Mount:
    return Mount(
        path,
        routes=[
            Route("/authorize", authorize_endpoint, methods=["POST"]),
            Route("/cdr", cdr_endpoint, methods=["POST"]),
            Route("/hangup", hangup_endpoint, methods=["POST"]),
        ],
    )


def _state(request: Request) -> AppState:
    state: AppState = request.app.state.pulsebill
    return state


def _gate(request: Request) -> SwitchGate:
    """The app's gate, built on first use (it listens to the app's bus for revocations)."""
    gate: SwitchGate | None = getattr(request.app.state, "switch_gate", None)
    if gate is None:
        state = _state(request)
        gate = SwitchGate(state.services)
        state.bus.add_listener(gate.on_event)
        request.app.state.switch_gate = gate
    return gate


async def _switch(request: Request) -> SwitchIdentity | None:
    return await _gate(request).verify(bearer(request.headers.get("authorization")))


async def authorize_endpoint(request: Request) -> Response:
    """``sub_account``, ``number``, ``call_id`` → the decision and its SIP code."""
    if bearer(request.headers.get("authorization")) is None:
        return error(request, UNAUTHENTICATED, 401)
    state = _state(request)
    try:
        fields = await read_fields(request)
        async with asyncio.timeout(state.settings.switch_timeout_seconds):
            if await _switch(request) is None:
                return error(request, UNAUTHENTICATED, 401)
            asked = authorize_request(fields)
            decision = await authorize_switch_call(
                state.services, asked.sub_account, asked.number, asked.call_id
            )
    except BadRequest as exc:
        return error(request, exc.message)
    except database_errors() as exc:
        log.warning("switch authorize refused as unavailable: %s", type(exc).__name__)
        return answer(request, unavailable_body())
    return answer(request, decision_body(decision))


async def cdr_endpoint(request: Request) -> Response:
    """A call's CDR, rated once per (source, call id); releases the call's reservation."""
    identity = await _switch(request)
    if identity is None:
        return error(request, UNAUTHENTICATED, 401)
    try:
        cdr = cdr_request(await read_fields(request), identity.name)
        result = await rate_switch_cdr(_state(request).services, cdr)
    except BadRequest as exc:
        return error(request, exc.message)
    except InvalidInput as exc:
        return error(request, _cdr_problem(exc))
    if isinstance(result, NotStored):
        body = {"status": "unrated", "reason": result.reason, "call_id": cdr.call_id}
    else:
        status = "duplicate" if result.duplicate else result.status
        body = {"status": status, "reason": result.failure_reason, "call_id": cdr.call_id}
    return answer(request, body)


async def hangup_endpoint(request: Request) -> Response:
    """``call_id`` (and optionally ``sub_account``) → its reservation released."""
    if await _switch(request) is None:
        return error(request, UNAUTHENTICATED, 401)
    try:
        asked = hangup_request(await read_fields(request))
    except BadRequest as exc:
        return error(request, exc.message)
    released = await release_call(_state(request).services, asked.call_id, asked.sub_account)
    return answer(request, {"released": released})


def _cdr_problem(exc: InvalidInput) -> str:
    """The service's problems named by the switch's keys."""
    problems = exc.problems if isinstance(exc, InvalidFields) else ((exc.field, exc.detail),)
    return "; ".join(f"{CDR_KEYS.get(field, field)}: {message}" for field, message in problems)
