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
