"""The follow-up ladder: what happens after the first message when nobody answers.

Each case type and stage has a sequence of steps counted in days from the first
message: a follow-up message, or a hand-off to staff. Every step is an outbox row
on the internal `case` channel with its due time, so a restart loses none; when
it falls due it acts only while the case is still being contacted, so the ladder
stops at once on payment, agreement, opt-out, dispute, hardship or
escalation, and a broken promise or plan starts it again (`bot._steps.CaseSteps`
does what a step says when it falls due).

The file (`SETTLE_FOLLOW_UP_FILE`; see `examples/follow-ups.toml`) holds one
`[[ladder]]` table per case type and stage.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bot._errors import ConfigurationError
from bot._model import Case, CaseStage, CaseStatus, CaseType
from bot.ports import Tx

__all__ = [
    "CASE",
    "ESCALATE",
    "FOLLOW_UP",
    "Ladder",
    "Step",
    "schedule_ladder",
    "stop_steps",
]

# The internal channel of scheduled case work; its rows never reach a customer.
CASE = "case"
FOLLOW_UP = "follow_up"
ESCALATE = "escalate"

# A step acts only while the case is still being contacted (the outbox cancels it otherwise).
_WHILE = [CaseStatus.CONTACTING.value]


@dataclass(frozen=True, slots=True)
class Step:
    """One rung: on `day` after the first message, a follow-up or a hand-off to staff."""

    day: int
    action: Literal["follow_up", "escalate"]


class _Rung(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: CaseType
    stage: CaseStage = CaseStage.PRE_COLLECTION
    follow_up_days: list[int] = Field(default_factory=list)
    escalate_day: int | None = Field(default=None, ge=1, le=365)

    @model_validator(mode="after")
    def _ordered(self) -> _Rung:
        days = self.follow_up_days
        if any(day < 1 or day > 365 for day in days):
            raise ValueError("follow_up_days must be days 1 to 365 after the first message")
        if days != sorted(set(days)):
            raise ValueError("follow_up_days must rise, each day once")
        if self.escalate_day is not None and days and self.escalate_day <= days[-1]:
            raise ValueError("escalate_day must come after the last follow-up day")
        return self

    def steps(self) -> tuple[Step, ...]:
        rungs = [Step(day, "follow_up") for day in self.follow_up_days]
        if self.escalate_day is not None:
            rungs.append(Step(self.escalate_day, "escalate"))
        return tuple(rungs)


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ladder: list[_Rung]


# Type A is a service: a nudge two and five days on, then a person a week after the start.
# Type C gives a little longer between nudges, because a bill needs a pay day.
_DEFAULTS: dict[tuple[CaseType, CaseStage], tuple[Step, ...]] = {
    (CaseType.A, CaseStage.PRE_COLLECTION): (
        Step(2, "follow_up"),
        Step(5, "follow_up"),
        Step(7, "escalate"),
    ),
    (CaseType.C, CaseStage.PRE_COLLECTION): (
        Step(3, "follow_up"),
        Step(7, "follow_up"),
        Step(10, "escalate"),
    ),
}


@dataclass(frozen=True, slots=True)
class Ladder:
    """The steps of each case type and stage; a pair with no entry has no follow-ups."""

    steps: Mapping[tuple[CaseType, CaseStage], tuple[Step, ...]]

    @classmethod
    def default(cls) -> Ladder:
        return cls(_DEFAULTS)

    @classmethod
    def load(cls, path: Path | None) -> Ladder:
        """The ladder of a TOML file, or the defaults; `ConfigurationError` names the entry."""
        if path is None:
            return cls.default()
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as error:
            raise ConfigurationError(
                f"SETTLE_FOLLOW_UP_FILE: cannot read {path}: {error}"
            ) from None
        except tomllib.TOMLDecodeError as error:
            raise ConfigurationError(f"{path}: not TOML: {error}") from None
        return cls.parse(raw, source=str(path))

    @classmethod
    def parse(cls, raw: Mapping[str, Any], *, source: str = "follow-ups") -> Ladder:
        try:
            parsed = _File.model_validate(raw)
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise ConfigurationError(f"{source}: {where}: {first['msg']}") from None
        steps: dict[tuple[CaseType, CaseStage], tuple[Step, ...]] = {}
        for index, rung in enumerate(parsed.ladder):
            key = (rung.type, rung.stage)
            if key in steps:
                msg = f"{source}: ladder.{index}: a second entry for type {rung.type} {rung.stage}"
                raise ConfigurationError(msg)
            steps[key] = rung.steps()
        return cls(steps)

    def of(self, case: Case) -> tuple[Step, ...]:
        return self.steps.get((case.type, case.stage), ())


async def stop_steps(tx: Tx, case_id: int) -> int:
    """Cancel the case's steps still to come, claimed ones too; how many.

    A step a worker claimed before the case moved on finds its row cancelled when its
    transaction starts (`bot._steps`), and does nothing.
    """
    return await tx.cancel_queued_on_case(case_id, channel=CASE, claimed=True)


async def schedule_ladder(
    tx: Tx, case: Case, ladder: Ladder, *, start: datetime, round_key: str = "first"
) -> int:
    """Queue the case's steps counted from `start`; how many were new.

    `round_key` names the round: the same round is never queued twice, and a broken
    agreement starts a round of its own, which replaces what was left of the last.
    """
    first = f"case:{case.id}:ladder:{round_key}:1"
    if ladder.of(case) and not await tx.count_contacts(first):
        await stop_steps(tx, case.id)
    queued = 0
    for number, step in enumerate(ladder.of(case), start=1):
        params: dict[str, Any] = {"step": number, "of": len(ladder.of(case)), "while": _WHILE}
        added = await tx.enqueue(
            customer_id=case.customer_id,
            case_id=case.id,
            channel=CASE,
            template=step.action,
            params=params,
            due_at=start + timedelta(days=step.day),
            dedupe_key=f"case:{case.id}:ladder:{round_key}:{number}",
        )
        queued += added is not None
    return queued
