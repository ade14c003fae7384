"""``create-operator-token``, ``list-tokens`` and ``revoke-token`` on a SQLite file (the
service underneath is tested on both backends in tests/api/services/test_tokens.py)."""

from __future__ import annotations

import hashlib
import re

import pytest

from api.domain.actor import Actor
from api.domain.errors import Unauthenticated
from api.services import resellers
from api.services.context import ServicesContext
from tests.api.commands.test_cli import Cli, create_reseller, with_services


def operator_token(cli: Cli, *name: str) -> tuple[int, str]:
    done = cli("create-operator-token", *name)
    assert done.code == 0, done.err
    lines = done.out.splitlines()
    head = re.fullmatch(r"operator API token (\d+) \(shown once, keep it safe\):", lines[0])
    assert head is not None, done.out
    assert re.fullmatch(r"pb_[A-Za-z0-9_-]{43}", lines[1])
    assert len(lines) == 2
    return int(head.group(1)), lines[1]


def test_create_operator_token_authenticates_as_the_operator(migrated: Cli) -> None:
    token_id, token = operator_token(migrated, "--name", "billing robot")
    assert migrated.rows("SELECT role, reseller_id, name, token_hash FROM api_tokens") == [
        ("operator", None, "billing robot", hashlib.sha256(token.encode()).hexdigest())
    ]
    assert token.encode() not in migrated.path.read_bytes()

    async def authenticate(ctx: ServicesContext) -> Actor:
        return await resellers.authenticate_token(ctx, token)

    assert with_services(migrated.url, authenticate) == Actor.operator()
    second_id, second = operator_token(migrated)
    assert second_id != token_id
    assert second != token
    assert migrated.rows(f"SELECT name FROM api_tokens WHERE id = {second_id}") == [("operator",)]


def test_list_tokens_shows_ids_roles_and_revocations_never_tokens(migrated: Cli) -> None:
    reseller_id, reseller_token_id, reseller_token = create_reseller(migrated)
    ops_id, ops_token = operator_token(migrated)
    assert migrated("revoke-token", str(reseller_token_id)).code == 0
    done = migrated("list-tokens")
    assert done.code == 0, done.err
    lines = done.out.splitlines()
    assert lines[0].split() == ["id", "role", "reseller", "created", "revoked", "name"]
    assert len(lines) == 3
    first, second = (line.split() for line in lines[1:])
    assert first[:3] == [str(reseller_token_id), "reseller", str(reseller_id)]
    assert re.fullmatch(r"\d{2}:\d{2}Z", first[6])  # revoked: a date and a time
    assert first[7:] == ["Acme", "(first", "token)"]
    assert second[:3] == [str(ops_id), "operator", "-"]
    assert second[5:] == ["-", "operator"]  # not revoked
    for secret in (reseller_token, ops_token, hashlib.sha256(ops_token.encode()).hexdigest()):
        assert secret not in done.out
    only = migrated("list-tokens", "--reseller", str(reseller_id))
    assert [line.split()[0] for line in only.out.splitlines()[1:]] == [str(reseller_token_id)]


def test_list_tokens_of_an_empty_database_prints_the_header(migrated: Cli) -> None:
    done = migrated("list-tokens")
    assert (done.code, done.out.split()) == (
        0,
        ["id", "role", "reseller", "created", "revoked", "name"],
    )


def test_revoke_token_of_the_operator(migrated: Cli) -> None:
    ops_id, _ = operator_token(migrated)
    done = migrated("revoke-token", str(ops_id))
    assert (done.code, done.out) == (0, f"token {ops_id} revoked\n")
    assert migrated.rows(f"SELECT revoked_at IS NOT NULL FROM api_tokens WHERE id = {ops_id}") == [
        (1,)
    ]


def test_token_commands_before_migrate_say_so(cli: Cli) -> None:
    for argv in (["create-operator-token"], ["list-tokens"]):
        done = cli(*argv)
        assert done.code == 1
        assert "run `pulsebill migrate`" in done.err


def test_create_switch_token_opens_only_the_switch(migrated: Cli) -> None:
    done = migrated("create-switch-token", "--name", "kamailio-1")
    assert done.code == 0, done.err
    lines = done.out.splitlines()
    head = re.fullmatch(r"switch token (\d+) \(shown once, keep it safe\):", lines[0])
    assert head is not None, done.out
    token = lines[1]
    assert migrated.rows("SELECT role, reseller_id, name FROM api_tokens") == [
        ("switch", None, "kamailio-1")
    ]

    async def identities(ctx: ServicesContext) -> tuple[object, ...]:
        switch = await resellers.authenticate_switch_token(ctx, token)
        try:
            await resellers.authenticate_token(ctx, token)
        except Unauthenticated:
            return (switch.name, "refused elsewhere")
        return (switch.name, "accepted elsewhere")

    assert with_services(migrated.url, identities) == ("kamailio-1", "refused elsewhere")
    listed = migrated("list-tokens")
    assert listed.out.splitlines()[1].split()[1] == "switch"
    assert token not in listed.out
    with pytest.raises(SystemExit):  # argparse: --name is required
        migrated("create-switch-token")
