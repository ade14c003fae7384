"""Reseller mutations: packages, clients, sub accounts, DIDs, payments and charges.

Each calls one use case of :mod:`api.services` as the verified caller and returns the
result or a typed problem; money arrives as ``Decimal`` strings and leaves as ``Money``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import strawberry

from api.domain import errors as domain
from api.graphql.context import Info
from api.graphql.errors import (
    Conflict,
    InsufficientBalance,
    InvalidInput,
    NotFound,
    RuleErrors,
    StillAttached,
    common_problem,
    invalid,
    invalid_all,
    source_problem,
)
from api.graphql.loaders import AttachedPackage
from api.graphql.scalars import from_micros, to_micros
from api.graphql.types.clients import BalanceType, Client, ClientPackage, SubAccount
from api.graphql.types.common import utc
from api.graphql.types.dids import Did
from api.graphql.types.ledger import MoneyMovement
from api.graphql.types.packages import PackageVersion, Published
from api.services import client_packages, clients, dids, packages, payments, sub_accounts

MAX_TEXT = 500

PublishResult = Annotated[
    Published | RuleErrors | InvalidInput, strawberry.union("PublishPackageResult")
]
ClientResult = Annotated[
    Client | NotFound | InvalidInput | Conflict, strawberry.union("ClientMutationResult")
]
DeleteClientResult = Annotated[
    Client | NotFound | InvalidInput | Conflict | StillAttached,
    strawberry.union("DeleteClientResult"),
]
AttachmentResult = Annotated[
    ClientPackage | NotFound | InvalidInput | Conflict, strawberry.union("AttachmentResult")
]


@strawberry.type
class SubAccountCreated:
    """The new line and its password (shown here once; later via ``subAccountPassword``)."""

    sub_account: SubAccount
    password: str


SubAccountResult = Annotated[
    SubAccountCreated | NotFound | InvalidInput | Conflict, strawberry.union("SubAccountResult")
]
DidResult = Annotated[Did | NotFound | InvalidInput | Conflict, strawberry.union("DidResult")]
MoneyResult = Annotated[
    MoneyMovement | NotFound | InvalidInput | Conflict | InsufficientBalance,
    strawberry.union("MoneyResult"),
]


@strawberry.input
class ClientInput:
    name: str | None = None
    balance_type: BalanceType | None = None
    billing_day: int | None = None
    low_balance_threshold: Decimal | None = None
    company: str | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None


async def publish_package(info: Info, source: str, file_name: str = "<input>") -> PublishResult:
    """Compile rule source and store each package in it as a new version."""
    context = info.context
    actor = context.require_role("reseller")
    try:
        result = await packages.publish_package(
            context.services, actor, source, file_name=file_name
        )
    except domain.RuleCompileFailed as exc:
        return RuleErrors(
            message=exc.message, errors=[source_problem(p) for p in exc.errors], warnings=[]
        )
    except domain.InvalidInput as exc:
        return invalid(exc.field, exc.detail)
    return Published(
        versions=[PackageVersion.from_domain(v, source) for v in result.versions],
        warnings=[source_problem(w) for w in result.warnings],
    )


async def create_client(info: Info, input: ClientInput) -> ClientResult:
    context = info.context
    actor = context.require_role("reseller")
    threshold = input.low_balance_threshold
    try:
        view = await clients.create_client(
            context.services, actor, "" if input.name is None else input.name,
            balance_type=(input.balance_type or BalanceType.SOFT).value,
            billing_day=1 if input.billing_day is None else input.billing_day,
            low_balance_threshold=None if threshold is None else to_micros(threshold),
            company=input.company or "", email=input.email or "",
            phone=input.phone or "", address=input.address or "",
        )  # fmt: skip
    except domain.ServiceError as exc:
        return common_problem(exc)
    return Client.from_domain(view)


async def update_client(info: Info, id: int, input: ClientInput) -> ClientResult:
    context = info.context
    actor = context.acting_as("reseller", what="client", client_id=id)
    if isinstance(actor, NotFound):
        return actor
    threshold = input.low_balance_threshold
    extra = {} if threshold is None else {"low_balance_threshold": to_micros(threshold)}
    try:
        view = await clients.update_client(
            context.services, actor, id, name=input.name,
            balance_type=None if input.balance_type is None else input.balance_type.value,
            billing_day=input.billing_day, company=input.company, email=input.email,
            phone=input.phone, address=input.address, **extra,
        )  # fmt: skip
    except domain.ServiceError as exc:
        return common_problem(exc)
    return Client.from_domain(view)


async def delete_client(info: Info, id: int) -> DeleteClientResult:
    """Close a client; refused while packages or DIDs are attached (history is kept)."""
    context = info.context
    actor = context.acting_as("reseller", what="client", client_id=id)
    if isinstance(actor, NotFound):
        return actor
    try:
        view = await clients.close_client(context.services, actor, id)
    except domain.StillAttached as exc:
        names = exc.names
        return StillAttached(
            message=exc.message,
            packages=[n.removeprefix("package ") for n in names if n.startswith("package ")],
            dids=[n.removeprefix("DID ") for n in names if n.startswith("DID ")],
        )
    except domain.ServiceError as exc:
        return common_problem(exc)
    return Client.from_domain(view)


async def attach_package(info: Info, client_id: int, package_id: int) -> AttachmentResult:
    context = info.context
    actor = context.acting_as("reseller", what="client", client_id=client_id)
    if isinstance(actor, NotFound):
        return actor
    try:
        view = await client_packages.attach_package(context.services, actor, client_id, package_id)
    except domain.ServiceError as exc:
        return common_problem(exc)
    return ClientPackage.from_domain(
        AttachedPackage(view.package_id, view.package_name, view.latest_version,
                        view.free_minutes_used, utc(view.attached_at))
    )  # fmt: skip


async def detach_package(info: Info, client_id: int, package_id: int) -> AttachmentResult:
    context = info.context
    actor = context.acting_as("reseller", what="client", client_id=client_id)
    if isinstance(actor, NotFound):
        return actor
    try:
        view = await client_packages.detach_package(context.services, actor, client_id, package_id)
    except domain.ServiceError as exc:
        return common_problem(exc)
    return ClientPackage.from_domain(
        AttachedPackage(view.package_id, view.package_name, view.latest_version,
                        view.free_minutes_used, utc(view.attached_at))
    )  # fmt: skip


async def create_sub_account(
    info: Info,
    client_id: int,
    username: str,
    password: str | None = None,
    package_id: int | None = None,
) -> SubAccountResult:
    """A SIP/IAX line; a strong password is generated when none is given."""
    context = info.context
    actor = context.acting_as("reseller", what="client", client_id=client_id)
    if isinstance(actor, NotFound):
        return actor
    problems = []
    if len(username) > 100:
        problems.append(("username", "at most 100 characters"))
    if password is not None and not 8 <= len(password) <= 128:
        problems.append(("password", "between 8 and 128 characters"))
    if problems:
        return invalid_all(problems)
    try:
        created = await sub_accounts.create_sub_account(
            context.services, actor, client_id, username, password=password, package_id=package_id
        )
    except domain.InvalidInput as exc:
        return invalid("packageId" if exc.field == "package_id" else exc.field, exc.detail)
    except domain.ServiceError as exc:
        return common_problem(exc)
    view = created.sub_account
    return SubAccountCreated(
        sub_account=SubAccount(
            id=view.id, client_id=view.client_id, username=view.username,
            package_id=view.package_id, created_at=utc(view.created_at),
        ),
        password=created.password,
    )  # fmt: skip


async def take_did(info: Info, number: str) -> DidResult:
    context = info.context
    actor = context.require_role("reseller")
    if len(number) > 32:
        return invalid("number", "at most 32 characters")
    try:
        view = await dids.take_did(context.services, actor, number)
    except domain.ServiceError as exc:
        return common_problem(exc)
    return Did.from_domain(view, await context.tenant_currency(view.reseller_id))


async def assign_did(
    info: Info,
    number: str,
    client_id: int,
    monthly_price: Decimal,
    per_minute_price: Decimal,
    setup_price: Decimal = Decimal(0),
) -> DidResult:
    context = info.context
    actor = context.acting_as("reseller", what="client", client_id=client_id)
    if isinstance(actor, NotFound):
        return actor
    negative = [
        (field, "must not be negative")
        for field, value in (
            ("monthlyPrice", monthly_price), ("perMinutePrice", per_minute_price),
            ("setupPrice", setup_price),
        )
        if value < 0
    ]  # fmt: skip
    if negative:
        return invalid_all(negative)
    try:
        view = await dids.assign_did(
            context.services, actor, number, client_id,
            monthly_price=to_micros(monthly_price), per_minute_price=to_micros(per_minute_price),
            setup_price=to_micros(setup_price),
        )  # fmt: skip
    except domain.ServiceError as exc:
        return common_problem(exc)
    return Did.from_domain(view, await context.tenant_currency(view.reseller_id))


async def add_payment(
    info: Info,
    client_id: int,
    amount: Decimal,
    description: str = "",
    idempotency_key: str | None = None,
) -> MoneyResult:
    """Credit the client. ``idempotencyKey`` (1..128 printable characters, kept 30 days per
    reseller): a retry with the same key and arguments returns the first result."""
    return await _money(info, client_id, amount, description, idempotency_key, payment=True)


async def add_charge(
    info: Info,
    client_id: int,
    amount: Decimal,
    description: str = "",
    idempotency_key: str | None = None,
    allow_overdraft: Annotated[
        bool,
        strawberry.argument(
            description="false: refuse (InsufficientBalance) a charge that would take a hard "
            "client below zero, instead of posting it"
        ),
    ] = True,
) -> MoneyResult:
    """Debit the client. ``idempotencyKey`` (1..128 printable characters, kept 30 days per
    reseller): a retry with the same key and arguments returns the first result."""
    return await _money(
        info, client_id, amount, description, idempotency_key,
        payment=False, allow_overdraft=allow_overdraft,
    )  # fmt: skip


async def _money(
    info: Info,
    client_id: int,
    amount: Decimal,
    description: str,
    idempotency_key: str | None,
    *,
    payment: bool,
    allow_overdraft: bool = True,
) -> MoneyResult:
    context = info.context
    actor = context.acting_as("reseller", what="client", client_id=client_id)
    if isinstance(actor, NotFound):
        return actor
    problems = []
    if amount <= 0:
        problems.append(("amount", "must be greater than 0"))
    if len(description) > MAX_TEXT:
        problems.append(("description", f"at most {MAX_TEXT} characters"))
    if problems:
        return invalid_all(problems)
    micros = to_micros(amount)
    try:
        if payment:
            view = await payments.add_payment(
                context.services, actor, client_id, micros, description=description,
                idempotency_key=idempotency_key,
            )  # fmt: skip
        else:
            view = await payments.add_charge(
                context.services, actor, client_id, micros, description=description,
                allow_overdraft=allow_overdraft, idempotency_key=idempotency_key,
            )  # fmt: skip
    except domain.InsufficientBalance as exc:
        return InsufficientBalance(
            message=exc.message, balance=from_micros(exc.balance), amount=from_micros(exc.amount)
        )
    except domain.InvalidInput as exc:
        field = "idempotencyKey" if exc.field == "idempotency_key" else exc.field
        return invalid(field, exc.detail)
    except domain.ServiceError as exc:
        return common_problem(exc)
    client = await clients.get_client(context.services, actor, client_id)
    return MoneyMovement.from_domain(view, client.currency)
