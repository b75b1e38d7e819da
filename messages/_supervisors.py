"""What supervisors read in Slack: the App Home, the daily digest, and `/settle`'s answers.

English only, like every staff text. Customers appear by id, never by name or contact
details (COMPLIANCE.md, rule 8).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from bot import CaseView, DeskReport, Escalation, WaitingEscalation
from messages._slack import _context, _history, _money, _section, _when, mask_email, mask_phone

__all__ = [
    "HOME_REFRESH",
    "case_blocks",
    "case_not_found",
    "digest_blocks",
    "digest_text",
    "home_view",
    "not_on_desk",
    "settle_help",
    "stats_blocks",
]

Block = dict[str, Any]

HOME_REFRESH = "settle_home_refresh"
# Slack allows 100 blocks in a view and 50 in a message; lists stop well before.
_LISTED = 10
_NOBODY = "No one yet"


def home_view(report: DeskReport) -> dict[str, Any]:
    """The supervisors' App Home: the queue, what is late, the day's recoveries."""
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Settle: the desk"}},
        _context(f"As of {_when(report.at)}. Recoveries count from {_when(report.since)}."),
        _headline(report),
        {"type": "divider"},
        _section(f"*Past their SLA*\n{_lines(report, report.past_sla, 'None: well done.')}"),
        _section(f"*Waiting longest*\n{_lines(report, report.waiting, 'Nothing is waiting.')}"),
        _fields("By age", report.by_age()),
        _fields("By stage", report.by_stage()),
        _fields("By reason", report.by_reason()),
        {"type": "divider"},
        _section(f"*Recovered today*\n{_recoveries(report)}"),
        _section(f"*Queue per member of staff*\n{_queues(report)}"),
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": HOME_REFRESH,
                    "text": {"type": "plain_text", "text": "Refresh"},
                }
            ],
        },
    ]
    return {"type": "home", "blocks": blocks}


def digest_text(report: DeskReport, day: date) -> str:
    """The notification text of the daily digest."""
    r = report.recoveries
    return (
        f"Settle digest for {day.isoformat()}: {r.closed} closed, {r.plans} plans agreed, "
        f"{r.promises} promises made, {r.kept} kept; {len(report.waiting)} waiting, "
        f"{len(report.past_sla)} past their SLA."
    )


def digest_blocks(report: DeskReport, day: date) -> list[Block]:
    """The daily digest: the day's recoveries, and the desk as it stands now."""
    title = f"Daily digest: {day.strftime('%A')} {day.isoformat()}"
    return [
        {"type": "header", "text": {"type": "plain_text", "text": title}},
        _section(f"*Recovered that day*\n{_recoveries(report)}"),
        _headline(report),
        _section(f"*Past their SLA*\n{_lines(report, report.past_sla, 'None.')}"),
        _section(f"*Queue per member of staff*\n{_queues(report)}"),
    ]


def stats_blocks(report: DeskReport) -> list[Block]:
    """`/settle stats`: today so far, and the desk now."""
    return [
        _section(f"*Recovered today so far*\n{_recoveries(report)}"),
        _headline(report),
        _section(f"*Queue per member of staff*\n{_queues(report)}"),
        _context(f"As of {_when(report.at)}; the App Home shows more."),
    ]


def case_blocks(view: CaseView, escalation: Escalation | None) -> list[Block]:
    """`/settle case ID`: the case at a glance, masked as every staff post is."""
    case, customer = view.case, view.customer
    fields = [
        f"*Customer*\n{customer.id}",
        f"*Phone*\n{mask_phone(customer.phone)}",
        f"*Email*\n{mask_email(customer.email)}",
        f"*Type and stage*\n{case.type}, {case.stage}",
        f"*Status*\n{case.status}",
        f"*Amount due*\n{_money(case.amount_due)}",
    ]
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"Case {case.id}"}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in fields]},
        _context(f"Opened {_when(case.opened_at)}: {case.reason}"),
    ]
    if escalation is not None:
        where = f" in <#{escalation.slack_channel}>" if escalation.slack_channel else ""
        blocks.append(
            _section(
                f"*Waiting for staff*{where}: escalation {escalation.id}, {escalation.reason}, "
                f"to decide by {_when(escalation.due_by)}"
            )
        )
    blocks.append(_section(f"*History*\n{_history(view)}"))
    return blocks


def case_not_found(text: str) -> str:
    return f"No case {text}. Case ids are numbers, as `settle cases` and the posts show them."


def not_on_desk() -> str:
    """`/settle` or the App Home for someone in no authority tier."""
    return (
        "You are not in an authority tier, so Settle shows you no cases. The tiers and their "
        "members are set in SETTLE_AUTHORITY_FILE; ask whoever runs Settle to add you."
    )


def settle_help(unknown: str | None = None) -> str:
    """`/settle help`, also the answer to a subcommand it does not know."""
    lines = [
        "`/settle case ID`: one case at a glance (customer masked), and its escalation",
        "`/settle stats`: today's recoveries and the queue",
        "`/settle help`: this list",
        "The App Home shows the whole desk: what waits, what is past its SLA, who has what.",
    ]
    if unknown:
        lines.insert(0, f"`/settle` does not know `{unknown[:40]}`. It knows:")
    return "\n".join(lines)


def _headline(report: DeskReport) -> Block:
    r = report.recoveries
    fields = [
        f"*Waiting*\n{len(report.waiting)}",
        f"*Past their SLA*\n{len(report.past_sla)}",
        f"*Closed*\n{r.closed}",
        f"*Plans agreed*\n{r.plans}",
        f"*Promises made*\n{r.promises}",
        f"*Promises kept*\n{r.kept}",
    ]
    return {"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in fields]}


def _lines(report: DeskReport, items: tuple[WaitingEscalation, ...], empty: str) -> str:
    """One line per escalation, oldest first, and how many more there are."""
    lines = [_line(report, item) for item in items[:_LISTED]]
    if len(items) > _LISTED:
        lines.append(f"and {len(items) - _LISTED} more")
    return "\n".join(lines) or empty


def _line(report: DeskReport, item: WaitingEscalation) -> str:
    e = item.escalation
    who = f"<@{item.handler}>" if item.handler else "no one yet"
    where = f" in <#{e.slack_channel}>" if e.slack_channel else ""
    return (
        f"• Escalation {e.id}{where}: {e.reason}, {item.stage}, customer {e.customer_id}; "
        f"waited {_duration(report.waited(item))}, with {who}"
    )


def _fields(title: str, counts: list[tuple[str, int]]) -> Block:
    if not counts:
        return _section(f"*{title}*\nNothing is waiting.")
    lines = "\n".join(f"{label}: {count}" for label, count in counts)
    return _section(f"*{title}*\n{lines}")


def _recoveries(report: DeskReport) -> str:
    r = report.recoveries
    return "\n".join(
        [
            f"• Closed paid in full: {r.paid}",
            f"• Closed by a payment method fixed: {r.fixed}",
            f"• Plans agreed: {r.plans}",
            f"• Promises made: {r.promises}",
            f"• Promises kept: {r.kept}",
            f"• Plans paid to the end: {r.plans_completed}",
            f"• Plans or promises broken: {r.broken}",
        ]
    )


def _queues(report: DeskReport) -> str:
    queues = report.queues()
    lines = [f"• {f'<@{who}>' if who else _NOBODY}: {count}" for who, count in queues]
    return "\n".join(lines[:20]) or "Nothing is waiting."


def _duration(waited: timedelta) -> str:
    minutes = max(0, int(waited.total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h {minutes % 60:02d} min"
    return f"{minutes // (24 * 60)} days"
