"""Demo data for ``pulsebill demo``: a deck, a reseller, packages, clients, lines, DIDs, calls.

Idempotent: the demo reseller is found by name; a second run adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from api.domain.actor import Actor
from api.domain.errors import NotFound
from api.services import (
    cdrs,
    clients,
    decks,
    dids,
    packages,
    payments,
    resellers,
    sub_accounts,
)
from api.services.client_packages import attach_package
from api.services.context import ServicesContext
from api.services.views import CdrInput, NewDid

DEMO_RESELLER = "Demo Telecom"
DEMO_CLIENTS = (("Alice Bakery", "soft", 50_000_000), ("Bob Garage", "hard", 20_000_000))
DEMO_DIDS = ("+15145550100", "+15145550101", "+442079460000")
DEMO_CALLS = ("+12025550123", "+442071234567", "+525512345678", "+33142868200")


@dataclass(frozen=True, slots=True)
class DemoSummary:
    """What the demo holds; ``token`` is set only on the run that created the reseller."""

    reseller_id: int
    token: str | None
    deck_version: str
    package_ids: tuple[int, ...]
    client_ids: tuple[int, ...]
    created: bool

    def __repr__(self) -> str:
        return f"DemoSummary(reseller_id={self.reseller_id}, created={self.created})"


async def load_demo(ctx: ServicesContext, rules_dir: Path, deck_path: Path) -> DemoSummary:
    """Build the demo tenant (or find the one built before)."""
    operator = Actor.operator()
    deck = await decks.import_deck(
        ctx,
        operator,
        deck_path.read_text(encoding="utf-8-sig"),
        name=deck_path.name,
        source=str(deck_path),
        activate=True,
    )
    try:
        existing = await resellers.find_reseller_by_name(ctx, operator, DEMO_RESELLER)
    except NotFound:
        pass
    else:
        reseller = Actor.reseller(existing.id)
        listed = await clients.list_clients(ctx, reseller)
        return DemoSummary(
            existing.id,
            None,
            deck.version,
            tuple(p.id for p in await packages.list_packages(ctx, reseller)),
            tuple(c.id for c in listed),
            False,
        )
    created = await resellers.create_reseller(ctx, operator, DEMO_RESELLER, "USD")
    reseller = Actor.reseller(created.reseller.id)
    package_ids: list[int] = []
    for path in sorted(rules_dir.glob("*.rate")):
        published = await packages.publish_package(
            ctx, reseller, path.read_text(encoding="utf-8"), file_name=path.name
        )
        package_ids += [v.package_id for v in published.versions]
    await dids.add_dids(ctx, operator, [NewDid(n, 1_000_000, 500_000, 3_000) for n in DEMO_DIDS])
    client_ids: list[int] = []
    now = ctx.now()
    for index, (name, kind, paid) in enumerate(DEMO_CLIENTS):
        client = await clients.create_client(ctx, reseller, name, balance_type=kind)
        client_ids.append(client.id)
        await payments.add_payment(ctx, reseller, client.id, paid, description="welcome credit")
        if package_ids:
            await attach_package(ctx, reseller, client.id, package_ids[index % len(package_ids)])
        line = f"demo-{name.split()[0].lower()}"
        await sub_accounts.create_sub_account(ctx, reseller, client.id, line)
        number = DEMO_DIDS[index]
        await dids.take_did(ctx, reseller, number)
        await dids.assign_did(
            ctx, reseller, number, client.id, monthly_price=2_000_000, per_minute_price=10_000
        )
        for k, dialled in enumerate(DEMO_CALLS):
            await cdrs.rate_cdr(
                ctx,
                reseller,
                CdrInput(
                    "demo",
                    f"{line}-{k}",
                    line,
                    "outbound",
                    dialled,
                    now - timedelta(hours=k + 1),
                    45 + 70 * k,
                ),
            )
    return DemoSummary(
        created.reseller.id,
        created.token.token,
        deck.version,
        tuple(package_ids),
        tuple(client_ids),
        True,
    )
