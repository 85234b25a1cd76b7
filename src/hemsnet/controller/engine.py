"""The Route B controller's engine: a sans-I/O state machine in controller time.

It keeps the engine contract (:mod:`hemsnet.echonet.engine`): time is an input,
:meth:`ControllerEngine.receive` takes a datagram, its source and the time it arrived,
:meth:`ControllerEngine.advance` moves time on, both return the datagrams to send; what the
store must keep comes out of :meth:`ControllerEngine.take_events`. What it has learnt about
the meter is one :class:`~hemsnet.controller.meter_state.MeterState`.

The sequences of AIF chapter 3 are procedures (:mod:`hemsnet.controller.procedures`): each is
a generator that yields the requests of its figure one by one and gets each answer back, or
yields a :class:`Sleep`. The engine runs them as tasks over one :class:`RequestLane`, so that
one request at a time is outstanding [AIF 2.4.1]. When the lane is free and the pace allows
(:mod:`hemsnet.controller.pacing`), the runnable task of highest priority sends next, but the
live plan and the history take turns when both are ready; measurement tasks wait while the
meter reports a fault [AIF 3.4.1].
"""

from __future__ import annotations

import itertools
import logging
from collections import deque
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Final, TypeVar

from hemsnet.controller import procedures
from hemsnet.controller.config import ControllerConfig
from hemsnet.controller.coverage import Coverage, Held
from hemsnet.controller.events import (
    DISCARD_COUNTERS,
    AttributeAbsent,
    BackfillProgress,
    Counted,
    Event,
    FaultEnded,
    FaultStarted,
    MeterPaired,
    MeterRestarted,
    ReadingDisputed,
    ReadingRejected,
    Recorded,
    RegisterRestarted,
    Warned,
)
from hemsnet.controller.meter_state import MeterState
from hemsnet.controller.own_node import OwnNode, decode_datagram
from hemsnet.controller.pacing import LinkQuality, Pacer, RateMeter
from hemsnet.controller.plan import PLANS
from hemsnet.controller.requests import Answer, Match, Request, RequestLane, history_epcs
from hemsnet.controller.tasks import Priority, Procedure, Sleep, Step
from hemsnet.controller.vetting import CLOCK_SKEW, Verdict, Vetting
from hemsnet.devices.hv_meter_bidir import CUMULATIVE_ENERGY, FAULT_STATUS
from hemsnet.devices.model import Access, PropertyDef
from hemsnet.devices.values import FaultStatus
from hemsnet.echonet.engine import Discard, FrameDiscarded
from hemsnet.echonet.eoj import Eoj
from hemsnet.echonet.esv import Esv
from hemsnet.echonet.frame import Frame, encode_frame
from hemsnet.echonet.instance_list import decode_instance_list
from hemsnet.echonet.send import Send
from hemsnet.echonet.tid import Draw, TidAllocator
from hemsnet.errors import InvalidValue
from hemsnet.metering.attributes import MeterScales
from hemsnet.metering.samples import Sample, samples_of
from hemsnet.metering.series import HALF_HOUR, Source
from hemsnet.physics.draws import Draws, mix

__all__ = ["ControllerEngine", "ControllerStatus"]

log = logging.getLogger(__name__)

T = TypeVar("T")

_IDLE: Final = timedelta(days=1)  # next wake-up when nothing is planned
_OFFSET_TOLERANCE: Final = timedelta(seconds=2)  # meter clock estimate: ignore jitter below
_BURST: Final = 3  # requests that may go at once: the search and the two attribute reads
_HELD_ANSWERS: Final = 8  # answers a fault may hold from their tasks (one per task)


@dataclass(slots=True)
class _Task:
    name: str
    priority: Priority
    procedure: Procedure
    measurement: bool  # held while the meter is in fault
    seq: int
    ready_at: datetime
    answer: Answer | None = None
    waiting: bool = False  # its request is in flight
    held: Request | None = None  # its next request, held back by the pace


@dataclass(slots=True)
class ControllerStatus:
    """What the status line shows, beyond the engine's own state."""

    found_at: datetime | None = None
    attributes_read: bool = False
    last_reading: datetime | None = None  # meter time of the latest 30-minute reading
    backfill_done: int = 0
    backfill_total: int = 0
    backfilled_at: datetime | None = None  # when the latest backfill pass finished
    counters: dict[str, int] = field(default_factory=dict)
    per_hour: int = 0  # requests sent in the hour before the latest one


class ControllerEngine:
    """A controller for one bidirectional high-voltage smart meter over Route B.

    An :class:`~hemsnet.echonet.engine.Engine`; procedures see it as a
    :class:`~hemsnet.controller.context.Context`.
    """

    def __init__(
        self,
        config: ControllerConfig,
        *,
        now: datetime,
        meter: Hashable | None = None,
        identify: Callable[[Hashable], Hashable] = lambda source: source,
        tid_draw: Draw | None = None,
        endpoint: Callable[[Hashable], Hashable] = lambda source: source,
    ) -> None:
        self.config = config
        self.now = now
        # An appliance monitor sharing the Route B socket draws from it too, so that no TID of
        # its requests is mistaken for one of ours [AIF 2.4.3] (decision C24). The runners
        # draw TIDs from the CSPRNG; without one (tests), a stream of the seed (n = 0: the
        # retry jitter uses n >= 1).
        self.tids = TidAllocator(tid_draw or Draws(mix(config.seed, 0)).below)
        self.lane = RequestLane(
            timer_1=config.timer_1,
            timer_2=config.timer_2,
            max_opc=config.max_opc,
            tids=self.tids,
            identify=identify,
        )
        self.coverage = Coverage()
        self.status = ControllerStatus()
        self.pacer = Pacer(config.pace, _BURST, now)
        self.rate = RateMeter()
        self.quality = LinkQuality()
        self._sent_at = now  # of the request in flight
        self._turn: Priority | None = None  # of the live plan and history, who went last
        self._in_fault: deque[Answer] = deque(maxlen=_HELD_ANSWERS)  # came during a fault
        self.own = OwnNode()
        self.meter = MeterState(address=meter, fixed=meter is not None)
        self._identify = identify
        # Requests and answers go to the meter's ECHONET Lite port, whatever port its frames
        # came from: other stacks send from a throwaway port and listen on 3610 only (C31).
        self._endpoint = endpoint
        self._events: list[Event] = []
        self._tasks: list[_Task] = []
        self._seq = itertools.count()
        # Notified readings waiting for the scales or the clock: EPC, EDT, the frame.
        self._held: list[tuple[int, bytes, bytes]] = []
        self.vetting = Vetting()
        self._retry_draws = itertools.count(1)
        self.history_known = False  # whether restore() said what the store holds
        # The search for the meter [AIF 3.1.2], once the instance list is out [AIF 3.1.1].
        self.spawn("startup", Priority.STARTUP, procedures.startup(self), measurement=False)

    # --- the engine contract (hemsnet.echonet.engine) --------------------------------------

    def announce(self, now: datetime) -> list[Send]:
        """The controller's instance list, to every node, at start-up [AIF 3.1.1]."""
        self.now = now
        return [self.own.announcement()]

    def receive(self, data: bytes, source: Hashable, now: datetime) -> list[Send]:
        self.now = now
        frame = decode_datagram(data, source)
        if isinstance(frame, FrameDiscarded):
            if self.meter.address is None or self.from_meter(source):
                self._discard(frame)
            else:
                self._discard(replace(frame, kind=Discard.FOREIGN))
            return self._pump()
        if frame is None:
            return self._pump()
        if self.meter.address is not None and not self.from_meter(source):
            # Route B carries only the meter [G.9958 I.2]
            self._discard(FrameDiscarded(source, Discard.FOREIGN, "not the meter", data))
            return self._pump()
        sends: list[Send] = []
        if frame.esv.is_request:
            sends += self.own.serve(frame, self._endpoint(source))
        elif frame.esv.answers is not None:
            self._on_response(frame, source, data)
        elif frame.esv in (Esv.INF, Esv.INFC):
            if frame.esv is Esv.INFC:
                # INFC_Res: the sender waits for it
                sends += self.own.serve(frame, self._endpoint(source))
            self._on_notification(frame, source)
        return sends + self._pump()

    def advance(self, now: datetime) -> list[Send]:
        self.now = now
        if self.lane.expired(now):
            pending = self.lane.pending
            assert pending is not None
            log.info(
                "no answer to %s in time; TID %d retired", _describe(pending.request), pending.tid
            )
            self.count("timed_out")
            if not pending.request.multicast:
                self.quality.note(answered=False)
            self._deliver(self.lane.settle(None))
        return self._pump()

    def next_wakeup(self) -> datetime:
        pending = self.lane.pending
        if pending is not None:
            return pending.deadline
        ready = [task.ready_at for task in self._tasks if self._eligible(task)]
        if not ready:
            return self.now + _IDLE
        return max(min(ready), self.pacer.ready_at(self.now))

    def take_events(self) -> list[Event]:
        events, self._events = self._events, []
        return events

    # --- an appliance monitor on the Route B interface (controller.appliances.LaneGate) ------

    def discover_nodes(self, now: datetime) -> None:
        """Multicast the monitor's discovery through this lane: the meter hears it too, so it
        is the meter's request in flight until the meter answers or timer 1 runs out
        [AIF 2.4.1]; the other nodes' answers go to the monitor (C24)."""
        self.now = now
        self.spawn("discovery", Priority.STARTUP, procedures.discover(self), measurement=False)

    # --- the store's part ------------------------------------------------------------------

    def restore(self, held: Held) -> None:
        """What the store already holds for the paired meter, so that a restarted controller
        fetches only what is missing. Call it once the meter is paired (MeterPaired): the
        scheduled fetch and the recovery wait for it."""
        self.coverage.merge(held)
        newest = {s: max(c.items()) for s, c in held.real.items() if c and s.cumulative}
        self.vetting.restore(held.latest | newest, held.peak_kw)
        self.history_known = True
        self.wake("scheduled")
        self.wake("recovery")

    # --- the context of procedures (hemsnet.controller.context) ----------------------------

    @property
    def meter_now(self) -> datetime:
        return self.now + self.meter.offset

    def at_meter_time(self, meter_time: datetime) -> datetime:
        return meter_time - self.meter.offset

    def day_offset(self, day: date) -> int:
        return (self.meter_now.date() - day).days

    def backoff(self, failures: int) -> timedelta:
        """Doubling from ``retry_base`` up to ``retry_max``, plus a seeded jitter of up to
        ``retry_base``, so that two controllers that clashed over E1 do not clash again
        [AIF 3.3.3]."""
        config = self.config
        base = min(config.retry_base * 2 ** (failures - 1), config.retry_max)
        jitter = Draws(mix(config.seed, next(self._retry_draws))).random() * config.retry_base
        return timedelta(seconds=base + jitter)

    def backfill_started(self, days: int) -> None:
        self.status.backfill_done = 0
        self.status.backfill_total = days

    def backfill_progress(self, done: int, day: date | None) -> None:
        if day is None:  # over, maybe early: the meter holds nothing older (C37)
            done = self.status.backfill_total
            self.status.backfilled_at = self.now
        self.status.backfill_done = done
        self.emit(BackfillProgress(done, self.status.backfill_total, day))

    def spawn(
        self, name: str, priority: Priority, procedure: Procedure, *, measurement: bool = True
    ) -> None:
        if any(task.name == name for task in self._tasks):
            return
        task = _Task(name, priority, procedure, measurement, next(self._seq), self.now)
        self._tasks.append(task)

    def wake(self, name: str) -> None:
        for task in self._tasks:
            if task.name == name and not task.waiting:
                task.ready_at = min(task.ready_at, self.now)

    def emit(self, event: Event) -> None:
        self._events.append(event)

    def count(self, counter: str) -> None:
        self.status.counters[counter] = self.status.counters.get(counter, 0) + 1
        self._events.append(Counted(counter))

    def pair(self, address: Hashable, eoj: Eoj) -> None:
        meter = self.meter
        if meter.paired:
            return
        # Requests go to its ECHONET Lite port (C31); a configured address is kept as given.
        at = meter.address if meter.fixed and meter.address is not None else self._endpoint(address)
        meter.address = at
        meter.eoj = eoj
        self.status.found_at = self.now
        log.info("meter %s found at %s", eoj, address)
        self.emit(MeterPaired(at, eoj))

    def take_values(
        self,
        values: dict[int, bytes],
        source: Source,
        *,
        day: date | None = None,
        evidence: bytes = b"",
    ) -> list[Sample]:
        samples: list[Sample] = []
        plan = self.meter.plan
        for epc, edt in values.items():
            if epc == plan.clock:
                self._learn_clock(edt)
            if not self.meter.clock_known:  # nothing can be dated or checked yet
                if source is Source.NOTIFICATION:
                    self._held.append((epc, edt, evidence))
                continue
            try:
                samples += samples_of(
                    epc,
                    edt,
                    self.meter.scales,
                    read_at=self.meter_now,
                    day=day,
                    class_id=plan.class_id,
                )
            except InvalidValue as exc:
                self.emit(Warned(f"the meter sent an invalid 0x{epc:02X}: {exc}"))
            except LookupError:
                if source is Source.NOTIFICATION:
                    self._held.append((epc, edt, evidence))
        return self._record(self._vetted(samples, source, evidence), source)

    def attributes_read(self) -> None:
        """Scale with the attributes just read, the notified readings held until now too."""
        class_id = self.meter.plan.class_id
        self.meter.scales = MeterScales(self.meter.attributes, class_id)
        self.status.attributes_read = True
        if self.meter.plan.clock is None and not self.meter.clock_known:
            # Nothing of this class is stamped to the second: its readings are checked
            # against our clock, within the skew (C39).
            self.meter.clock_known = True
        self._release_held()

    def decode(self, row: PropertyDef[T], edt: bytes) -> T | None:
        try:
            return row.decode(edt)
        except InvalidValue as exc:
            self.emit(Warned(f"the meter sent an invalid 0x{row.epc:02X}: {exc}"))
            return None

    def fault_status(self, status: FaultStatus) -> None:
        meter = self.meter
        if status is FaultStatus.FAULT and not meter.in_fault:
            meter.in_fault = True
            log.info("the meter reports a fault: measurement requests stop [AIF 3.4.1]")
            self.emit(FaultStarted())
            self.spawn("fault", Priority.FAULT, procedures.watch_fault(self), measurement=False)
        elif status is FaultStatus.NO_FAULT and meter.in_fault:
            meter.in_fault = False
            log.info("the meter recovered from its fault: resuming and backfilling")
            self.emit(FaultEnded())
            self.wake("recovery")

    def suspect_fault(self, answer: Answer) -> None:
        if any(seen is answer for seen in self._in_fault):
            return  # refused while the meter said it was in fault
        if answer.frame is not None:
            self.meter.suspects |= answer.declined()
        self.spawn("fault", Priority.FAULT, procedures.watch_fault(self), measurement=False)

    def refuse(self, epc: int, why: str) -> None:
        meter = self.meter
        if epc in meter.refused:
            return
        meter.refused.add(epc)
        meter.attributes.pop(epc, None)
        self.emit(AttributeAbsent(epc))
        row = meter.plan.table.get(epc)
        kind = "mandatory " if row is not None and row.get is Access.MANDATORY else ""
        self.emit(
            Warned(
                f"the meter refuses {kind}0x{epc:02X} ({why}): recorded absent, asked again "
                "when the attributes are read again"
            )
        )

    def batches(self, epcs: Sequence[int]) -> list[tuple[int, ...]]:
        eoj = self.meter.eoj
        alone = history_epcs(eoj) if eoj is not None else frozenset()
        groups = [(epc,) for epc in epcs if epc in alone]
        rest = [epc for epc in epcs if epc not in alone]
        config = self.config
        size = config.max_opc
        if self.quality.prefers_singles(
            min(len(rest), size), pace=config.pace, timer_1=config.timer_1, timer_2=config.timer_2
        ):
            size = 1
        return groups + [tuple(rest[i : i + size]) for i in range(0, len(rest), size)]

    def from_meter(self, source: Hashable) -> bool:
        """Whether ``source`` is the meter's address (the meter is known)."""
        return self._identify(source) == self._identify(self.meter.address)

    # --- inside ------------------------------------------------------------------------------

    def _release_held(self) -> None:
        """The notified readings held for the scales or the clock, now that both may be known."""
        if not (self.status.attributes_read and self.meter.clock_known):
            return
        held, self._held = self._held, []
        for epc, edt, evidence in held:
            try:
                samples = samples_of(
                    epc,
                    edt,
                    self.meter.scales,
                    read_at=self.meter_now,
                    class_id=self.meter.plan.class_id,
                )
            except InvalidValue as exc:
                self.emit(Warned(f"the meter sent an invalid 0x{epc:02X}: {exc}"))
                continue
            except LookupError:
                self.emit(Warned(f"0x{epc:02X} cannot be scaled: its unit is not known"))
                continue
            vetted = self._vetted(samples, Source.NOTIFICATION, evidence)
            self._record(vetted, Source.NOTIFICATION)

    def _vetted(self, samples: list[Sample], source: Source, evidence: bytes) -> list[Sample]:
        """The samples that pass the checks (hemsnet.controller.vetting); the rest reported."""
        judged = self.vetting.judge(
            samples,
            source,
            meter_now=self.meter_now,
            attributes=self.meter.attributes,
            coverage=self.coverage,
            retained_days=self.meter.retained_days,
        )
        kept = []
        for judgement in judged:
            sample, verdict, reason = judgement.sample, judgement.verdict, judgement.reason
            at = sample.measured_at
            if verdict is Verdict.REJECTED:
                self._count_only("rejected")
                self.emit(ReadingRejected(sample.series, at, reason, evidence))
                continue
            if verdict is Verdict.DISPUTED:
                self._count_only("disputed")
                self.coverage.dispute(sample.series, at)
                self.emit(ReadingDisputed(sample.series, at, reason, evidence))
                self.wake("recovery")  # the meter's history settles it
                continue
            if verdict is Verdict.RESTARTED:
                self.emit(RegisterRestarted(sample.series, at, reason, evidence))
            kept.append(sample)
        return kept

    def _record(self, samples: list[Sample], source: Source) -> list[Sample]:
        settled_before = self.meter_now.replace(second=0, microsecond=0) - HALF_HOUR
        kept = self.coverage.add(samples, settled_before=settled_before)
        if kept:
            latest = [
                s.measured_at for s in kept if s.series.step == HALF_HOUR and s.raw is not None
            ]
            if latest and (
                self.status.last_reading is None or max(latest) > self.status.last_reading
            ):
                self.status.last_reading = max(latest)
            self.emit(Recorded(tuple(kept), source))
        return kept

    def _discard(self, event: FrameDiscarded) -> None:
        """A peer's misbehaviour: counted, reported, never raised."""
        self._count_only(DISCARD_COUNTERS[event.kind])
        self._events.append(event)

    def _count_only(self, counter: str) -> None:
        """Counted in the status; the store counts it from the event that goes with it."""
        self.status.counters[counter] = self.status.counters.get(counter, 0) + 1

    def _on_response(self, frame: Frame, source: Hashable, data: bytes) -> None:
        match = self.lane.match(frame, source)
        if match is Match.ANSWER:
            self.count("refused" if frame.esv.is_sna else "answered")
            self.quality.note(answered=True)
            self._deliver(self.lane.settle(frame, source))
        elif match is Match.LATE:
            self._discard(FrameDiscarded(source, Discard.LATE, f"TID {frame.tid} retired", data))
        else:
            reason = f"{frame.esv.symbol} TID {frame.tid} answers nothing asked"
            self._discard(FrameDiscarded(source, Discard.UNSOLICITED, reason, data))

    def _on_notification(self, frame: Frame, source: Hashable) -> None:
        meter = self.meter
        if frame.seoj.is_node_profile:
            edt = frame.edt_of(0xD5)
            if edt is None:
                return
            try:
                eojs = decode_instance_list(edt).instances
            except ValueError:
                self.emit(Warned(f"an invalid instance list from {source}"))
                return
            # The class the controller knows first: 0x028F before 0x0288 (C38).
            meters = sorted(
                (eoj for eoj in eojs if eoj.class_id in PLANS),
                key=lambda eoj: list(PLANS).index(eoj.class_id),
            )
            if not meters:
                return
            if meter.paired:
                log.info("the meter announced its instance list again: it restarted")
                self.emit(MeterRestarted())
                self.wake("attributes")
            elif not meter.fixed or self.from_meter(source):
                self.pair(source, meters[0])
            return
        if meter.eoj is None or frame.seoj != meter.eoj:
            return
        readings: dict[int, bytes] = {}
        scheduled = meter.plan.scheduled
        for prop in frame.properties:
            if prop.epc == 0x88 and prop.edt:
                status = self.decode(FAULT_STATUS, prop.edt)
                if status is not None:
                    self.fault_status(status)
            elif prop.epc in scheduled and prop.edt:
                readings[prop.epc] = prop.edt
        if readings:
            self.take_values(readings, Source.NOTIFICATION, evidence=encode_frame(frame))

    def _deliver(self, answer: Answer) -> None:
        if self.meter.in_fault and answer.declined():
            self._in_fault.append(answer)
        for task in self._tasks:
            if task.waiting:
                task.waiting = False
                task.answer = answer
                task.ready_at = self.now
                return

    def _eligible(self, task: _Task) -> bool:
        return not task.waiting and not (task.measurement and self.meter.in_fault)

    def _pump(self) -> list[Send]:
        """Run tasks until one has a request in flight, none is ready or the pace holds the
        next one back."""
        sends: list[Send] = []
        while not self.lane.busy:
            ready = [t for t in self._tasks if self._eligible(t) and t.ready_at <= self.now]
            if not ready:
                break
            task = self._next(ready)
            step: Step | None = task.held
            if step is None:
                answer, task.answer = task.answer, None
                try:
                    step = task.procedure.send(answer)
                except StopIteration:
                    self._tasks.remove(task)
                    continue
            if isinstance(step, Sleep):
                task.ready_at = step.until
                continue
            allowed = self.pacer.ready_at(self.now)
            if allowed > self.now:  # it goes when the pace allows (C32)
                task.held, task.ready_at = step, allowed
                continue
            task.held = None
            sends.append(self._send(task, step))
        return sends

    def _next(self, ready: list[_Task]) -> _Task:
        """The ready task of highest priority; the live plan and the history take turns when
        both are ready, so that neither starves the other on a lossy link (C34)."""
        task = min(ready, key=lambda t: (t.priority, t.ready_at, t.seq))
        if task.priority.takes_turns and task.priority is self._turn:
            others = [t for t in ready if t.priority.takes_turns and t.priority is not self._turn]
            if others:
                task = min(others, key=lambda t: (t.ready_at, t.seq))
        return task

    def _send(self, task: _Task, step: Request) -> Send:
        task.waiting = True
        if task.priority.takes_turns:
            self._turn = task.priority
        to = None if step.multicast else self.meter.address
        data = self.lane.send(step, to, self.now)
        self.pacer.take(self.now)
        self.rate.note(self.now)
        self.status.per_hour = self.rate.per_hour(self.now)
        self.count("sent")
        log.info("%s: %s", task.name, _describe(step))
        return Send(data, to)

    def _learn_clock(self, edt: bytes) -> None:
        """The meter's clock from the time of its clock reading (0xE2 of 0x028F): learnt at once
        the first time; a later step beyond the skew is believed when the next reading agrees
        (decision C49)."""
        try:
            at = CUMULATIVE_ENERGY.decode(edt).at
        except InvalidValue:
            return  # reported where the reading is taken
        meter = self.meter
        offset = at - self.now.replace(microsecond=0)
        if not meter.clock_known:
            meter.offset, meter.clock_known = offset, True
            log.info("the meter's clock is %+.0f s from ours", offset.total_seconds())
            self._release_held()
            return
        if abs(offset - meter.offset) <= _OFFSET_TOLERANCE:
            meter.step = None
        elif abs(offset - meter.offset) <= CLOCK_SKEW:
            meter.offset, meter.step = offset, None
        elif meter.step is not None and abs(offset - meter.step) <= _OFFSET_TOLERANCE:
            shift = (offset - meter.offset).total_seconds()
            meter.offset, meter.step = offset, None
            self.emit(Warned(f"the meter's clock stepped by {shift:+.0f} s (seen twice)"))
        else:
            meter.step = offset


def _describe(request: Request) -> str:
    epcs = " ".join(f"{epc:02X}" for epc in request.epcs)
    target = "multicast " if request.multicast else ""
    return f"{request.esv.symbol} {target}{request.deoj} {epcs}"
