"""The e-mails events cause, composed in the reseller's templates and queued in the
outbox inside the event's own unit of work (a rollback queues nothing)."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlmodel import col

from api.domain.branding import PortalSettings
from api.domain.mail_templates import TemplateKind, render
from api.events import Event, LowBalance
from api.mail.outbox import OutgoingMail, enqueue
from api.services.branding import portal_url, settings_of
from api.services.context import ServicesContext
from api.store.tables import Client, Reseller
from api.store.unit_of_work import UnitOfWork
from ratelang.money import format_micros


async def queue_event_mail(ctx: ServicesContext, uow: UnitOfWork, event: Event) -> int | None:
    """The e-mail ``event`` causes, queued (only a low-balance crossing causes one)."""
    if isinstance(event, LowBalance):
        return await queue_low_balance(
            ctx, uow, event.reseller_id, event.client_id, event.balance, event.threshold,
            event.currency,
        )  # fmt: skip
    return None


async def queue_low_balance(
    ctx: ServicesContext,
    uow: UnitOfWork,
    tenant: int,
    client_id: int,
    balance: int,
    threshold: int,
    currency: str,
) -> int | None:
    """Queue the low-balance e-mail to the client's address (``None``: it has none)."""
    values = {
        "balance": f"{format_micros(balance, 2)} {currency}",
        "threshold": f"{format_micros(threshold, 2)} {currency}",
    }
    return await _queue(ctx, uow, tenant, client_id, TemplateKind.LOW_BALANCE, values)


async def queue_reset_request(
    ctx: ServicesContext, uow: UnitOfWork, tenant: int, client_id: int, token: str
) -> int | None:
    """Queue the e-mail carrying the reset link (its body encrypted at rest)."""
    link = f"{portal_url(ctx, tenant)}/reset?token={token}"
    return await _queue(
        ctx, uow, tenant, client_id, TemplateKind.RESET_REQUEST, {"reset_link": link}, secret=True
    )


async def queue_reset_done(
    ctx: ServicesContext, uow: UnitOfWork, tenant: int, client_id: int
) -> int | None:
    """Queue the e-mail that confirms a password was reset."""
    return await _queue(ctx, uow, tenant, client_id, TemplateKind.RESET_DONE, {})


async def _queue(
    ctx: ServicesContext,
    uow: UnitOfWork,
    tenant: int,
    client_id: int,
    kind: TemplateKind,
    values: Mapping[str, str],
    *,
    secret: bool = False,
) -> int | None:
    row = (
        await uow.session.execute(
            select(col(Client.name), col(Client.email), col(Reseller.name))
            .join(Reseller, col(Reseller.id) == col(Client.reseller_id))
            .where(col(Client.id) == client_id, col(Client.reseller_id) == tenant)
        )
    ).first()
    if row is None or not row[1]:
        return None
    client_name, email, reseller_name = str(row[0]), str(row[1]), str(row[2])
    settings, _ = await settings_of(uow, tenant)
    rendered = render(
        settings.template(kind),
        {
            "client_name": client_name,
            "reseller_name": reseller_name,
            "portal_url": portal_url(ctx, tenant),
            **values,
        },
    )
    mail = OutgoingMail(
        reseller_id=tenant,
        client_id=client_id,
        kind=kind.value,
        recipient=email,
        from_name=_from_name(settings, reseller_name),
        reply_to=settings.reply_to,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        secret=secret,
    )
    return await enqueue(uow.session, ctx.cipher, mail, ctx.now())


def _from_name(settings: PortalSettings, reseller_name: str) -> str:
    return (settings.from_name or reseller_name)[:100]
