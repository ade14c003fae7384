"""Calls as a switch sees them: submitted CDRs with their rating, authorizations, previews."""

from __future__ import annotations

from enum import Enum

import strawberry

from api.domain.authorization import Authorization
from api.graphql.errors import Problem
from api.graphql.types.cdrs import MatchedRule
from api.graphql.types.common import CallDirection, Money, direction_of
from api.services.price_preview import PricePreview
from api.services.records import CdrResult, IngestSummary


@strawberry.type
class CdrRating:
    """A stored CDR: rated with every figure that explains its price, or unrated with
    ``failureReason``. ``duplicate`` is true when it had been submitted before."""

    id: int
    source: str
    call_id: str
    status: str
    failure_reason: str
    duplicate: bool
    client_id: int | None
    sub_account_id: int | None
    direction: CallDirection
    number: str
    duration: int
    billed_seconds: int
    charged_seconds: int
    sell_rate: Money
    sell: Money
    cost_rate: Money
    cost: Money
    profit: Money
    rule: MatchedRule
    deck_prefix: str
    country: str
    route: str
    free_minutes_used: int
    on_net: bool
    package_version_id: int | None = strawberry.field(
        description="The id of the package version (PackageVersion.id) it was rated with."
    )
    deck_version: str

    @classmethod
    def from_domain(cls, v: CdrResult, currency: str) -> CdrRating:
        def m(micros: int) -> Money:
            return Money.of(micros, currency)

        return cls(
            id=v.id, source=v.source, call_id=v.call_id, status=v.status,
            failure_reason=v.failure_reason, duplicate=v.duplicate, client_id=v.client_id,
            sub_account_id=v.sub_account_id, direction=direction_of(v.direction), number=v.number,
            duration=v.duration, billed_seconds=v.billed_seconds,
            charged_seconds=v.charged_seconds, sell_rate=m(v.sell_rate), sell=m(v.sell),
            cost_rate=m(v.cost_rate), cost=m(v.cost), profit=m(v.profit),
            rule=MatchedRule(kind=v.rule_kind, text=v.rule_text, line=v.rule_line),
            deck_prefix=v.deck_prefix, country=v.country, route=v.route,
            free_minutes_used=v.free_minutes_used, on_net=v.on_net,
            package_version_id=v.package_version_id, deck_version=v.deck_version,
        )  # fmt: skip


@strawberry.type
class CdrBatch:
    """A batch of CDRs: the counts, the totals, and each CDR's rating in input order."""

    received: int
    rated: int
    unrated: int
    duplicates: int
    sell: Money
    cost: Money
    results: list[CdrRating]

    @classmethod
    def from_domain(
        cls, summary: IngestSummary, results: list[CdrRating], currency: str
    ) -> CdrBatch:
        return cls(
            received=summary.received, rated=summary.rated, unrated=summary.unrated,
            duplicates=summary.duplicates, sell=Money.of(summary.sell, currency),
            cost=Money.of(summary.cost, currency), results=results,
        )  # fmt: skip


@strawberry.enum
class RefusalReason(Enum):
    UNKNOWN_SUB_ACCOUNT = "unknown_sub_account"
    NO_PACKAGE = "no_package"
    SUSPENDED = "suspended"
    UNROUTABLE = "unroutable"
    INVALID_NUMBER = "invalid_number"
    INSUFFICIENT_BALANCE = "insufficient_balance"


@strawberry.type
class CallAuthorization:
    """Allowed for at most ``maxSeconds``, or refused with a ``reason``."""

    allowed: bool
    reason: RefusalReason | None
    max_seconds: int
    message: str
    call_id: str = strawberry.field(
        description=(
            "The call the authorization is for (the one given, else a generated one): a "
            "hard client's allowed call holds its reservation under it until its CDR, a "
            "hangup notice or expiry."
        )
    )

    @classmethod
    def from_domain(cls, a: Authorization, call_id: str = "") -> CallAuthorization:
        reason = None if a.reason is None else RefusalReason(a.reason.value)
        return cls(
            allowed=a.allowed,
            reason=reason,
            max_seconds=a.max_seconds,
            message=a.message,
            call_id=call_id,
        )


@strawberry.type
class PriceExplanation:
    """The full rating of one call, as a CDR would be rated now (nothing is stored)."""

    package_id: int
    package_version: int = strawberry.field(
        description="The version number (PackageVersion.version), 1 for the first."
    )
    deck_version: str
    number: str
    direction: CallDirection
    duration: int
    billed_seconds: int
    cost_billed_seconds: int
    charged_seconds: int
    pulse: str
    sell_rate: Money
    sell: Money
    connect_fee: Money
    cost_rate: Money
    cost: Money
    profit: Money
    rule: MatchedRule
    deck_prefix: str | None
    country: str | None
    description: str
    route: str | None
    free_minutes_used: int
    on_net: bool
    package_version_id: int = strawberry.field(
        description="The id of that package version (PackageVersion.id)."
    )

    @classmethod
    def from_domain(cls, p: PricePreview) -> PriceExplanation:
        r = p.rating

        def m(micros: int) -> Money:
            return Money.of(micros, p.currency)

        return cls(
            package_id=p.package_id, package_version=p.package_version,
            deck_version=p.deck_version, number=r.number, direction=direction_of(r.direction.value),
            duration=r.duration, billed_seconds=r.billed_seconds,
            cost_billed_seconds=r.cost_billed_seconds, charged_seconds=r.charged_seconds,
            pulse=str(r.pulse), sell_rate=m(r.sell_rate), sell=m(r.sell),
            connect_fee=m(r.connect_fee), cost_rate=m(r.cost_rate), cost=m(r.cost),
            profit=m(r.profit),
            rule=MatchedRule(kind=r.rule.kind.value, text=r.rule.text, line=r.rule.line),
            deck_prefix=r.deck_prefix, country=r.country, description=r.description,
            route=None if r.route is None else r.route.value,
            free_minutes_used=r.free_minutes_used, on_net=r.on_net,
            package_version_id=p.package_version_id,
        )  # fmt: skip


@strawberry.type
class Unpriceable(Problem):
    """The call has no price: ``unroutable``, ``no_deck`` or ``unknown_did``."""

    reason: str
