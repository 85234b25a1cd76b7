"""The Route C topics (docs/route-c.md): which home a topic belongs to, and where to answer."""

from __future__ import annotations

import re
from typing import Final

__all__ = [
    "BATCH_FILTER",
    "HOME_ID",
    "SHARE_GROUP",
    "STATE_FILTER",
    "ack_topic",
    "home_of",
]

HOME_ID: Final = re.compile(r"[A-Za-z0-9_-]{1,64}")
_PREFIX: Final = "hemsnet/v1/home/"
SHARE_GROUP: Final = "hemsnet-provider"
#: Shared subscriptions: the broker gives each message to one worker of the group.
BATCH_FILTER: Final = f"$share/{SHARE_GROUP}/{_PREFIX}+/up/batch"
STATE_FILTER: Final = f"$share/{SHARE_GROUP}/{_PREFIX}+/up/state"


def home_of(topic: str) -> tuple[str, str] | None:
    """``(home ID, "batch" | "state")`` of an uplink topic; ``None`` for anything else."""
    if not topic.startswith(_PREFIX):
        return None
    home, sep, rest = topic[len(_PREFIX) :].partition("/")
    if not sep or not HOME_ID.fullmatch(home) or rest not in ("up/batch", "up/state"):
        return None
    return home, rest.removeprefix("up/")


def ack_topic(home: str) -> str:
    return f"{_PREFIX}{home}/down/ack"
