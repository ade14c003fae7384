"""Rating CDRs inside one unit of work: the in-memory part shared by both ingest paths.

:class:`CallRater` loads what a set of CDRs needs (lines, packages, DIDs, the deck) with a
few queries, then rates each CDR in order, keeping each bundle's free minutes in memory,
and returns the CDR row to store. Posting is the caller's job.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from api.domain.cycles import cycle_start
from api.domain.free_minutes import current_bundle
from api.services.call_lines import Line, client_dids, resolve_lines
from api.services.context import ServicesContext
from api.services.decks import active_deck
from api.services.packages import compiled_version
from api.services.views import CdrInput
from api.store.unit_of_work import UnitOfWork
from ratelang.model import CompiledPackage, Deck, Direction
from ratelang.numbers import NumberError, normalize
from ratelang.pricing import price
from ratelang.rating import Call, DidPrice, Rating, RatingError

UNKNOWN_SUB_ACCOUNT = "unknown_sub_account"
NO_PACKAGE = "no_package"
NO_DECK = "unroutable: no active deck"
UNKNOWN_DID = "unknown_did"


@dataclass(slots=True)
class Bundle:
    """An attachment's free minutes as this unit of work sees them."""

    attachment_id: int
    cycle_start: Any
    used: int
    allowance: int
    changed: bool = False


@dataclass(slots=True)
class RatedCall:
    """One CDR ready to store: its row and what to post for it."""

    row: dict[str, Any]
    client_id: int | None
    sell: int
    cost: int


@dataclass(slots=True)
class CallRater:
    ctx: ServicesContext
    uow: UnitOfWork
    tenant: int
    now: datetime
    deck: Deck | None = None
    lines: dict[str, Line] = field(default_factory=dict)
    packages: dict[int, CompiledPackage] = field(default_factory=dict)
    bundles: dict[int, Bundle] = field(default_factory=dict)
    dids: dict[str, Any] = field(default_factory=dict)
    digits: dict[str, str | None] = field(default_factory=dict)

    async def prepare(self, cdrs: Sequence[CdrInput]) -> None:
        """Load everything the CDRs need, locking the bundles they may consume."""
        self.deck = await active_deck(self.ctx, self.uow)
        self.lines = await resolve_lines(self.uow, self.tenant, (c.sub_account for c in cdrs))
        today = self.now.date()
        for line in self.lines.values():
            if line.version_id is None or line.version_id in self.packages:
                continue
            self.packages[line.version_id] = await compiled_version(
                self.ctx, self.uow, line.version_id
            )
        for line in self.lines.values():
            if line.attachment_id is None or line.attachment_id in self.bundles:
                continue
            assert line.version_id is not None
            assert line.cycle_start is not None
            allowance = self.packages[line.version_id].free_minutes
            bundle = current_bundle(
                allowance,
                line.free_minutes_used,
                line.cycle_start,
                cycle_start(line.billing_day, today),
            )
            self.bundles[line.attachment_id] = Bundle(
                line.attachment_id,
                bundle.cycle_start,
                bundle.used,
                allowance,
                changed=bundle.cycle_start != line.cycle_start,
            )
        for cdr in cdrs:
            if cdr.number not in self.digits:
                try:
                    self.digits[cdr.number] = normalize(cdr.number)
                except NumberError:
                    self.digits[cdr.number] = None
        numbers = {d for d in self.digits.values() if d is not None}
        self.dids = dict(await client_dids(self.uow, numbers))

    def rate(self, cdr: CdrInput) -> RatedCall:
        """Rate one CDR (consuming free minutes in memory); unrated CDRs post nothing."""
        row = base_row(self.tenant, cdr, self.now)
        line = self.lines.get(cdr.sub_account)
        if line is None:
            return _unrated(row, None, UNKNOWN_SUB_ACCOUNT)
        row["client_id"] = line.client_id
        row["sub_account_id"] = line.sub_account_id
        if line.version_id is None or line.attachment_id is None:
            return _unrated(row, line.client_id, NO_PACKAGE)
        if self.deck is None:
            return _unrated(row, line.client_id, NO_DECK)
        package = self.packages[line.version_id]
        bundle = self.bundles[line.attachment_id]
        direction = Direction(cdr.direction)
        digits = self.digits.get(cdr.number)
        did_price = None
        if direction is Direction.INBOUND and digits is not None:
            did = self.dids.get(digits)
            if did is None or did.client_id != line.client_id:
                return _unrated(row, line.client_id, UNKNOWN_DID)
            row["did_id"] = did.id
            did_price = DidPrice(did.per_minute_price, did.per_minute_cost)
        on_net = (
            frozenset({digits})
            if digits is not None and digits in self.dids and package.on_net_free
            else frozenset()
        )
        call = Call(
            cdr.number,
            cdr.duration,
            direction,
            max(0, bundle.allowance - bundle.used),
            on_net,
            did_price,
        )
        try:
            rating = price(call, package, self.deck)
        except RatingError as exc:
            return _unrated(row, line.client_id, f"{exc.reason.value}: {exc.message}"[:500])
        if rating.free_minutes_used:
            bundle.used += rating.free_minutes_used
            bundle.changed = True
        fill_rating(row, rating, line.version_id, self.deck.version)
        return RatedCall(row, line.client_id, rating.sell, rating.cost)


def base_row(tenant: int, cdr: CdrInput, now: datetime) -> dict[str, Any]:
    """Every CDR column with its default; the rating fills in the rest."""
    return {
        "reseller_id": tenant,
        "client_id": None,
        "sub_account_id": None,
        "did_id": None,
        "source": cdr.source,
        "call_id": cdr.call_id,
        "direction": cdr.direction,
        "number": cdr.number[:64],
        "started_at": cdr.started_at,
        "duration": cdr.duration,
        "status": "unrated",
        "failure_reason": "",
        "billed_seconds": 0,
        "cost_billed_seconds": 0,
        "charged_seconds": 0,
        "pulse": "",
        "sell_rate": 0,
        "sell": 0,
        "connect_fee": 0,
        "cost_rate": 0,
        "cost": 0,
        "profit": 0,
        "rule_kind": "",
        "rule_text": "",
        "rule_line": None,
        "deck_prefix": "",
        "country": "",
        "description": "",
        "route": "",
        "free_minutes_used": 0,
        "on_net": False,
        "package_version_id": None,
        "deck_version": "",
        "transaction_id": None,
        "created_at": now,
    }


def fill_rating(row: dict[str, Any], r: Rating, version_id: int, deck_version: str) -> None:
    row.update(
        status="rated",
        number=r.number,
        billed_seconds=r.billed_seconds,
        cost_billed_seconds=r.cost_billed_seconds,
        charged_seconds=r.charged_seconds,
        pulse=str(r.pulse),
        sell_rate=int(r.sell_rate),
        sell=int(r.sell),
        connect_fee=int(r.connect_fee),
        cost_rate=int(r.cost_rate),
        cost=int(r.cost),
        profit=int(r.profit),
        rule_kind=r.rule.kind.value,
        rule_text=r.rule.text[:300],
        rule_line=r.rule.line,
        deck_prefix=r.deck_prefix or "",
        country=r.country or "",
        description=r.description[:200],
        route=r.route.value if r.route else "",
        free_minutes_used=r.free_minutes_used,
        on_net=r.on_net,
        package_version_id=version_id,
        deck_version=deck_version,
    )


def _unrated(row: dict[str, Any], client_id: int | None, reason: str) -> RatedCall:
    row["failure_reason"] = reason
    return RatedCall(row, client_id, 0, 0)
