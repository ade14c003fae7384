"""The postback client against the fake PayPal on 127.0.0.1: the body goes back byte for
byte, and only the exact answers ``VERIFIED`` and ``INVALID`` are verdicts."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from api.payments.verify import VerificationUnavailable, postback_body, verify
from tests.api.payments.fake_paypal import FakePaypal, encode, web_accept


@pytest.fixture
def fake() -> Iterator[FakePaypal]:
    server = FakePaypal()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


async def test_an_issued_body_is_verified_byte_for_byte(
    fake: FakePaypal, http: httpx.AsyncClient
) -> None:
    body = fake.issue(web_accept("VER00000000000001", "c1.x"))
    assert await verify(http, fake.url, body) is True
    assert fake.postbacks == [b"cmd=_notify-validate&" + body]
    assert fake.content_types == ["application/x-www-form-urlencoded; charset=windows-1252"]


async def test_a_changed_body_is_invalid(fake: FakePaypal, http: httpx.AsyncClient) -> None:
    body = fake.issue(web_accept("VER00000000000002", "c1.x"))
    assert await verify(http, fake.url, body.replace(b"10.00", b"50.00")) is False


async def test_reordered_fields_are_not_the_same_message(
    fake: FakePaypal, http: httpx.AsyncClient
) -> None:
    fields = web_accept("VER00000000000003", "c1.x")
    fake.issue(fields)
    assert await verify(http, fake.url, encode(list(reversed(fields)))) is False


@pytest.mark.parametrize(
    "answer",
    [(200, b"VERIFIED\n"), (200, b"verified"), (200, b""), (500, b"VERIFIED"), (302, b"")],
)
async def test_anything_else_is_no_verdict(
    fake: FakePaypal, http: httpx.AsyncClient, answer: tuple[int, bytes]
) -> None:
    body = fake.issue(web_accept("VER00000000000004", "c1.x"))
    fake.answer = answer
    with pytest.raises(VerificationUnavailable):
        await verify(http, fake.url, body)


async def test_an_unreachable_paypal_is_no_verdict(
    fake: FakePaypal, http: httpx.AsyncClient
) -> None:
    body = fake.issue(web_accept("VER00000000000005", "c1.x"))
    fake.stop()
    with pytest.raises(VerificationUnavailable, match="ConnectError"):
        await verify(http, fake.url, body)


def test_the_postback_is_the_command_then_the_body() -> None:
    assert postback_body(b"a=1&b=%E9") == b"cmd=_notify-validate&a=1&b=%E9"
