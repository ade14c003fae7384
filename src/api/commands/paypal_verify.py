"""``pulsebill paypal-verify``: verify every pending PayPal IPN message that is due, once
(the server does the same in the background every ``PULSEBILL_PAYPAL_WORKER_SECONDS``)."""

from __future__ import annotations

import argparse

from api.commands.service_runner import run
from api.payments.worker import PaypalVerifier
from api.services.context import ServicesContext
from api.settings import Settings


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "paypal-verify", help="verify the pending PayPal IPN messages that are due, once"
    )
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    async def job(ctx: ServicesContext) -> int:
        verifier = PaypalVerifier.from_settings(ctx, Settings.from_env())
        try:
            counts = await verifier.run_once()
        finally:
            await verifier.stop(None)
        shown = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        print(f"PayPal IPN messages: {shown or 'none due'}")
        return 0

    return run(job)
