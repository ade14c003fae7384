"""PayPal rules: reading a body in its charset, strict money, the signed ``custom``, and
which messages may move money."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.domain.errors import InvalidInput
from api.domain.paypal import (
    Action,
    CustomSigner,
    MalformedIpn,
    Refusal,
    check_offered_amounts,
    check_receiver_email,
    movement_refusal,
    parse_ipn,
    parse_money,
    payment_refusal,
    retry_delay,
    verify_url,
)

BODY = (
    b"mc_gross=10.00&payment_status=Completed&charset=windows-1252&first_name=Jos%E9"
    b"&mc_currency=USD&receiver_email=Sales%40Acme.example&txn_id=61E67681CH3238416"
    b"&custom=c7.x&last_name=M%FCller+Jr&mc_fee=0.59"
)


def test_a_body_is_read_in_the_charset_it_names() -> None:
    ipn = parse_ipn(BODY)
    assert ipn.charset == "windows-1252"
    assert ipn.get("first_name") == "José"
    assert ipn.get("last_name") == "Müller Jr"
    assert ipn.get("receiver_email") == "Sales@Acme.example"
    assert ipn.action is Action.CREDIT


def test_utf8_and_the_default_charset() -> None:
    assert parse_ipn(b"charset=UTF-8&first_name=Jos%C3%A9").get("first_name") == "José"
    assert parse_ipn(b"first_name=Jos%E9").get("first_name") == "José"  # windows-1252


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"charset=klingon&a=b", "unknown charset"),
        (b"charset=UTF-8&first_name=Jos%E9", "not UTF-8 text"),
    ],
)
def test_unreadable_bodies(body: bytes, problem: str) -> None:
    with pytest.raises(MalformedIpn, match=problem):
        parse_ipn(body)


@pytest.mark.parametrize(
    ("status", "action"),
    [
        ("Completed", Action.CREDIT),
        ("Refunded", Action.REVERSE),
        ("Reversed", Action.REVERSE),
        ("Canceled_Reversal", Action.RESTORE),
        ("Pending", Action.WAIT),
        ("Denied", Action.IGNORE),
        ("completed", Action.IGNORE),
    ],
)
def test_actions_by_payment_status(status: str, action: Action) -> None:
    assert parse_ipn(f"payment_status={status}".encode()).action is action


@pytest.mark.parametrize(
    ("text", "currency", "micros"),
    [
        ("10.00", "USD", 10_000_000),
        ("10", "USD", 10_000_000),
        ("0.5", "EUR", 500_000),
        ("-50.00", "USD", -50_000_000),
        ("1000", "JPY", 1_000_000_000),
    ],
)
def test_money_is_exact(text: str, currency: str, micros: int) -> None:
    assert parse_money(text, currency) == micros


@pytest.mark.parametrize(
    ("text", "currency"),
    [
        ("10.001", "USD"),
        ("10.5", "JPY"),
        ("1e3", "USD"),
        ("10,00", "USD"),
        (" 10.00", "USD"),
        ("", "USD"),
        ("+10", "USD"),
        ("NaN", "USD"),
        ("١٠", "USD"),
    ],
)
def test_money_with_more_decimals_than_the_currency_or_not_a_number(
    text: str, currency: str
) -> None:
    with pytest.raises(MalformedIpn, match="mc_gross"):
        parse_money(text, currency)


@given(st.integers(min_value=-(10**9), max_value=10**9), st.integers(0, 99))
def test_money_round_trips_cents(units: int, cents: int) -> None:
    sign = "-" if units < 0 else ""
    text = f"{sign}{abs(units)}.{cents:02d}"
    expected = abs(units) * 1_000_000 + cents * 10_000
    assert parse_money(text, "USD") == (-expected if units < 0 else expected)


def _ipn(**fields: str) -> object:
    base = {
        "mc_gross": "20.00",
        "mc_currency": "USD",
        "receiver_email": "sales@acme.example",
        "payment_status": "Completed",
    }
    base.update(fields)
    return parse_ipn("&".join(f"{k}={v}" for k, v in base.items()).encode())


def _refusal(**fields: str) -> Refusal | None:
    ipn = _ipn(**fields)
    return payment_refusal(
        ipn,  # type: ignore[arg-type]
        receiver_email="Sales@Acme.example",
        currency="USD",
        offered=(10, 20, 50),
    )


def test_an_offered_payment_to_us_is_not_refused() -> None:
    assert _refusal() is None
    assert _refusal(receiver_email="other@x.example", business="SALES@acme.example") is None


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"receiver_email": "thief@evil.example"}, Refusal.WRONG_RECEIVER),
        ({"mc_currency": "EUR"}, Refusal.WRONG_CURRENCY),
        ({"mc_gross": "20.01"}, Refusal.AMOUNT_NOT_OFFERED),
        ({"mc_gross": "-20.00"}, Refusal.AMOUNT_NOT_OFFERED),
    ],
)
def test_refusals(fields: dict[str, str], reason: Refusal) -> None:
    assert _refusal(**fields) is reason


def test_a_reversal_needs_its_parent() -> None:
    ipn = _ipn(payment_status="Reversed", mc_gross="-20.00")
    check = {"receiver_email": "sales@acme.example", "currency": "USD"}
    assert movement_refusal(ipn, **check) is Refusal.MALFORMED  # type: ignore[arg-type]
    ipn = _ipn(payment_status="Reversed", mc_gross="-20.00", parent_txn_id="X1")
    assert movement_refusal(ipn, **check) is None  # type: ignore[arg-type]


def test_custom_is_signed_for_one_client_of_one_reseller() -> None:
    signer = CustomSigner("s3cret-value")
    custom = signer.sign(3, 42)
    assert custom.startswith("c42.")
    assert len(custom) <= 256  # PayPal's limit on custom
    assert signer.client_id(3, custom) == 42
    assert signer.client_id(4, custom) is None
    assert signer.client_id(3, custom.replace("c42.", "c43.")) is None
    assert signer.client_id(3, "c42.AAAAAAAAAAAAAAAAAAAAAA") is None
    assert signer.client_id(3, "42") is None
    assert CustomSigner("another secret").client_id(3, custom) is None
    assert "s3cret" not in repr(signer)


def test_offered_amounts_are_checked() -> None:
    assert check_offered_amounts([50, 10, 20]) == (10, 20, 50)
    assert check_offered_amounts([]) == ()
    for bad, problem in [
        (list(range(1, 12)), "at most 10"),
        ([0], "between 1"),
        ([-5], "between 1"),
        ([10, 10], "repeated"),
        ([True], "whole numbers"),
    ]:
        with pytest.raises(InvalidInput, match=problem):
            check_offered_amounts(bad)


def test_receiver_email_is_checked() -> None:
    assert check_receiver_email("  sales@acme.example ") == "sales@acme.example"
    assert check_receiver_email("") == ""
    for bad in ("sales", "a@b", "a@b.c,d@e.f", "x" * 250 + "@a.example"):
        with pytest.raises(InvalidInput, match="e-mail"):
            check_receiver_email(bad)


def test_verification_urls() -> None:
    assert verify_url(sandbox=False) == "https://ipnpb.paypal.com/cgi-bin/webscr"
    assert verify_url(sandbox=True) == "https://ipnpb.sandbox.paypal.com/cgi-bin/webscr"
    assert verify_url(sandbox=False, override="http://127.0.0.1:1/x") == "http://127.0.0.1:1/x"


def test_retries_back_off_to_an_hour() -> None:
    assert [retry_delay(n) for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert retry_delay(20) == 3600
