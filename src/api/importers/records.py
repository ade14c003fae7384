"""What reading a switch's CDR file gives: the CDRs, where each one came from, and the
records refused (with where and why); nothing of a refused record is kept."""

from __future__ import annotations

from dataclasses import dataclass, field

from api.services.records import CdrInput


@dataclass(frozen=True, slots=True)
class Refusal:
    """One record that is not imported: where it is (``line 7``, ``a.cdr.json``,
    ``calls.json line 3``) and why."""

    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


@dataclass(slots=True)
class ReadCdrs:
    """The records of one file (or folder) as CDRs, in file order.

    ``places[i]`` says where ``cdrs[i]`` came from; ``columns`` names, for each field of
    :class:`CdrInput`, the switch's own column or variable (for messages).
    """

    columns: dict[str, str]
    cdrs: list[CdrInput] = field(default_factory=list)
    places: list[str] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    skipped: int = 0  # records that are not calls to bill (FreeSWITCH B legs)
    read: int = 0  # every record met: imported, refused or skipped

    def add(self, cdr: CdrInput, where: str) -> None:
        self.cdrs.append(cdr)
        self.places.append(where)

    def refuse(self, where: str, reasons: list[str]) -> None:
        self.refused.extend(Refusal(where, reason) for reason in reasons)

    @property
    def unanswered(self) -> int:
        """CDRs of unanswered calls (duration 0: stored for ASR, never charged)."""
        return sum(1 for c in self.cdrs if c.duration == 0)
