"""The meter emulator's engine: a 0x028F (or 0x0288) node in meter time, without I/O.

It keeps the engine contract (:mod:`hemsnet.echonet.engine`). Time is an input:
:meth:`MeterEngine.receive` takes a datagram, its source and the meter time it arrived at;
:meth:`MeterEngine.advance` moves time on; both return the datagrams to send
(:class:`~hemsnet.echonet.send.Send`: unicast or multicast, possibly not before a given
time). The runner asks :meth:`MeterEngine.next_wakeup` when to call ``advance`` next, so that
a test can run a week of meter time in seconds by calling it in a loop. Its events say when a
half-hour closed (:class:`HalfHourClosed`: a moment to save the state) and what a peer sent
that it dropped (:class:`~hemsnet.echonet.engine.FrameDiscarded`).

What the engine adds to the generic responder (:class:`~hemsnet.echonet.responder.Node`):

* Start-up: the node profile's 0xD5 instance list, multicast [AIF 3.1.1].
* Route B pairing: one controller by default, the first that sends a request or a configured
  one, up to three when allowed; requests from anyone else are ignored [G.9958 I.2, AIF 2.4.1].
* A request that mixes a history EPC with others may be refused [AIF 2.4.4].
* Scheduled notification of 0xE3, 0xC3 (and 0xCB) within 5 minutes after every :00 and :30, at
  a seeded offset per half-hour [AIF 3.2.1]; a low-voltage meter notifies 0xEA and 0xEB (M21).
* Fault windows: INF 0x88 = 0x41, no scheduled notification, measurement Gets refused, then
  INF 0x88 = 0x42 [AIF 3.4.1]. The metering itself goes on, so history stays complete.
* The fault plan's drops, delays, silences, partial answers and duplicate notifications.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from hemsnet.devices import lv_meter
from hemsnet.devices.hv_meter_bidir import (
    FIXED_TIME_DEMAND,
    FIXED_TIME_ENERGY,
    FIXED_TIME_REACTIVE_ENERGY,
)
from hemsnet.devices.nodes import node_profile_object
from hemsnet.devices.values import TimedNormalReverse, TimedReading
from hemsnet.echonet.engine import Discard, FrameDiscarded
from hemsnet.echonet.eoj import CONTROLLER, NODE_PROFILE
from hemsnet.echonet.esv import Esv
from hemsnet.echonet.frame import Format2Frame, Frame, Property, decode_frame
from hemsnet.echonet.responder import LocalObject, Node, Outgoing
from hemsnet.echonet.send import Send
from hemsnet.errors import ConfigError, FrameError
from hemsnet.meter.billing import BillingMonth
from hemsnet.meter.config import MeterConfig, MixedHistory
from hemsnet.meter.faults import FaultPlan, Window
from hemsnet.meter.objects import MeterObjects
from hemsnet.meter.readings import MeterReadings
from hemsnet.meter.registers import Registers
from hemsnet.meter.scaling import MeterScaling, power_of_ten
from hemsnet.physics.draws import MASK, Draws, mix, uniform
from hemsnet.physics.load import LoadModel
from hemsnet.physics.timeline import (
    MINUTES_PER_DAY,
    MINUTES_PER_HALF_HOUR,
    minute_index,
    minute_start,
)

__all__ = ["STATE_VERSION", "HalfHourClosed", "MeterEngine", "MeterEvent", "MeterStats"]

log = logging.getLogger(__name__)

STATE_VERSION: Final = 1
NOTIFY_WITHIN: Final = timedelta(minutes=5)  # [AIF 3.2.1]
_REPLY_CACHE_SIZE: Final = 256
_OFFSET_STREAM: Final = 1  # splitmix64 streams of the seed: notification offsets, faults
_FAULT_STREAM: Final = 2


@dataclass(frozen=True, slots=True)
class HalfHourClosed:
    """The registers stepped past the half-hour ending at ``end`` (meter time)."""

    end: datetime


MeterEvent = HalfHourClosed | FrameDiscarded


@dataclass(slots=True)
class MeterStats:
    """What the meter did with what it received, and what it sent of its own accord."""

    received: int = 0
    malformed: int = 0
    ignored: int = 0
    other_peers: int = 0
    answered: int = 0
    refused_mixed: int = 0
    notifications: int = 0
    suppressed: int = 0
    dropped_requests: int = 0
    dropped_responses: int = 0
    delayed: int = 0
    partial: int = 0
    duplicates: int = 0
    silenced: int = 0


class MeterEngine:
    """A bidirectional high-voltage smart meter node, driven by the caller's clock."""

    def __init__(
        self,
        config: MeterConfig,
        *,
        now: datetime,
        seed: int = 0,
        installed: datetime | None = None,
        faults: FaultPlan | None = None,
        controllers: tuple[Hashable, ...] = (),
        state: Mapping[str, Any] | None = None,
        identify: Callable[[Hashable], Hashable] = lambda source: source,
        answer_to: Callable[[Hashable], Hashable] = lambda source: source,
    ) -> None:
        self.config = config
        self.seed = seed
        self.faults = faults or FaultPlan()
        self.stats = MeterStats()
        self.scaling = MeterScaling(config)
        model = LoadModel(config.load, seed)
        self._check_demand_fits(model)
        if state is not None:
            installed_minute = _installed_from(state)
        else:
            start = minute_index(installed or now)
            installed_minute = start - start % MINUTES_PER_HALF_HOUR
        self.registers = Registers(
            model,
            config.load,
            installed_minute,
            minute_keep=config.minute_history_days * MINUTES_PER_DAY + 1,
            half_hour_keep=(config.retained_days + 1) * (MINUTES_PER_DAY // MINUTES_PER_HALF_HOUR)
            + 1,
            reverse=config.reverse_measurement,
        )
        self.billing = BillingMonth(config.fixed_date, self.scaling)
        self.readings = MeterReadings(config, self.scaling, self.registers, self.billing, now)
        self.objects = MeterObjects(config, self.readings, self.in_fault, self._forget_values)
        objects: list[LocalObject] = [self.objects.meter]
        if self.objects.companion is not None:
            objects.append(self.objects.companion)  # after 0x028F [AIF 3.1.1]
        profile = node_profile_object(
            objects, manufacturer=config.manufacturer, unique_id=config.unique_id
        )
        self.node = Node(profile, objects)
        self.eoj = self.objects.meter.eoj
        self._history_epcs = self.objects.meter.table.history_epcs
        self._identify = identify
        self._answer_to = answer_to  # the requester's ECHONET Lite port, or its source port (M20)
        self._controllers: set[Hashable] = {identify(c) for c in controllers}
        self._fixed_controllers = bool(controllers)
        self._draws = Draws(mix(seed & MASK, _FAULT_STREAM))
        self._events: list[MeterEvent] = []
        self._pending: list[tuple[datetime, int]] = []  # scheduled INF: (due, half-hour)
        self._fault = False
        self._silent = False
        self._second = -1
        # Answers by request bytes after the TID; only when no fault touches responses.
        self._replies: dict[bytes, bytes] = {}
        self._replies_allowed = not self.faults.alters_answers
        self._next_event = now
        self.now = minute_start(installed_minute)
        if state is not None:
            self._restore(state, now)
        self._step(now, schedule=False)
        self._fault = self._in_window(self.faults.faults, now)
        self._silent = self._in_window(self.faults.silent, now)

    # --- public API ----------------------------------------------------------------------

    def add_load(self, draw: Callable[[], int]) -> None:
        """Co-simulation (docs/energy-management.md E10): from the next minute on, each minute's
        load includes ``draw()`` W, read as the minute starts (the appliances the controller
        commands, so that shedding them lowers this meter's demand)."""
        self.registers.extra = draw

    def announce(self, now: datetime) -> list[Send]:
        """The start-up announcement, once the interface is up: 0xD5 to every node."""
        sends = self.advance(now)
        out = self.node.notification(NODE_PROFILE, [0xD5])
        if out is not None and not self._silent:
            sends.append(Send.of(out.frame))
        if self._fault:  # a meter that starts in fault says so at once [AIF 3.4.1]
            self._notify(self._fault_notification(), sends)
        return sends

    def in_fault(self) -> bool:
        return self._fault

    def take_events(self) -> Sequence[MeterEvent]:
        if not self._events:
            return ()
        events, self._events = self._events, []
        return events

    def next_wakeup(self) -> datetime:
        """When ``advance`` has something to do next (at the latest the next minute)."""
        return self._next_event

    def advance(self, now: datetime) -> list[Send]:
        """Move meter time on to ``now``: registers, fault windows, scheduled notifications."""
        sends: list[Send] = []
        self._step(now, schedule=True)
        self._update_windows(now, sends)
        self._notify_due(now, sends)
        self._next_event = self._compute_next_event(now)
        return sends

    def receive(self, data: bytes, source: Hashable, now: datetime) -> list[Send]:
        """One datagram from ``source`` at ``now``; returns what to send."""
        sends = self.advance(now) if now >= self._next_event else []
        self._set_now(now)
        stats = self.stats
        stats.received += 1
        if self._silent:
            stats.silenced += 1
            return sends
        # A Get identical but for its TID to one already answered since the values last
        # changed gets the same answer: the common case of a controller polling.
        reply = self._replies.get(data[4:]) if not sends else None
        if reply is not None and self._identify(source) in self._controllers:
            stats.answered += 1
            sends.append(Send(data[:4] + reply, self._answer_to(source)))
            return sends
        try:
            frame = decode_frame(data)
        except FrameError as exc:
            stats.malformed += 1
            self._events.append(FrameDiscarded(source, Discard.MALFORMED, exc.reason, data))
            return sends
        if isinstance(frame, Format2Frame) or not (frame.esv.is_request or frame.esv is Esv.INFC):
            stats.ignored += 1  # responses and notifications: the meter waits for nothing
            return sends
        if not self._admit(source):
            stats.other_peers += 1
            reason = "not the paired controller [G.9958 I.2]"
            self._events.append(FrameDiscarded(source, Discard.FOREIGN, reason, data))
            return sends
        if self.faults.drop_requests and self._draws.random() < self.faults.drop_requests:
            stats.dropped_requests += 1
            return sends
        refusal = self._mixed_history_refusal(frame)
        outgoing = [refusal] if refusal is not None else self.node.handle(frame).outgoing
        for out in outgoing:
            if out.multicast:
                sends.append(Send.of(out.frame))
            else:
                self._respond(out.frame, self._answer_to(source), now, sends)
        if frame.esv is Esv.GET and self._replies_allowed and len(outgoing) == 1:
            self._remember(data, sends[-1].data)
        return sends

    def _remember(self, request: bytes, reply: bytes) -> None:
        if len(self._replies) >= _REPLY_CACHE_SIZE:
            self._replies.clear()
        self._replies[request[4:]] = reply[4:]

    def snapshot(self) -> dict[str, Any]:
        """The state to keep across restarts (JSON-ready)."""
        return {
            "version": STATE_VERSION,
            "saved": self.now.isoformat(),
            "scaling": self.scaling.fingerprint(),
            "registers": self.registers.snapshot(),
            "billing": self.billing.snapshot(),
            "location": (self.objects.meter.read(0x81) or b"").hex(),
        }

    # --- time ----------------------------------------------------------------------------

    def _set_now(self, now: datetime) -> None:
        self.now = self.readings.now = now
        second = now.second
        if second != self._second:
            self._second = second
            self._forget_values()

    def _step(self, now: datetime, *, schedule: bool) -> None:
        if now < self.now:
            raise ValueError(f"meter time went back from {self.now} to {now}")
        self._set_now(now)
        target = minute_index(now)
        if target <= self.registers.minute:
            return
        readings = self.readings
        for half_hour in self.registers.step_to(target):
            end = minute_start(half_hour * MINUTES_PER_HALF_HOUR)
            normal, reverse = readings.demand(half_hour)
            if normal is not None:
                self.billing.close(end, (normal, reverse or 0))
            if schedule and now < end + NOTIFY_WITHIN:
                self._pending.append((end + self._offset(half_hour), half_hour))
            self._events.append(HalfHourClosed(end))
        self._forget_values()

    def _offset(self, half_hour: int) -> timedelta:
        """A delay in 1..299 s, the same for a seed and a half-hour [AIF 3.2.1]."""
        draw = uniform(mix(self.seed & MASK, _OFFSET_STREAM), half_hour)
        return timedelta(seconds=1 + int(draw * 299))

    def _compute_next_event(self, now: datetime) -> datetime:
        candidates = [minute_start(self.registers.minute + 1)]
        candidates += [due for due, _ in self._pending]
        for window in (*self.faults.faults, *self.faults.silent):
            candidates += [edge for edge in (window.start, window.end) if edge > now]
        return min(candidates)

    # --- faults and notifications --------------------------------------------------------

    @staticmethod
    def _in_window(windows: tuple[Window, ...], now: datetime) -> bool:
        return any(window.contains(now) for window in windows)

    def _update_windows(self, now: datetime, sends: list[Send]) -> None:
        self._silent = self._in_window(self.faults.silent, now)
        fault = self._in_window(self.faults.faults, now)
        if fault == self._fault:
            return
        self._fault = fault
        self._forget_values()
        log.info("fault status: %s", "fault occurred" if fault else "no fault")
        self._notify(self._fault_notification(), sends)

    def _fault_notification(self) -> Frame:
        """INF of 0x88, a status-change announcement [AIF Table 2-3, 3.4.1]."""
        edt = self.objects.meter.read(0x88)
        assert edt is not None
        return Frame(self.node.next_tid(), self.eoj, CONTROLLER, Esv.INF, (Property(0x88, edt),))

    def _notify_due(self, now: datetime, sends: list[Send]) -> None:
        due = [item for item in self._pending if item[0] <= now]
        if not due:
            return
        self._pending = [item for item in self._pending if item[0] > now]
        for _, half_hour in due:
            if self._fault:
                self.stats.suppressed += 1
                continue
            frame = self._scheduled(half_hour)
            if self.faults.duplicate_inf and self._draws.random() < self.faults.duplicate_inf:
                self.stats.duplicates += 1
                self._notify(self._scheduled(half_hour, altered=True), sends)
            self._notify(frame, sends)

    def _scheduled(self, half_hour: int, *, altered: bool = False) -> Frame:
        """The INF of 0xE3, 0xC3 (and 0xCB) for one half-hour [AIF 3.2.1].

        ``altered`` gives a copy with other values for the same measurement time, sent first so
        that the true one arrives last [AIF 2.5.1].
        """
        readings = self.readings
        props = []
        if self.config.low_voltage_meter:  # 0xEA and 0xEB (M21)
            fixed = readings.fixed_time(half_hour)
            if altered:
                fixed = _altered(fixed, self.scaling.energy.modulus)
            for lv_row, count in (
                (lv_meter.FIXED_TIME_ENERGY_NORMAL, fixed.normal),
                (lv_meter.FIXED_TIME_ENERGY_REVERSE, fixed.reverse),
            ):
                props.append(Property(lv_row.epc, lv_row.encode(TimedReading(fixed.at, count))))
            return Frame(self.node.next_tid(), self.eoj, CONTROLLER, Esv.INF, tuple(props))
        scheduled = (
            (FIXED_TIME_ENERGY, readings.fixed_time(half_hour)),
            (FIXED_TIME_DEMAND, readings.fixed_time_demand(half_hour)),
            (FIXED_TIME_REACTIVE_ENERGY, readings.fixed_time_reactive(half_hour)),
        )
        for row, value in scheduled:
            if row.epc not in self.objects.meter.get_map:
                continue
            sent = _altered(value, self._modulus(row.epc)) if altered else value
            props.append(Property(row.epc, row.encode(sent)))
        return Frame(self.node.next_tid(), self.eoj, CONTROLLER, Esv.INF, tuple(props))

    def _modulus(self, epc: int) -> int:
        if epc == 0xE3:
            return self.scaling.energy.modulus
        if epc == 0xCB:
            return self.scaling.reactive.modulus
        return power_of_ten(self.scaling.demand_digits)

    def _notify(self, frame: Frame, sends: list[Send]) -> None:
        if self._silent:
            self.stats.silenced += 1
            return
        self.stats.notifications += 1
        sends.append(Send.of(frame))

    def _forget_values(self) -> None:
        self.objects.cache.clear()
        self._replies.clear()

    # --- requests ------------------------------------------------------------------------

    def _admit(self, source: Hashable) -> bool:
        """Route B is point-to-point: serve the paired controller(s) only [G.9958 I.2]."""
        peer = self._identify(source)
        if peer in self._controllers:
            return True
        if self._fixed_controllers or len(self._controllers) >= self.config.max_controllers:
            return False
        self._controllers.add(peer)
        log.info("paired with controller %s", source)
        return True

    def _mixed_history_refusal(self, frame: Frame) -> Outgoing | None:
        """A Get_SNA for a request mixing a history EPC with others, if so configured."""
        if self.config.mixed_history is MixedHistory.SERVE:
            return None
        props = frame.properties + frame.get_properties
        if len(props) < 2 or self._history_epcs.isdisjoint([p.epc for p in props]):
            return None
        if not frame.deoj.addresses(self.eoj):
            return None
        esv = frame.esv.sna_response
        if esv is None:  # SetI: no answer at all
            return None
        self.stats.refused_mixed += 1
        refused = tuple(Property(p.epc) for p in frame.properties)
        refused_get = tuple(Property(p.epc) for p in frame.get_properties)
        return Outgoing(Frame(frame.tid, self.eoj, frame.seoj, esv, refused, refused_get))

    def _respond(self, frame: Frame, source: Hashable, now: datetime, sends: list[Send]) -> None:
        faults = self.faults
        stats = self.stats
        if faults.drop_responses and self._draws.random() < faults.drop_responses:
            stats.dropped_responses += 1
            return
        if (
            faults.partial_opc
            and len(frame.properties) > 1
            and self._draws.random() < faults.partial_opc
        ):
            stats.partial += 1
            keep = 1 + self._draws.below(len(frame.properties) - 1)
            frame = frame._replace(properties=frame.properties[:keep])
        at = None
        if faults.delay_max:
            stats.delayed += 1
            at = now + timedelta(seconds=self._draws.between(faults.delay_min, faults.delay_max))
        stats.answered += 1
        sends.append(Send.of(frame, source, at))

    # --- construction --------------------------------------------------------------------

    def _check_demand_fits(self, model: LoadModel) -> None:
        peaks = [("drawn", model.max_load_w)]
        if self.config.reverse_measurement:
            peaks.append(("fed back", model.max_pv_w))
        for direction, watts in peaks:
            if not self.scaling.demand_fits(watts):
                raise ConfigError(
                    f"a demand of up to {watts / 1000:g} kW {direction} does not fit "
                    f"{self.config.demand_digits} digits of the demand unit, or the energy "
                    "counter wraps within a half-hour: choose larger units or more digits"
                )

    def _restore(self, state: Mapping[str, Any], now: datetime) -> None:
        if state.get("version") != STATE_VERSION:
            raise ConfigError(f"state version {state.get('version')} is not {STATE_VERSION}")
        if state.get("scaling") != self.scaling.fingerprint():
            raise ConfigError(
                "the state was saved with other units, coefficient or digits; keep the "
                "configuration or start from a fresh state file"
            )
        try:
            self.registers.restore(state["registers"])
            self.billing.restore(state["billing"])
            location = bytes.fromhex(state["location"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"the state is damaged: {exc}") from None
        saved = minute_start(self.registers.minute)
        if saved > now:
            raise ConfigError(
                f"the state has readings up to {saved.isoformat()}, later than the meter "
                f"clock {now.isoformat()}"
            )
        self.objects.meter.write(0x81, location)
        self.now = saved


def _installed_from(state: Mapping[str, Any]) -> int:
    try:
        return int(state["registers"]["installed"])
    except (KeyError, TypeError, ValueError):
        raise ConfigError("the state is damaged: no installation time") from None


def _altered(value: TimedNormalReverse, modulus: int) -> TimedNormalReverse:
    normal = None if value.normal is None else (value.normal + 1) % modulus
    return TimedNormalReverse(value.at, normal, value.reverse)
