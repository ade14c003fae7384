"""The outbox table's operations: queue, claim, settle (flush only, no commits).

:func:`enqueue` runs inside the caller's unit of work, so the e-mail exists exactly when
the event that caused it was committed. :func:`claim` hands out due rows under a lease
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so concurrent senders never take one row
twice; SQLite's single writer serializes claims); :func:`settle` records an attempt's
outcome (:func:`api.domain.mail.after_attempt`) only while the claim is still the
sender's own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.domain.mail import MailStatus, Outcome, RetryPolicy
from api.services.secrets import PasswordCipher
from api.store.tables import MailOutbox

ENCRYPTED = "enc:"
PLAIN = "raw:"


@dataclass(frozen=True, slots=True)
class OutgoingMail:
    """What to queue: one rendered e-mail to one recipient."""

    reseller_id: int
    client_id: int | None
    kind: str
    recipient: str
    from_name: str
    reply_to: str
    subject: str
    text: str
    html: str
    secret: bool = False  # the body carries a credential (a reset link): encrypted at rest


@dataclass(frozen=True, slots=True)
class ClaimedMail:
    """A row claimed for one attempt (``attempt``: its number, also the claim's key)."""

    id: int
    reseller_id: int
    kind: str
    recipient: str
    from_name: str
    reply_to: str
    subject: str
    text: str
    html: str
    attempt: int


async def enqueue(
    session: AsyncSession, cipher: PasswordCipher, mail: OutgoingMail, now: datetime
) -> int:
    """Add ``mail`` to the outbox in the caller's transaction; its row id."""
    body = json.dumps({"text": mail.text, "html": mail.html})
    stored = ENCRYPTED + cipher.encrypt(body) if mail.secret else PLAIN + body
    row = MailOutbox(
        reseller_id=mail.reseller_id,
        client_id=mail.client_id,
        kind=mail.kind,
        recipient=mail.recipient,
        from_name=mail.from_name,
        reply_to=mail.reply_to,
        subject=mail.subject,
        body=stored,
        status=MailStatus.PENDING.value,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    assert row.id is not None
    return row.id


async def claim(
    session: AsyncSession,
    cipher: PasswordCipher,
    now: datetime,
    policy: RetryPolicy,
    limit: int,
) -> list[ClaimedMail]:
    """Take up to ``limit`` due rows (pending and due, or sending with an ended lease)."""
    due = or_(
        (col(MailOutbox.status) == MailStatus.PENDING.value)
        & (col(MailOutbox.next_attempt_at) <= now),
        (col(MailOutbox.status) == MailStatus.SENDING.value)
        & (col(MailOutbox.claimed_until) < now),
    )
    query = select(MailOutbox).where(due).order_by(col(MailOutbox.id)).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = list((await session.scalars(query)).all())
    claimed: list[ClaimedMail] = []
    for row in rows:
        if row.status == MailStatus.SENDING.value and row.attempts >= policy.max_attempts:
            row.status = MailStatus.FAILED.value  # its senders kept dying: give up
            row.last_error = f"gave up after {row.attempts} attempts: the sender stopped"
            row.claimed_until = None
            row.body = ""
            continue
        row.status = MailStatus.SENDING.value
        row.attempts += 1
        row.claimed_until = now + policy.lease
        body = _body(cipher, row.body)
        assert row.id is not None
        claimed.append(
            ClaimedMail(
                row.id, row.reseller_id, row.kind, row.recipient, row.from_name, row.reply_to,
                row.subject, body.get("text", ""), body.get("html", ""), row.attempts,
            )
        )  # fmt: skip
    await session.flush()
    return claimed


async def settle(session: AsyncSession, mail: ClaimedMail, outcome: Outcome, now: datetime) -> bool:
    """Record ``outcome`` of ``mail``'s attempt; ``False`` when the claim was lost (the
    lease ended and another sender took the row). A settled row keeps no body."""
    values: dict[str, object] = {
        "status": outcome.status.value,
        "next_attempt_at": outcome.next_attempt_at,
        "claimed_until": None,
        "last_error": outcome.last_error,
    }
    if outcome.status is MailStatus.SENT:
        values["sent_at"] = now
    if outcome.status in {MailStatus.SENT, MailStatus.FAILED}:
        values["body"] = ""
    done = await session.execute(
        update(MailOutbox)
        .where(
            col(MailOutbox.id) == mail.id,
            col(MailOutbox.status) == MailStatus.SENDING.value,
            col(MailOutbox.attempts) == mail.attempt,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(done, "rowcount", 0) or 0) == 1


def _body(cipher: PasswordCipher, stored: str) -> dict[str, str]:
    if stored.startswith(ENCRYPTED):
        stored = cipher.decrypt(stored[len(ENCRYPTED) :])
    elif stored.startswith(PLAIN):
        stored = stored[len(PLAIN) :]
    if not stored:
        return {}
    loaded = json.loads(stored)
    return {str(k): str(v) for k, v in loaded.items()}
