"""``POST /paypal/ipn/<reseller code>``: store the message, answer 200, verify after.

The body is read as bytes and stored verbatim before anything else; PayPal gets an empty
200 as soon as it is stored (it retries anything else), and the verification runs after
the response. An unknown code answers 404 with an empty body, naming nothing.
"""

from __future__ import annotations

import logging

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.domain.tenants import reseller_id_from_code
from api.payments.worker import PaypalVerifier
from api.services import paypal_ipn
from api.state import AppState

log = logging.getLogger("pulsebill.paypal")
MAX_IPN_BYTES = 64_000  # PayPal's messages are a few kilobytes


def ipn_route() -> Route:
    return Route("/paypal/ipn/{code}", receive_ipn, methods=["POST"])


async def receive_ipn(request: Request) -> Response:
    reseller_id = reseller_id_from_code(request.path_params["code"])
    if reseller_id is None:
        return Response(status_code=404)
    body = await request.body()
    if len(body) > MAX_IPN_BYTES:
        return Response(status_code=413)
    state: AppState = request.app.state.pulsebill
    remote = request.client.host if request.client else ""
    message_id = await paypal_ipn.store_message(
        state.services, reseller_id, body, request.headers, remote=remote
    )
    if message_id is None:
        return Response(status_code=404)
    verifier: PaypalVerifier = request.app.state.paypal
    return Response(status_code=200, background=BackgroundTask(_verify, verifier, message_id))


async def _verify(verifier: PaypalVerifier, message_id: int) -> None:
    try:
        await verifier.process(message_id)
    except Exception as exc:  # the retry loop picks it up again
        log.error("IPN message %s: verification failed: %s", message_id, type(exc).__name__)
