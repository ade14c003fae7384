from __future__ import annotations

from pathlib import Path

from api.services.context import ServicesContext
from api.services.demo import load_demo
from tests.api.conftest import DECK, RULES


async def test_demo_is_idempotent(ctx: ServicesContext, tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "simple.rate").write_text(RULES)
    deck = tmp_path / "deck.csv"
    deck.write_text(DECK + "33,FR,France,0.0100,0.0150\n")
    first = await load_demo(ctx, tmp_path / "rules", deck)
    second = await load_demo(ctx, tmp_path / "rules", deck)
    assert first.created
    assert first.token is not None
    assert not second.created
    assert second.reseller_id == first.reseller_id
    assert second.client_ids == tuple(sorted(first.client_ids, key=lambda i: i))


async def test_demo_completes_a_run_that_stopped_halfway(
    ctx: ServicesContext, tmp_path: Path
) -> None:
    from api.domain.actor import Actor
    from api.services import clients, resellers
    from api.services.demo import DEMO_CLIENTS, DEMO_RESELLER

    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "simple.rate").write_text(RULES)
    deck = tmp_path / "deck.csv"
    deck.write_text(DECK + "33,FR,France,0.0100,0.0150\n")
    created = await resellers.create_reseller(ctx, Actor.operator(), DEMO_RESELLER, "USD")

    summary = await load_demo(ctx, tmp_path / "rules", deck)

    assert summary.reseller_id == created.reseller.id
    listed = await clients.list_clients(ctx, Actor.reseller(summary.reseller_id))
    assert sorted(c.name for c in listed) == sorted(name for name, _, _ in DEMO_CLIENTS)
    assert all(c.balance != 0 for c in listed)


def test_demo_tokens_are_stable_per_secret() -> None:
    from api.commands.demo import demo_token

    assert demo_token("k1", "reseller") == demo_token("k1", "reseller")
    assert demo_token("k1", "reseller") != demo_token("k2", "reseller")
    assert demo_token("k1", "reseller") != demo_token("k1", "operator")
