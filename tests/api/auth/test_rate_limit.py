"""The sliding-window limit per address."""

from __future__ import annotations

from api.auth.rate_limit import RateLimit


def test_a_key_is_refused_past_its_limit_until_the_window_moves() -> None:
    now = [0.0]
    limit = RateLimit(3, 60.0, clock=lambda: now[0])
    assert [limit.hit("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limit.hit("a") == 60.0
    assert limit.hit("b") == 0.0  # another key is counted apart
    now[0] = 60.0
    assert limit.hit("a") == 0.0


def test_the_number_of_keys_is_bounded() -> None:
    limit = RateLimit(1, 60.0, max_keys=2, clock=lambda: 0.0)
    for key in ("a", "b", "c"):
        assert limit.hit(key) == 0.0
    assert limit.hit("a") == 0.0  # the oldest key was dropped
