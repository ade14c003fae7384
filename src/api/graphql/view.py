"""The strawberry ASGI view: builds contexts, authenticates, refuses what is off."""

from __future__ import annotations

import json
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.schema import BaseSchema
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult

from api.auth.authenticate import credential
from api.compat.strawberry import GraphQLRequestData, UnsetType
from api.graphql.context import Context
from api.graphql.request_text import request_problem
from api.http_errors import RETRY_AFTER_SECONDS
from api.state import AppState

_CONTEXT_KEY = "pulsebill.graphql_context"


class PulsebillGraphQL(GraphQL[Context, None]):
    """POST only (GET only for GraphiQL in dev), graphql-transport-ws only, auth per request."""

    def __init__(self, schema: BaseSchema, *, dev: bool) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if dev else None,
            allow_queries_via_get=False,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            multipart_uploads_enabled=False,
            max_subscriptions_per_connection=20,
        )

    def encode_json(self, data: object) -> str:
        """The response as compact JSON text: orjson (a tenth of json's CPU on a page of
        CDRs); the standard encoder only for what orjson refuses (an int over 64 bits)."""
        try:
            return orjson.dumps(data).decode()
        except TypeError:
            return json.dumps(data, separators=(",", ":"))

    def decode_json(self, data: str | bytes) -> object:
        """A body that is not UTF-8 is refused like malformed JSON (400), not a crash."""
        try:
            return json.loads(data)
        except UnicodeDecodeError as exc:
            raise json.JSONDecodeError("the body is not UTF-8", "", exc.start) from None

    async def execute_single(
        self,
        request: Request,
        request_adapter: Any,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        """Refuse text no store accepts before executing; answer 503 with ``Retry-After``
        when a resolver found the database unreachable."""
        problem = request_problem(
            request_data.query, request_data.variables, request_data.operation_name
        )
        if problem is not None:
            return ExecutionResult(data=None, errors=[problem])
        result = await super().execute_single(
            request, request_adapter, sub_response, context, root_value, request_data
        )
        if context.database_unavailable:
            sub_response.status_code = 503
            sub_response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return result

    def is_request_allowed(self, request: Any) -> bool:
        if request.method == "GET":
            return self.graphql_ide is not None and bool(self.should_render_graphql_ide(request))
        return bool(request.method == "POST")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one request; once its response is sent, end its reader transaction."""
        try:
            await super().__call__(scope, receive, send)
        finally:
            context: Context | None = scope.get(_CONTEXT_KEY)
            if context is not None:
                await context.close()

    def _get_stream_transport_from_headers(self, headers: Any) -> None:
        return None  # no subscriptions over HTTP (multipart/SSE): websocket only

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket | None = None
    ) -> Context:
        state: AppState = request.app.state.pulsebill
        context = Context(
            sessionmaker=state.sessionmaker,
            bus=state.bus,
            services=state.services,
            authenticator=state.authenticator,
            connection=request,
            websocket=isinstance(request, WebSocket),
        )
        if not context.websocket:
            request.scope[_CONTEXT_KEY] = context  # closed by ``__call__`` at the request's end
            context.token = credential(request)
            context.actor = await state.authenticator.actor_for_token(context.token)
        return context

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """Authenticate ``connection_init``; a missing or bad token closes with 4403."""
        params = context.connection_params or {}
        token = credential(params)
        actor = await context.authenticator.actor_for_token(token)
        if actor is None:
            raise ConnectionRejectionError({"message": "Forbidden"})
        context.actor, context.token = actor, token
        return await super().on_ws_connect(context)
