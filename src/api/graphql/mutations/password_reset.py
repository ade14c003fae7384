"""Public portal password reset: ask for a link, then set a new password with it.

Neither needs a credential. ``requestPasswordReset`` answers the same whether or not the
account exists; it is throttled per account (silently) and per client address (with
``TooManyRequests``).
"""

from __future__ import annotations

from typing import Annotated

import strawberry

from api.domain import errors as domain
from api.graphql.context import Info
from api.graphql.errors import InvalidInput, Problem, invalid
from api.services import password_resets

SENT = (
    "If an account matches, an e-mail with a link to reset its password is on its way; "
    "the link is valid for one hour."
)


@strawberry.type
class PasswordResetRequested:
    message: str


@strawberry.type
class PasswordResetDone:
    """The new password is set; every portal session of the account was ended."""

    sessions_ended: int


@strawberry.type
class TooManyRequests(Problem):
    retry_after_seconds: int


@strawberry.type
class ResetNotOffered(Problem):
    """This reseller's portal does not let clients reset their passwords."""


RequestResetResult = Annotated[
    PasswordResetRequested | TooManyRequests | ResetNotOffered | InvalidInput,
    strawberry.union("RequestPasswordResetResult"),
]
ResetPasswordResult = Annotated[
    PasswordResetDone | ResetNotOffered | InvalidInput, strawberry.union("ResetPasswordResult")
]


async def request_password_reset(info: Info, reseller: str, login: str) -> RequestResetResult:
    """Send a reset link to the client of portal ``reseller`` (its code) whose portal
    username or e-mail is ``login``."""
    client = info.context.connection.client
    address = client.host if client is not None else "unknown"
    try:
        await password_resets.request_reset(info.context.services, reseller, login, address=address)
    except password_resets.TooManyRequests as exc:
        return TooManyRequests(message=exc.message, retry_after_seconds=int(exc.retry_after + 1))
    except domain.PermissionDenied as exc:
        return ResetNotOffered(message=exc.message)
    except domain.InvalidInput as exc:
        return invalid(exc.field, exc.detail)
    return PasswordResetRequested(message=SENT)


async def reset_password(info: Info, token: str, new_password: str) -> ResetPasswordResult:
    """Set a new portal password with the token of a reset link (single use, 1 hour)."""
    passwords = info.context.authenticator.portal.passwords
    try:
        done = await password_resets.complete_reset(
            info.context.services, token, new_password, passwords.hash
        )
    except domain.PermissionDenied as exc:
        return ResetNotOffered(message=exc.message)
    except domain.InvalidInput as exc:
        return invalid(_field(exc.field), exc.detail)
    return PasswordResetDone(sessions_ended=done.sessions_ended)


def _field(name: str) -> str:
    return "newPassword" if name == "password" else name
