"""Demo data for ``pulsebill demo``: a deck, a reseller, packages, clients, lines, DIDs, calls.

Idempotent: the demo reseller is found by name; a second run adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from api.domain.actor import Actor
from api.domain.errors import NotFound
from api.domain.tenants import short_name
from api.services import (
    cdrs,
    client_packages,
    clients,
    decks,
    dids,
    packages,
    payments,
    resellers,
    sub_accounts,
)
from api.services.context import ServicesContext
from api.services.records import CdrInput, NewDid
from ratelang import compile_source

DEMO_RESELLER = "Demo Telecom"
DEMO_CLIENTS = (("Alice Bakery", "soft", 50_000_000), ("Bob Garage", "hard", 60_000_000))
DEMO_DIDS = ("+15145550100", "+15145550101", "+442079460000")
DEMO_CALLS = ("+12025550123", "+442071234567", "+525512345678", "+33142868200")


@dataclass(frozen=True, slots=True)
class DemoSummary:
    """What the demo holds; ``token`` is set only on the run that created the reseller
    (``pulsebill demo`` prints tokens derived from the secret key instead)."""

    reseller_id: int
    token: str | None
    deck_version: str
    package_ids: tuple[int, ...]
    client_ids: tuple[int, ...]
    created: bool

    def __repr__(self) -> str:
        return f"DemoSummary(reseller_id={self.reseller_id}, created={self.created})"


async def load_demo(ctx: ServicesContext, rules_dir: Path, deck_path: Path) -> DemoSummary:
    """Build the demo tenant step by step; each step is skipped when already done, so a
    run that stopped halfway is completed by the next one and a full run adds nothing."""
    operator = Actor.operator()
    deck = await decks.import_deck(
        ctx,
        operator,
        deck_path.read_text(encoding="utf-8-sig"),
        name=deck_path.name,
        source=str(deck_path),
        activate=True,
    )
    token: str | None = None
    try:
        reseller_id = (await resellers.find_reseller_by_name(ctx, operator, DEMO_RESELLER)).id
    except NotFound:
        created = await resellers.create_reseller(ctx, operator, DEMO_RESELLER, "USD")
        reseller_id, token = created.reseller.id, created.token.token
    reseller = Actor.reseller(reseller_id)
    package_ids = await _publish_packages(ctx, reseller, rules_dir)
    known = {d.number for d in await dids.list_dids(ctx, operator)}
    fresh = [NewDid(n, 1_000_000, 500_000, 3_000) for n in DEMO_DIDS if n.lstrip("+") not in known]
    if fresh:
        await dids.add_dids(ctx, operator, fresh)
    existing = {c.name: c.id for c in await clients.list_clients(ctx, reseller)}
    client_ids: list[int] = []
    for index, (name, kind, paid) in enumerate(DEMO_CLIENTS):
        client_id = existing.get(name)
        if client_id is None:
            client_id = (await clients.create_client(ctx, reseller, name, balance_type=kind)).id
        client_ids.append(client_id)
        package_id = package_ids[index % len(package_ids)] if package_ids else None
        await _equip_client(ctx, reseller, client_id, name, paid, package_id, DEMO_DIDS[index])
    return DemoSummary(
        reseller_id,
        token,
        deck.version,
        tuple(package_ids),
        tuple(client_ids),
        token is not None,
    )


async def _publish_packages(ctx: ServicesContext, reseller: Actor, rules_dir: Path) -> list[int]:
    """Publish each rule file whose packages are not all published yet."""
    published = {p.name: p.id for p in await packages.list_packages(ctx, reseller)}
    for path in sorted(rules_dir.glob("*.rate")):
        source = path.read_text(encoding="utf-8")
        names = {p.name for p in compile_source(source, path.name).packages}
        if not names <= published.keys():
            result = await packages.publish_package(ctx, reseller, source, file_name=path.name)
            published.update({v.name: v.package_id for v in result.versions})
    return sorted(published.values())


async def _equip_client(
    ctx: ServicesContext,
    reseller: Actor,
    client_id: int,
    name: str,
    paid: int,
    package_id: int | None,
    did_number: str,
) -> None:
    """Credit, package, line, DID and a few calls for one demo client (each step once)."""
    slug = name.split()[0].lower()
    await payments.add_payment(
        ctx, reseller, client_id, paid, description="welcome credit", key=f"demo-credit-{slug}"
    )
    if package_id is not None and not await client_packages.list_attachments(
        ctx, reseller, client_id
    ):
        await client_packages.attach_package(ctx, reseller, client_id, package_id)
    line = f"demo-{slug}"
    if not any(
        short_name(s.username) == line for s in await sub_accounts.list_sub_accounts(ctx, reseller)
    ):
        await sub_accounts.create_sub_account(ctx, reseller, client_id, line)
    did = next(d for d in await dids.list_dids(ctx, Actor.operator()) if d.number in did_number)
    if did.reseller_id is None:
        await dids.take_did(ctx, reseller, did_number)
    if did.client_id is None:
        await dids.assign_did(
            ctx, reseller, did_number, client_id, monthly_price=2_000_000, per_minute_price=10_000
        )
    now = ctx.now()
    for k, dialled in enumerate(DEMO_CALLS):
        call = CdrInput(
            "demo",
            f"{line}-{k}",
            line,
            "outbound",
            dialled,
            now - timedelta(hours=k + 1),
            45 + 70 * k,
        )
        await cdrs.rate_cdr(ctx, reseller, call)
