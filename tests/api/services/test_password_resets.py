"""Reset links: valid one hour, single use, stored as a hash, the e-mail encrypted at rest."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from api.auth.passwords import Passwords
from api.domain.errors import InvalidInput
from api.mail.config import SmtpConfig
from api.mail.sender import MailSender
from api.services import clients, password_resets, portal_logins
from api.store.tables import MailOutbox, PasswordResetToken
from tests.api.conftest import Clock, World
from tests.smtp_server import Collector, smtp_server

FAST = Passwords(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
NEW = "Tr0ub4dor&3-new"


@pytest.fixture
def smtp() -> Iterator[tuple[Collector, int]]:
    yield from smtp_server()


async def _ask(world: World, smtp: tuple[Collector, int]) -> str:
    client = await clients.create_client(world.ctx, world.reseller, "Bob", email="bob@x.test")
    await portal_logins.set_portal_login(
        world.ctx, world.reseller, client.id, "bob", FAST.hash("Old-passw0rd!")
    )
    await password_resets.request_reset(world.ctx, "100001", "bob", address="10.0.0.1")
    async with world.ctx.read() as uow:
        [stored] = (await uow.session.scalars(select(MailOutbox))).all()
        [link] = (await uow.session.scalars(select(PasswordResetToken))).all()
        body, token_hash = stored.body, link.token_hash
    config = SmtpConfig(host="127.0.0.1", port=smtp[1], sender="b@pulsebill.test", timeout=5)
    assert (await MailSender(world.ctx, config).drain()).sent == 1
    token: str = re.findall(r"token=(\S+)", smtp[0].messages[0].text)[0]
    assert token not in body  # the queued e-mail is encrypted at rest
    assert body.startswith("enc:")
    assert token not in token_hash  # only the hash of the token is stored
    assert len(token_hash) == 64
    return token


async def test_a_link_expires_after_one_hour(
    world: World, clock: Clock, smtp: tuple[Collector, int]
) -> None:
    token = await _ask(world, smtp)
    clock.advance(hours=1)
    with pytest.raises(InvalidInput) as caught:
        await password_resets.complete_reset(world.ctx, token, NEW, FAST.hash)
    assert caught.value.field == "token"


async def test_a_link_works_until_its_hour_ends_and_only_once(
    world: World, clock: Clock, smtp: tuple[Collector, int]
) -> None:
    token = await _ask(world, smtp)
    clock.advance(minutes=59)
    done = await password_resets.complete_reset(world.ctx, token, NEW, FAST.hash)
    assert done.sessions_ended == 0
    with pytest.raises(InvalidInput, match="already used"):
        await password_resets.complete_reset(world.ctx, token, NEW + "x", FAST.hash)


async def test_a_token_of_nothing_is_refused_without_hashing(world: World) -> None:
    hashed: list[str] = []

    def spy(password: str) -> str:
        hashed.append(password)
        return FAST.hash(password)

    for token in ("", "x" * 101, "not-a-token"):
        with pytest.raises(InvalidInput, match="invalid"):
            await password_resets.complete_reset(world.ctx, token, NEW, spy)
    assert hashed == []
