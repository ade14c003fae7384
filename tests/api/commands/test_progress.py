"""Progress: a ``rich`` bar on a terminal (a real pseudo-terminal here), plain lines else."""

from __future__ import annotations

import io
import os

from api.commands.progress import Reporter


def test_plain_lines_when_the_stream_is_not_a_terminal() -> None:
    stream = io.StringIO()
    progress = Reporter("rating CDRs", stream)
    progress.start(20_501)
    progress.advance(20_000)
    progress.advance(20_501)
    progress.stop()
    assert stream.getvalue() == "rating CDRs: 20,000/20,501\nrating CDRs: 20,501/20,501\n"


def test_a_bar_on_a_terminal() -> None:
    leader, follower = os.openpty()
    with os.fdopen(follower, "w", encoding="utf-8") as terminal:
        assert terminal.isatty()
        progress = Reporter("rating CDRs", terminal)
        progress.start(10)
        progress.advance(5)
        progress.stop()
        terminal.flush()
        shown = os.read(leader, 65536).decode("utf-8", "replace")
    os.close(leader)
    assert "rating CDRs" in shown
    assert "\x1b[" in shown  # drawn with terminal control sequences, not plain lines
    assert "rating CDRs: 5/10" not in shown
