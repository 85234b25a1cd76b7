"""The meter's registers: exact cumulative energy, advanced minute by minute, with history.

Every register is an integer amount since installation: active energy in joules and reactive
energy (lag) in var-seconds, each in the normal direction (drawn from the grid) and the
reverse direction (fed back). A minute adds its average net power times 60 s to one direction;
its reactive energy follows from the power factor of what flows (the load's when power is
drawn, the PV inverter's when it is fed back). A meter without reverse measurement counts
nothing in the reverse direction [AIF Table 2-4 note *2].

History keeps the totals at every minute boundary (one-minute data, 0xD0/0xED) and at every
half-hour boundary (30-minute data, 0xE3 and the day48 histories) for the configured windows.
Raw readings are derived from these totals by :mod:`hemsnet.meter.scaling`, never stored.
"""

from __future__ import annotations

import math
from array import array
from base64 import b64decode, b64encode
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import astuple, dataclass
from typing import Any, Final

from hemsnet.physics.load import LoadModel, LoadSettings, MinutePower
from hemsnet.physics.timeline import MINUTES_PER_HALF_HOUR

__all__ = ["Registers", "Totals"]

_SECONDS: Final = 60


@dataclass(frozen=True, slots=True)
class Totals:
    """Cumulative amounts at one instant since installation: J (active) and var·s (reactive)."""

    active_n: int = 0
    active_r: int = 0
    reactive_n: int = 0
    reactive_r: int = 0


class Registers:
    """Cumulative registers stepped a whole minute at a time from the installation minute."""

    def __init__(
        self,
        model: LoadModel,
        settings: LoadSettings,
        installed: int,
        *,
        minute_keep: int,
        half_hour_keep: int,
        reverse: bool,
    ) -> None:
        if installed % MINUTES_PER_HALF_HOUR:
            raise ValueError("a meter is installed on a half-hour boundary")
        self.model = model
        self.installed = installed
        self.reverse = reverse
        self._tan_load = math.tan(math.acos(settings.power_factor))
        self._tan_pv = math.tan(math.acos(settings.pv_power_factor))
        self.minute = installed
        self.totals = Totals()
        #: Co-simulated appliances' draw in W, read as each minute starts (E10); none: 0.
        self.extra: Callable[[], int] | None = None
        self.power = model.minute(installed)
        self._minutes: deque[tuple[int, int]] = deque([(0, 0)], maxlen=minute_keep)
        self._halves: deque[Totals] = deque([self.totals], maxlen=half_hour_keep)

    @property
    def half_hour(self) -> int:
        """The index of the latest half-hour boundary reached (minute ``30 * index``)."""
        return self.minute // MINUTES_PER_HALF_HOUR

    def step_to(self, minute: int) -> list[int]:
        """Advance to the boundary ``minute``; returns the half-hour boundaries crossed."""
        crossed = []
        an, ar, qn, qr = (
            self.totals.active_n,
            self.totals.active_r,
            self.totals.reactive_n,
            self.totals.reactive_r,
        )
        power = self.power
        for current in range(self.minute, minute):
            net = power.net_w
            if net >= 0:
                an += net * _SECONDS
                qn += round(net * _SECONDS * self._tan_load)
            elif self.reverse:
                ar -= net * _SECONDS
                qr += round(-net * _SECONDS * self._tan_pv)
            boundary = current + 1
            self._minutes.append((an, ar))
            if boundary % MINUTES_PER_HALF_HOUR == 0:
                self._halves.append(Totals(an, ar, qn, qr))
                crossed.append(boundary // MINUTES_PER_HALF_HOUR)
            power = self._power(boundary)
        if minute > self.minute:
            self.minute = minute
            self.totals = Totals(an, ar, qn, qr)
            self.power = power
        return crossed

    def _power(self, minute: int) -> MinutePower:
        power = self.model.minute(minute)
        if self.extra is None:
            return power
        return MinutePower(max(0, power.load_w + self.extra()), power.pv_w)

    def at_minute(self, minute: int) -> tuple[int, int] | None:
        """Active totals (normal, reverse) at a minute boundary still kept, else None."""
        index = minute - (self.minute - len(self._minutes) + 1)
        if 0 <= index < len(self._minutes) and minute <= self.minute:
            return self._minutes[index]
        return None

    def at_half_hour(self, half_hour: int) -> Totals | None:
        """Totals at a half-hour boundary still kept, else None."""
        index = half_hour - (self.half_hour - len(self._halves) + 1)
        if 0 <= index < len(self._halves) and half_hour <= self.half_hour:
            return self._halves[index]
        return None

    def active_now(self, seconds: int) -> tuple[int, int]:
        """Active totals ``seconds`` (0-59) into the minute in progress."""
        net = self.power.net_w
        an, ar = self.totals.active_n, self.totals.active_r
        if net >= 0:
            return an + net * seconds, ar
        return an, ar - net * seconds if self.reverse else ar

    # --- persistence -----------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """A JSON-ready copy of the state (totals and history)."""
        return {
            "installed": self.installed,
            "minute": self.minute,
            "totals": _pack(astuple(self.totals)),
            "minutes": _pack(v for pair in self._minutes for v in pair),
            "halves": _pack(v for totals in self._halves for v in astuple(totals)),
        }

    def restore(self, state: Mapping[str, Any]) -> None:
        """Take over a snapshot of the same installation (raises ``ValueError`` otherwise)."""
        if state["installed"] != self.installed:
            raise ValueError("the snapshot is of another installation")
        minute = int(state["minute"])
        an, ar, qn, qr = _unpack(state["totals"])
        minutes = _unpack(state["minutes"])
        halves = _unpack(state["halves"])
        if minute < self.installed or len(minutes) % 2 or len(halves) % 4:
            raise ValueError("the snapshot is inconsistent")
        self.minute = minute
        self.totals = Totals(an, ar, qn, qr)
        self.power = self.model.minute(minute)
        self._minutes.clear()
        self._minutes.extend(zip(minutes[::2], minutes[1::2], strict=True))
        self._halves.clear()
        self._halves.extend(Totals(*halves[i : i + 4]) for i in range(0, len(halves), 4))
        if not self._minutes or not self._halves or self._minutes[-1] != (an, ar):
            raise ValueError("the snapshot is inconsistent")


def _pack(values: Iterable[int]) -> str:
    return b64encode(array("q", values).tobytes()).decode("ascii")


def _unpack(text: str) -> list[int]:
    values = array("q")
    values.frombytes(b64decode(text.encode("ascii"), validate=True))
    return values.tolist()
