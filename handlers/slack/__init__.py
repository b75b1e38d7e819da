"""Slack, where staff decide escalations: the poster, the routing and the Bolt app."""

from handlers.slack._app import (
    SocketModeLink,
    build_slack_app,
    slack_endpoint,
    socket_mode_handler,
)
from handlers.slack._client import slack_client
from handlers.slack._desk import OFFERED_ACTIONS, EscalationDesk
from handlers.slack._poster import SlackPoster
from handlers.slack._routing import SlackRoute, SlackRouting
from handlers.slack._thread import StaffThread, ThreadPoster

__all__ = [
    "OFFERED_ACTIONS",
    "EscalationDesk",
    "SlackPoster",
    "SlackRoute",
    "SlackRouting",
    "SocketModeLink",
    "StaffThread",
    "ThreadPoster",
    "build_slack_app",
    "slack_client",
    "slack_endpoint",
    "socket_mode_handler",
]
