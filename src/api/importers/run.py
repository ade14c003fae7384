"""Importing what a switch file gave: the CDRs the road's rules refuse are set aside
with the others refused, the rest go to :func:`~api.services.cdrs.ingest_cdrs` in
chunks, each committed on its own (a crash keeps the committed chunks; a rerun counts
them as duplicates and charges nothing twice); then the summary."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from api.domain.actor import Actor
from api.importers.records import ReadCdrs, Refusal
from api.services.cdrs import DEFAULT_BATCH, batch_problems, ingest_cdrs
from api.services.context import ServicesContext
from api.services.records import IngestSummary
from ratelang.money import format_money

SHOWN_REFUSALS = 20


def screen(read: ReadCdrs) -> None:
    """Move the CDRs that break the road's rules (too long, NUL, out-of-range time …)
    to ``read.refused``, named by the switch's own columns."""
    problems: dict[int, list[str]] = {}
    for index, name, message in batch_problems(read.cdrs):
        problems.setdefault(index, []).append(f"{read.columns.get(name, name)}: {message}")
    if not problems:
        return
    keep = [i for i in range(len(read.cdrs)) if i not in problems]
    for index, reasons in problems.items():
        read.refuse(read.places[index], reasons)
    read.cdrs = [read.cdrs[i] for i in keep]
    read.places = [read.places[i] for i in keep]
    read.refused.sort(key=lambda r: _order(r.where))


def _order(where: str) -> tuple[str, int]:
    name, _, line = where.rpartition("line ")
    return (name, int(line)) if line.isdigit() else (where, 0)


async def import_read(
    ctx: ServicesContext,
    read: ReadCdrs,
    reseller_id: int,
    *,
    batch_size: int = DEFAULT_BATCH,
    on_batch: Callable[[int], None] | None = None,
) -> IngestSummary:
    """Screen then ingest ``read``'s CDRs for the reseller, ``batch_size`` a transaction;
    ``on_batch`` hears how many are committed. A database error propagates with the
    committed chunks stored."""
    screen(read)
    return await ingest_cdrs(
        ctx, Actor.operator(), read.cdrs, reseller_id=reseller_id,
        batch_size=batch_size, on_batch=on_batch,
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Summary:
    """The end of an import, as printed."""

    name: str
    read: ReadCdrs
    done: IngestSummary

    @property
    def refused(self) -> int:
        """Records refused (a record with several reasons counts once)."""
        return len({r.where for r in self.read.refused})

    def lines(self) -> list[str]:
        d, r = self.done, self.read
        lines = [
            f"{self.name}: {r.read} records read: {d.rated} rated, {d.unrated} unrated, "
            f"{d.duplicates} duplicates, {self.refused} refused"
            + (f", {r.skipped} skipped (B legs)" if r.skipped else ""),
            f"unanswered: {r.unanswered} (stored for ASR, not charged)",
            f"sell {format_money(d.sell)}, cost {format_money(d.cost)}",
        ]
        if d.unrated_reasons:
            reasons = ", ".join(f"{reason} {count}" for reason, count in d.unrated_reasons)
            lines.append(f"unrated by reason: {reasons}")
        if r.refused:
            lines.append("refused (nothing of them was written):")
            lines.extend(f"  {refusal}" for refusal in r.refused[:SHOWN_REFUSALS])
            if len(r.refused) > SHOWN_REFUSALS:
                lines.append(f"  … and {len(r.refused) - SHOWN_REFUSALS} more")
        return lines


__all__ = ["SHOWN_REFUSALS", "Refusal", "Summary", "import_read", "screen"]
