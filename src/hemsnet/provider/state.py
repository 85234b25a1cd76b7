"""A home's link state message (``up/state``, docs/route-c.md): online, or offline (its last
will), and when the home said so."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from hemsnet.provider.batch import BatchError
from hemsnet.provider.fields import DEFAULT_WINDOW, Refused, TimeWindow, timestamp

__all__ = ["LinkState", "parse_state"]

_MAX_BYTES: Final = 1024
_STATES: Final = frozenset({"online", "offline"})


@dataclass(frozen=True, slots=True)
class LinkState:
    home: str
    state: str
    at: datetime  # the home's time, as it sent it


def parse_state(
    home: str, payload: bytes, now: datetime, window: TimeWindow = DEFAULT_WINDOW
) -> LinkState:
    """The state ``payload`` says for ``home``; :class:`BatchError` names what is wrong."""
    if len(payload) > _MAX_BYTES:
        raise BatchError(f"a state message of {len(payload)} bytes (at most {_MAX_BYTES})")
    try:
        data = json.loads(payload)
    except (ValueError, RecursionError):
        raise BatchError("a state message that is not JSON") from None
    if not isinstance(data, dict) or data.get("v") != 1 or data.get("state") not in _STATES:
        raise BatchError('a state message that is not {"v":1,"state":"online"|"offline",...}')
    try:
        at = timestamp(data, "at", *window.bounds(now))
    except Refused as exc:
        raise BatchError(f"a state message: {exc}") from None
    return LinkState(home, str(data["state"]), at)
