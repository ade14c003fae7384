"""Verifying stored IPN messages: right after one arrives, and in a retry loop.

A message is leased before its postback (see :func:`api.services.paypal_ipn.claim_due`),
so two processes never verify and settle it together; the unique key on PayPal
transactions is the last line of defence anyway. When PayPal cannot be reached the
message stays pending and comes back after a growing delay; nothing is ever credited
without a ``VERIFIED``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

import httpx

from api.domain.paypal import CustomSigner, Status, verify_url
from api.payments.verify import VerificationUnavailable, verify
from api.services import paypal_ipn
from api.services.context import ServicesContext
from api.settings import Settings

log = logging.getLogger("pulsebill.paypal")
BATCH = 20


@dataclass
class PaypalVerifier:
    """Claims, verifies and settles IPN messages with one HTTP client."""

    ctx: ServicesContext
    signer: CustomSigner
    verify_url_override: str = ""
    http: httpx.AsyncClient = field(default_factory=lambda: httpx.AsyncClient())

    @classmethod
    def from_settings(cls, ctx: ServicesContext, settings: Settings) -> PaypalVerifier:
        return cls(ctx, CustomSigner(settings.secret_key), settings.paypal_verify_url)

    def start(self, interval: float) -> asyncio.Task[None] | None:
        """The retry loop as a background task (``None`` when ``interval`` is 0: off)."""
        if interval <= 0:
            return None
        return asyncio.create_task(self.run_forever(interval), name="paypal-verify")

    async def stop(self, task: asyncio.Task[None] | None) -> None:
        """Cancel the retry loop (if any) and close the HTTP client."""
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.http.aclose()

    async def process(self, message_id: int) -> Status | None:
        """Verify and settle one message now; ``None`` when it is not claimable (settled,
        held by another verifier) or PayPal could not answer (it is retried later)."""
        claimed = await paypal_ipn.claim(self.ctx, message_id)
        return None if claimed is None else await self._verify(claimed)

    async def run_once(self, *, batch_size: int = BATCH) -> dict[str, int]:
        """Every message due now, in batches; the count of each outcome
        (``"retry"``: PayPal could not answer)."""
        counts: dict[str, int] = {}
        while True:
            batch = await paypal_ipn.claim_due(self.ctx, limit=batch_size)
            for claimed in batch:
                status = await self._verify(claimed)
                key = "retry" if status is None else status.value
                counts[key] = counts.get(key, 0) + 1
            if len(batch) < batch_size:
                return counts

    async def run_forever(self, interval: float) -> None:
        """:meth:`run_once` every ``interval`` seconds until cancelled; errors are logged
        (type only) and the loop goes on."""
        while True:
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a database hiccup must not end the loop
                log.error("PayPal verification round failed: %s", type(exc).__name__)
            await asyncio.sleep(interval)

    async def _verify(self, claimed: paypal_ipn.Claimed) -> Status | None:
        url = verify_url(sandbox=claimed.sandbox, override=self.verify_url_override)
        try:
            verified = await verify(self.http, url, claimed.body)
        except VerificationUnavailable as exc:
            await paypal_ipn.postpone(self.ctx, claimed.id, str(exc))
            log.warning("IPN message %s: PayPal unavailable (%s)", claimed.id, exc)
            return None
        return await paypal_ipn.settle(self.ctx, self.signer, claimed.id, verified=verified)
