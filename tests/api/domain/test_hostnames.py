"""Portal hostnames and auto-connect origins: what is accepted and how it is written."""

from __future__ import annotations

import pytest

from api.domain.errors import InvalidInput
from api.domain.hostnames import check_hostname, check_origins, is_platform_host

PLATFORM = "billing.example.net"


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("portal.acme.com", "portal.acme.com"),
        ("  Portal.ACME.com. ", "portal.acme.com"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("a-b.c-d.example", "a-b.c-d.example"),
    ],
)
def test_accepted_hostnames(given: str, stored: str) -> None:
    assert check_hostname(given, platform_host=PLATFORM) == stored


@pytest.mark.parametrize(
    ("given", "why"),
    [
        ("", "fully qualified"),
        ("localhost", "fully qualified"),
        ("10.0.0.1", "IP address"),
        ("-bad.example.com", "not a valid"),
        ("under_score.example.com", "not a valid"),
        ("a" * 64 + ".example.com", "not a valid"),
        ("Billing.Example.net", "platform's own host"),
        ("x." * 130 + "com", "at most 253"),
        ("http://portal.acme.com", "not a valid"),
    ],
)
def test_refused_hostnames(given: str, why: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        check_hostname(given, platform_host=PLATFORM)
    assert raised.value.field == "hostname"
    assert why in raised.value.detail


def test_platform_hosts() -> None:
    assert is_platform_host("billing.example.net", PLATFORM)
    assert is_platform_host("127.0.0.1", PLATFORM)
    assert is_platform_host("localhost", PLATFORM)
    assert is_platform_host("[::1]", PLATFORM)
    assert not is_platform_host("portal.acme.com", PLATFORM)


def test_origins_are_normalised_and_checked() -> None:
    assert check_origins(
        ["https://WWW.Acme.com/", "http://acme.com:8080", "https://www.acme.com"]
    ) == (
        "https://www.acme.com",
        "http://acme.com:8080",
    )
    for bad in ("ftp://acme.com", "https://acme.com/login", "acme.com", "https://u@acme.com"):
        with pytest.raises(InvalidInput):
            check_origins([bad])
