"""Which Slack channel an escalation goes to: the first matching rule, else the default."""

from __future__ import annotations

from dataclasses import dataclass

from bot import CaseView, ConfigurationError, Escalation, Settings

__all__ = ["SlackRoute", "SlackRouting"]

_KEYS = ("reason", "stage", "type", "language")
_EXAMPLE = "reason=dispute:C-DISPUTES,stage=pre-legal:C-LEGAL,type=A:C-CARE,language=he:C-HE"


@dataclass(frozen=True, slots=True)
class SlackRoute:
    """One rule: escalations whose `key` equals `value` go to `channel`."""

    key: str
    value: str
    channel: str

    def matches(self, escalation: Escalation, view: CaseView) -> bool:
        if self.key == "reason":
            return str(escalation.reason) == self.value
        if self.key == "stage":
            return str(view.case.stage) == self.value
        if self.key == "type":
            return str(view.case.type) == self.value.upper()
        language = (view.customer.language or "").replace("-", "_").lower()
        return language.partition("_")[0] == self.value.lower()


@dataclass(frozen=True, slots=True)
class SlackRouting:
    """The rules of SETTLE_SLACK_ROUTES in order, and SETTLE_SLACK_ESCALATION_CHANNEL."""

    default: str
    routes: tuple[SlackRoute, ...] = ()

    @classmethod
    def from_settings(cls, settings: Settings) -> SlackRouting:
        """Read the routing settings.

        Raises:
            ConfigurationError: naming the setting, if the channel is unset or a rule malformed.
        """
        if not settings.slack_escalation_channel:
            msg = "SETTLE_SLACK_ESCALATION_CHANNEL is not set; set the channel id for escalations"
            raise ConfigurationError(msg)
        rules = filter(None, (part.strip() for part in settings.slack_routes.split(",")))
        return cls(settings.slack_escalation_channel, tuple(_route(rule) for rule in rules))

    def channel_for(self, escalation: Escalation, view: CaseView) -> str:
        """The channel of the first rule that matches, else the default one."""
        for route in self.routes:
            if route.matches(escalation, view):
                return route.channel
        return self.default


def _route(rule: str) -> SlackRoute:
    key, sep, rest = rule.partition("=")
    value, colon, channel = rest.rpartition(":")
    key, value, channel = key.strip().lower(), value.strip(), channel.strip()
    if not sep or not colon or not value or not channel or key not in _KEYS:
        msg = (
            f"SETTLE_SLACK_ROUTES: malformed rule {rule!r}; expected key=value:CHANNEL with "
            f"key one of {', '.join(_KEYS)}, e.g. {_EXAMPLE!r}"
        )
        raise ConfigurationError(msg)
    return SlackRoute(key, value, channel)
