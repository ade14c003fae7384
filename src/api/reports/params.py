"""Report filters from query parameters, each mistake an :class:`InvalidParameter` that
names the parameter. Unknown parameters are refused too (a typo must not widen a report)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import date
from enum import StrEnum
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from api.domain.limits import day_problem
from api.reports.cdr_filter import CdrFilter
from api.reports.errors import InvalidParameter
from api.reports.kinds import CdrStatus, Direction
from api.reports.period import Period
from api.reports.profit import GroupBy
from ratelang.countries import is_country

PERIOD_PARAMETERS = ("from", "to", "tz")
CDR_PARAMETERS = (
    *PERIOD_PARAMETERS, "reseller_id", "client_id", "sub_account_id", "direction", "country",
    "status",
)  # fmt: skip
MAX_PERIOD_DAYS = 366

E = TypeVar("E", bound=StrEnum)
T = TypeVar("T")


def check_known(params: Mapping[str, str], allowed: Collection[str]) -> None:
    for name in params:
        if name not in allowed:
            raise InvalidParameter(name, f"unknown parameter; expected one of {', '.join(allowed)}")


def _optional(params: Mapping[str, str], name: str, parse: Callable[[str], T]) -> T | None:
    raw = params.get(name)
    return None if raw is None or raw == "" else parse(raw)


def _day(params: Mapping[str, str], name: str) -> date:
    raw = params.get(name)
    if not raw:
        raise InvalidParameter(name, "required, a date like 2026-02-28")
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise InvalidParameter(name, f"not a date like 2026-02-28: {raw!r}") from None
    if problem := day_problem(day):
        raise InvalidParameter(name, problem)
    return day


def _zone(raw: str) -> ZoneInfo:
    try:
        return ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidParameter(
            "tz", f"not an IANA time zone like America/New_York: {raw!r}"
        ) from None


def period_from(params: Mapping[str, str]) -> Period:
    """``from`` and ``to`` (local dates, inclusive) in ``tz`` (default UTC)."""
    first_day, last_day = _day(params, "from"), _day(params, "to")
    tz = _zone(params.get("tz") or "UTC")
    if last_day < first_day:
        raise InvalidParameter("to", "is before from")
    if (last_day - first_day).days >= MAX_PERIOD_DAYS:
        raise InvalidParameter("to", f"a period is at most {MAX_PERIOD_DAYS} days")
    try:
        return Period(first_day, last_day, tz)
    except ValueError as exc:
        raise InvalidParameter("tz", str(exc)) from None


def _identifier(name: str) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        if not raw.isascii() or not raw.isdigit() or int(raw) < 1 or len(raw) > 18:
            raise InvalidParameter(name, f"not a positive integer id: {raw!r}")
        return int(raw)

    return parse


def _choice(name: str, enum: type[E]) -> Callable[[str], E]:
    def parse(raw: str) -> E:
        try:
            return enum(raw)
        except ValueError:
            choices = ", ".join(member.value for member in enum)
            raise InvalidParameter(name, f"expected one of {choices}, got {raw!r}") from None

    return parse


def _country(raw: str) -> str:
    if not is_country(raw):
        raise InvalidParameter("country", f"not an ISO 3166 alpha-2 code like GB: {raw!r}")
    return raw


def optional_id(params: Mapping[str, str], name: str) -> int | None:
    return _optional(params, name, _identifier(name))


def cdr_filter_from(params: Mapping[str, str]) -> CdrFilter:
    """The CDR report's filter; call :func:`check_known` first with the allowed names."""
    return CdrFilter(
        period=period_from(params),
        reseller_id=optional_id(params, "reseller_id"),
        client_id=optional_id(params, "client_id"),
        sub_account_id=optional_id(params, "sub_account_id"),
        direction=_optional(params, "direction", _choice("direction", Direction)),
        country=_optional(params, "country", _country),
        status=_optional(params, "status", _choice("status", CdrStatus)),
    )


def group_by_from(params: Mapping[str, str]) -> GroupBy:
    raw = params.get("group_by")
    if not raw:
        raise InvalidParameter("group_by", "required: client, country, day, package or reseller")
    return _choice("group_by", GroupBy)(raw)
