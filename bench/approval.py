"""`python -m bench.approval --approvals 500`: from a signed Slack click to the customer's message.

`settle serve`'s ASGI app runs under uvicorn on an SQLite file, with the Slack Web API and
Bot API emulators on loopback in the same process. `--approvals` customers each asked for
a plan beyond the bot's authority, and each escalation is posted to the emulated Slack
channel first. Then, one at a time, a lead's Approve click is signed as Slack signs it and
POSTed to `/slack/events`; the time runs until the emulated Telegram receives that
customer's offer, having left the outbox. Clicks are spaced `--spacing` ms apart at the
least (staff do not click 30 times a second, and Telegram's 30 messages a second would
otherwise be measured instead of Settle).

It prints the median, 95th and 99th percentiles and the worst, and writes them to
`bench/out/approval.json`. The outbox applies the contact policy under rules that allow
every hour of every day (bench/_campaign.py, ALL_HOURS), so that it runs at any time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from pydantic import SecretStr

from bench._campaign import open_rules
from bot import (
    CaseStatus,
    CaseType,
    Customer,
    EscalationReason,
    Money,
    Offer,
    Reason,
    Settings,
    SystemClock,
)
from bot._escalations import escalate
from bot.app import Runtime, create_app
from bot.ports import ChannelLink
from handlers.emulators import SlackEmulator, SlackUser, TelegramEmulator

TOKEN = "5151:approval-bench"  # noqa: S105 - the emulator's fake token
SECRET = "approval-bench-secret"  # noqa: S105 - the emulator's fake secret
LEAD = SlackUser("U0LEAD", "lead")
FIRST_CHAT = 2_000_000
OUT = Path(__file__).parent / "out" / "approval.json"


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.approval", description=__doc__)
    parser.add_argument("--approvals", type=int, default=500)
    parser.add_argument("--spacing", type=float, default=50.0, help="ms between clicks, least")
    return parser.parse_args()


async def _seed(runtime: Runtime, count: int) -> None:
    clock = SystemClock()
    async with runtime.store.transaction() as tx:
        for n in range(count):
            customer = f"A-{n}"
            await tx.upsert_customer(Customer(customer, locale="en_US", timezone="UTC"))
            link = ChannelLink(customer, "telegram", str(FIRST_CHAT + n), clock.now())
            await tx.link_channel(link)
            case = await tx.insert_case(
                customer_id=customer,
                case_type=CaseType.C,
                reason=Reason.SUBSTANTIAL_OVERDUE,
                status=CaseStatus.CONTACTING,
                opened_at=clock.now(),
                why={},
            )
            owed = Money(30_000 + n, "USD")
            first = (clock.now() + timedelta(days=7)).date()
            await escalate(
                tx,
                case,
                EscalationReason.PLAN_REQUEST,
                now=clock.now(),
                actor="customer",
                why="bench: asks for 12 monthly payments",
                proposal=Offer(owed=owed, total=owed, count=12, first_due=first),
            )


async def _run(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    authority = folder / "authority.toml"
    authority.write_text(
        f'[[tier]]\nname = "lead"\nmembers = ["{LEAD.id}"]\nmax_instalments = 24\n',
        encoding="utf-8",
    )
    async with (
        TelegramEmulator(token=TOKEN, username="settle_bench_bot") as telegram,
        SlackEmulator(signing_secret=SECRET) as slack,
    ):
        slack.add_user(LEAD)
        settings = Settings(
            _env_file=None,
            database_url=f"sqlite:///{folder / 'settle.db'}",
            telegram_bot_token=SecretStr(TOKEN),
            telegram_base_url=telegram.base_url,
            slack_bot_token=SecretStr(slack.token),
            slack_signing_secret=SecretStr(SECRET),
            slack_base_url=slack.base_url,
            slack_escalation_channel="C-DESK",
            authority_file=authority,
            contact_rules_file=open_rules(folder),
            triage_every_hours=0,
        )
        runtime = Runtime.build(settings, clock=SystemClock(), polling=True)
        async with _served(create_app(runtime)) as port:
            url = f"http://127.0.0.1:{port}/slack/events"
            await _seed(runtime, args.approvals)
            print(f"posting {args.approvals} escalations to the Slack emulator", flush=True)
            await slack.wait_for("chat.postMessage", count=args.approvals, timeout=600)
            posts = {
                int(call.response["message"]["blocks"][-1]["block_id"].rpartition("-")[2]): (
                    str(call.params["channel"]),
                    str(call.response["ts"]),
                )
                for call in slack.calls("chat.postMessage")
            }
            latencies = await _click_all(args, url, slack, telegram, posts)
    return _summary(latencies, args)


async def _click_all(
    args: argparse.Namespace,
    url: str,
    slack: SlackEmulator,
    telegram: TelegramEmulator,
    posts: dict[int, tuple[str, str]],
) -> list[float]:
    latencies: list[float] = []
    async with httpx.AsyncClient(trust_env=False, timeout=30) as client:
        for n, escalation_id in enumerate(sorted(posts)):
            channel, ts = posts[escalation_id]
            payload = slack.block_actions(LEAD, channel=channel, ts=ts, action_id="settle_approve")
            body, headers = slack.interaction_request(payload)
            chat = FIRST_CHAT + escalation_id - 1
            started, wall = time.perf_counter(), time.time()
            response = await client.post(url, content=body, headers=headers)
            response.raise_for_status()
            sent = await telegram.wait_for("sendMessage", chat_id=chat, timeout=30)
            latencies.append((sent.time - wall) * 1000)
            rest = args.spacing / 1000 - (time.perf_counter() - started)
            if rest > 0:
                await asyncio.sleep(rest)
            if (n + 1) % 100 == 0:
                print(f"  {n + 1} approvals", flush=True)
    return latencies


@contextlib.asynccontextmanager
async def _served(app: Any) -> AsyncIterator[int]:
    """The app under uvicorn on a free loopback port, its lifespan (the runtime) included."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield int(server.servers[0].sockets[0].getsockname()[1])
    finally:
        server.should_exit = True
        await task


def _summary(latencies: list[float], args: argparse.Namespace) -> dict[str, Any]:
    ordered = sorted(latencies)

    def percentile(p: float) -> float:
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    return {
        "approvals": len(latencies),
        "spacing_ms": args.spacing,
        "median_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(percentile(95), 1),
        "p99_ms": round(percentile(99), 1),
        "max_ms": round(ordered[-1], 1),
    }


def run(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    """`args.approvals` approvals on a database in `folder`; the latency figures."""
    return asyncio.run(_run(args, folder))


def main() -> None:
    args = _arguments()
    with tempfile.TemporaryDirectory(prefix="settle-approval-") as folder:
        result = run(args, Path(folder))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
