"""Sub-account lifecycles: change of package, new SIP password, deletion (CDRs stay)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from api.domain import errors as domain
from api.graphql.context import Info
from api.graphql.errors import Conflict, InvalidInput, NotFound, common_problem, invalid
from api.graphql.types.clients import SubAccount
from api.graphql.types.common import utc
from api.services import sub_accounts
from api.services.records import SubAccountView

MIN_PASSWORD = 8
MAX_PASSWORD = 128


@strawberry.type
class NewSipPassword:
    """The line and its new SIP password (shown here once; the old one stops working)."""

    sub_account: SubAccount
    password: str


SubAccountChangeResult = Annotated[
    SubAccount | NotFound | InvalidInput | Conflict, strawberry.union("SubAccountChangeResult")
]
SetSipPasswordResult = Annotated[
    NewSipPassword | NotFound | InvalidInput | Conflict, strawberry.union("SetSipPasswordResult")
]


async def set_sub_account_package(
    info: Info, id: int, package_id: int | None = None
) -> SubAccountChangeResult:
    """Link a line to another package attached to its client (null: the client's most
    recently attached package). A package the client does not have is ``InvalidInput``."""
    context = info.context
    actor = context.require_role("reseller")
    try:
        view = await sub_accounts.set_sub_account_package(context.services, actor, id, package_id)
    except domain.InvalidInput as exc:
        return invalid("packageId" if exc.field == "package_id" else exc.field, exc.detail)
    except domain.ServiceError as exc:
        return common_problem(exc)
    return sub_account(view)


async def set_sub_account_password(
    info: Info, id: int, password: str | None = None
) -> SetSipPasswordResult:
    """Set a line's SIP password, or generate a strong one when none is given."""
    context = info.context
    actor = context.require_role("reseller")
    if password is not None and not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        return invalid("password", f"between {MIN_PASSWORD} and {MAX_PASSWORD} characters")
    try:
        changed = await sub_accounts.set_sub_account_password(context.services, actor, id, password)
    except domain.ServiceError as exc:
        return common_problem(exc)
    return NewSipPassword(sub_account=sub_account(changed.sub_account), password=changed.password)


async def delete_sub_account(info: Info, id: int) -> SubAccountChangeResult:
    """Retire a line: the switch can no longer use it; its CDRs are kept."""
    context = info.context
    actor = context.require_role("reseller")
    try:
        view = await sub_accounts.delete_sub_account(context.services, actor, id)
    except domain.ServiceError as exc:
        return common_problem(exc)
    return sub_account(view)


def sub_account(view: SubAccountView) -> SubAccount:
    return SubAccount(
        id=view.id,
        client_id=view.client_id,
        username=view.username,
        package_id=view.package_id,
        created_at=utc(view.created_at),
    )
