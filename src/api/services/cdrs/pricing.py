"""Pricing CDRs: the in-memory part shared by both paths.

:class:`CallRater` loads what a set of CDRs needs (lines, packages, DIDs, the deck) with a
few queries (the batch path; the real-time path gives it what its one read found), then
rates each CDR in order, keeping each bundle's free minutes in memory, and returns the
:class:`~api.store.cdrs.row.CdrRow` to store. Posting is the caller's job.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from api.domain.cycles import cycle_start
from api.domain.free_minutes import current_bundle
from api.domain.reservations import charged_duration
from api.services.cdrs.lines import Line, client_dids, did_lines, resolve_lines
from api.services.context import ServicesContext
from api.services.decks import active_deck
from api.services.packages import compiled_version
from api.services.records import CdrInput
from api.store.cdrs.row import CdrRow
from api.store.tables import Did
from api.store.unit_of_work import UnitOfWork
from ratelang.compile import compile_source
from ratelang.model import CompiledPackage, Deck, Direction, Pulse, Route, RuleKind
from ratelang.numbers import NumberError, normalize
from ratelang.pricing import Pricer, price
from ratelang.rating import Call, DidPrice, Rating, RatingError

UNKNOWN_SUB_ACCOUNT = "unknown_sub_account"
NO_PACKAGE = "no_package"
NO_DECK = "unroutable: no active deck"
UNKNOWN_DID = "unknown_did"

DID_ONLY_RULES = """package "DID only" {
    currency USD
    route canada value
    route international value
}
"""
"""How an inbound call to a DID is billed when the client has no package: the DID's
per-minute price with the language's defaults (pulse 60, round 4 half_up, no connect fee,
no grace, no free minutes); the currency is not used."""


@functools.cache
def did_only_package() -> CompiledPackage:
    """:data:`DID_ONLY_RULES`, compiled once."""
    return compile_source(DID_ONLY_RULES, "<did only>").packages[0]


def by_did(cdr: CdrInput) -> bool:
    """An inbound CDR that names no sub account: its line is the DID's client."""
    return not cdr.sub_account and cdr.direction == "inbound"


_OUTBOUND = Direction.OUTBOUND
_INBOUND = Direction.INBOUND
_NO_NUMBERS: frozenset[str] = frozenset()


@dataclass(slots=True)
class Bundle:
    """An attachment's free minutes as this unit of work sees them."""

    attachment_id: int
    cycle_start: date
    used: int
    allowance: int
    changed: bool = False


def make_bundle(line: Line, package: CompiledPackage, today: date) -> Bundle:
    """The line's bundle in the cycle that contains ``today``."""
    if line.attachment_id is None or line.cycle_start is None:
        raise ValueError("the line has no attached package")
    allowance = package.free_minutes
    bundle = current_bundle(
        allowance, line.free_minutes_used, line.cycle_start, cycle_start(line.billing_day, today)
    )
    return Bundle(
        line.attachment_id,
        bundle.cycle_start,
        bundle.used,
        allowance,
        changed=bundle.cycle_start != line.cycle_start,
    )


def safe_digits(number: str) -> str | None:
    try:
        return normalize(number)
    except NumberError:
        return None


@dataclass(slots=True)
class CallRater:
    """Rates CDRs of one tenant against the lines, packages, bundles and deck it loaded.

    ``when`` converts a timestamp to what the backend stores (rows go to the raw driver).
    """

    ctx: ServicesContext
    uow: UnitOfWork | None  # None: rating only, nothing to load (the real-time path)
    tenant: int
    now: datetime
    when: Callable[[datetime], Any] = lambda d: d
    deck: Deck | None = None
    lines: dict[str, Line] = field(default_factory=dict)
    packages: dict[int, CompiledPackage] = field(default_factory=dict)
    bundles: dict[int, Bundle] = field(default_factory=dict)
    dids: dict[str, Did] = field(default_factory=dict)
    did_lines: dict[int, Line] = field(default_factory=dict)  # by client id
    digits: dict[str, str | None] = field(default_factory=dict)
    pricers: dict[int, Pricer] = field(default_factory=dict)
    transactions: dict[int, int] = field(default_factory=dict)
    """Client id → the ``calls`` transaction that rows with money name (the batch path)."""
    granted: dict[str, int] = field(default_factory=dict)
    """Call id → the seconds its released reservation had granted: such a call is priced
    for at most those (its row keeps the switch's duration)."""

    async def prepare(self, cdrs: Sequence[CdrInput]) -> None:
        """Load everything the CDRs need, locking the bundles they may consume."""
        if self.uow is None:
            raise RuntimeError("this rater has no unit of work to load from")
        self.deck = await active_deck(self.ctx, self.uow)
        self.lines = await resolve_lines(
            self.uow, self.tenant, {c.sub_account for c in cdrs if c.sub_account}
        )
        digits = self.digits
        for number in {c.number for c in cdrs}:
            if number not in digits:
                digits[number] = safe_digits(number)
        numbers = {d for d in digits.values() if d is not None}
        self.dids = dict(await client_dids(self.uow, numbers))
        called = {digits[c.number] for c in cdrs if by_did(c)}
        if called:
            dids = [d for n, d in self.dids.items() if n in called]
            self.did_lines = await did_lines(self.uow, self.tenant, dids)
        today = self.now.date()
        for line in self.all_lines():
            if line.version_id is None or line.version_id in self.packages:
                continue
            self.packages[line.version_id] = await compiled_version(
                self.ctx, self.uow, line.version_id
            )
        for line in self.all_lines():
            if line.attachment_id is None or line.attachment_id in self.bundles:
                continue
            assert line.version_id is not None
            self.bundles[line.attachment_id] = make_bundle(
                line, self.packages[line.version_id], today
            )

    def all_lines(self) -> list[Line]:
        """The lines of sub accounts and those of the clients of DIDs called."""
        return [*self.lines.values(), *self.did_lines.values()]

    def rate(self, cdr: CdrInput) -> tuple[CdrRow, int | None, int, int]:
        """Rate one CDR (consuming free minutes in memory): (row, client id, sell, cost).

        Unrated CDRs post nothing (sell = cost = 0). A row with money names the client's
        transaction of :attr:`transactions` (``None`` when there is none).
        """
        number = cdr.number
        digits = self.digits.get(number)
        if digits is None and number not in self.digits:
            digits = self.digits[number] = safe_digits(number)
        inbound = cdr.direction == "inbound"
        if inbound and not cdr.sub_account:
            called = self.dids.get(digits) if digits is not None else None
            line = None if called is None else self.did_lines.get(called.client_id or 0)
            if line is None or called is None or called.reseller_id != self.tenant:
                return self.unrated(cdr, None, None, UNKNOWN_DID), None, 0, 0
        else:
            line = self.lines.get(cdr.sub_account)
            if line is None:
                return self.unrated(cdr, None, None, UNKNOWN_SUB_ACCOUNT), None, 0, 0
        client_id = line.client_id
        bundle = None
        if line.version_id is not None and line.attachment_id is not None:
            package = self.packages[line.version_id]
            bundle = self.bundles[line.attachment_id]
        elif inbound:  # a call to a DID is priced by the DID, package or not
            package = did_only_package()
        else:
            return self.unrated(cdr, line, None, NO_PACKAGE), client_id, 0, 0
        deck = self.deck
        if deck is None:
            return self.unrated(cdr, line, None, NO_DECK), client_id, 0, 0
        did_id = None
        left = 0 if bundle is None else max(0, bundle.allowance - bundle.used)
        duration = cdr.duration
        if self.granted:
            duration = charged_duration(duration, self.granted.get(cdr.call_id))
        try:
            if inbound:
                did_price = None
                if digits is not None:
                    did = self.dids.get(digits)
                    if did is None or did.client_id != client_id:
                        return self.unrated(cdr, line, None, UNKNOWN_DID), client_id, 0, 0
                    did_id = did.id
                    did_price = DidPrice(did.per_minute_price, did.per_minute_cost)
                call = Call(number, duration, _INBOUND, left, _NO_NUMBERS, did_price)
                r = price(call, package, deck)
            else:
                assert line.version_id is not None
                pricer = self.pricers.get(line.version_id)
                if pricer is None:
                    pricer = self.pricers[line.version_id] = Pricer(package, deck)
                on_net = digits is not None and package.on_net_free and digits in self.dids
                r = pricer.price(number, digits, duration, left, on_net)
        except RatingError as exc:
            reason = f"{exc.reason.value}: {exc.message}"[:500]
            return self.unrated(cdr, line, did_id, reason), client_id, 0, 0
        if r.free_minutes_used and bundle is not None:
            bundle.used += r.free_minutes_used
            bundle.changed = True
        tx_id = self.transactions.get(client_id) if r.sell or r.cost else None
        row = rated_row(self.tenant, cdr, line, did_id, r, deck.version, self.when, self.now, tx_id)
        return row, client_id, r.sell, r.cost

    def unrated(self, cdr: CdrInput, line: Line | None, did_id: int | None, reason: str) -> CdrRow:
        """The row of a CDR that could not be rated, with the ``reason``."""
        when = self.when
        return _row(CdrRow, (
            self.tenant,
            None if line is None else line.client_id,
            None if line is None else line.sub_account_id,
            did_id,
            cdr.source,
            cdr.call_id,
            cdr.direction,
            cdr.number[:64],
            when(cdr.started_at),
            cdr.duration,
            "unrated",
            reason,
            0, 0, 0, "", 0, 0, 0, 0, 0, 0, "", "", None, "", "", "", "", 0, False, None, "",
            None,
            when(self.now),
        ))  # fmt: skip


def rated_row(
    tenant: int,
    cdr: CdrInput,
    line: Line,
    did_id: int | None,
    r: Rating,
    deck_version: str,
    when: Callable[[datetime], Any],
    now: datetime,
    transaction_id: int | None = None,
) -> CdrRow:
    """The row of a priced call."""
    rule = r.rule
    route = r.route
    sell = r.sell
    cost = r.cost
    pulse = r.pulse
    pulse_text = _PULSE_TEXT.get(pulse)
    if pulse_text is None:
        pulse_text = _PULSE_TEXT[pulse] = str(pulse)
    return _row(CdrRow, (
        tenant, line.client_id, line.sub_account_id, did_id, cdr.source, cdr.call_id,
        cdr.direction, r.number, when(cdr.started_at), cdr.duration, "rated", "",
        r.billed_seconds, r.cost_billed_seconds, r.charged_seconds, pulse_text,
        r.sell_rate, sell, r.connect_fee, r.cost_rate, cost, sell - cost,
        _VALUES[rule.kind], rule.text[:300], rule.line, r.deck_prefix or "", r.country or "",
        r.description[:200], _VALUES[route] if route else "", r.free_minutes_used, r.on_net,
        line.version_id, deck_version, transaction_id, when(now),
    ))  # fmt: skip


_row = tuple.__new__
"""Builds a :class:`CdrRow` from its values in column order (a third of the cost of
``CdrRow(...)``, per CDR of a batch)."""
_PULSE_TEXT: dict[Pulse, str] = {}
_VALUES: dict[Any, str] = {e: e.value for enum in (RuleKind, Route) for e in enum}
