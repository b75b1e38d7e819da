"""Log levels of the libraries under Settle, whatever level Settle itself logs at.

STYLE.md: logs carry ids, never names, phone numbers, message text or tokens. Some
libraries break that at DEBUG (aiosqlite logs every statement with its values, python-
telegram-bot every Bot API answer and the URL with the token, slack_sdk every request
body) and httpx at INFO (each request URL, and Bot API URLs carry the bot token). So
`settle --log-level DEBUG` traces Settle's own steps and keeps these at the levels below.
"""

from __future__ import annotations

import logging

__all__ = ["LIBRARY_LEVELS", "quiet_libraries"]

LIBRARY_LEVELS = {
    "aiosqlite": logging.INFO,
    "httpcore": logging.INFO,
    "httpx": logging.WARNING,
    "telegram": logging.INFO,
    "slack_bolt": logging.INFO,
    "slack_sdk": logging.INFO,
    "handlers.slack.bolt": logging.INFO,  # Bolt's own logger, as Settle names it
}


def quiet_libraries() -> None:
    """Hold the libraries that log personal data or secrets below at their safe levels."""
    for name, level in LIBRARY_LEVELS.items():
        logging.getLogger(name).setLevel(level)
