"""The checks of a controller: the tester is a meter (hemsnet's emulator) that watches it.

:class:`ControllerWatch` keeps the engine contract around a
:class:`~hemsnet.meter.engine.MeterEngine`: every datagram of the controller reaches the meter
and is judged on its way; the meter's answers leave :data:`ANSWER_DELAY` later, as a meter
over the air answers, so that a controller that asks again before its answer came is seen doing
so (T6). To see what a controller does when things go wrong, the watch provokes it once each
(T7): it leaves one single-property request and one history request unanswered (the waits of
at least 40 s and 180 s [AIF 2.4.2], a fresh TID for what follows [AIF 2.4.3]), serves one
history under another day than the one set (the day check [AIF 3.3.3]), and the meter's fault
plan puts it in fault for a while (the reaction to 0x88 [AIF 3.4.1]). Throughout it checks one
request at a time [AIF 2.4.1], the OPC [AIF 2.4.4], history EPCs alone [AIF 2.4.4], SetC values
in range [AIF 2.4.5] and that it asks nothing but the meter [AIF 2.1, G.9958 I.2].
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

from hemsnet.conformance.report import Clause, ClauseVerdict, Evidence, Outcome, Report
from hemsnet.devices.model import Access
from hemsnet.echonet.engine import FrameDiscarded
from hemsnet.echonet.esv import Esv
from hemsnet.echonet.frame import Frame, decode_frame, encode_frame
from hemsnet.echonet.send import Send
from hemsnet.echonet.timers import TIMER_1_MIN, TIMER_2_MIN, needs_timer_2
from hemsnet.errors import FrameError, InvalidValue
from hemsnet.meter.engine import MeterEngine

__all__ = ["ANSWER_DELAY", "ControllerWatch", "WatchDone", "WatchOptions"]

#: How long the watched meter takes to answer: a Wi-SUN meter takes about this much (T6).
ANSWER_DELAY: Final = timedelta(seconds=1)
_TID_MEMORY: Final = 4096  # TIDs remembered for reuse; a fresh one per attempt [AIF 2.4.3]
_OPC_MAX: Final = 12  # what a meter must accept [AIF 2.4.4] (T8)
_RESUME_WITHIN: Final = timedelta(minutes=10)
_MAX_EVIDENCE: Final = 6


def _clause(cid: str, title: str, ref: str, *, mandatory: bool = True) -> Clause:
    return Clause(cid, title, ref, mandatory)


ONE = _clause("one-outstanding", "no request while another is outstanding", "[AIF 2.4.1]")
WAIT_1 = _clause(
    "timer-1", "an unanswered single-property request waited at least 40 s", "[AIF 2.4.2]"
)
WAIT_2 = _clause("timer-2", "an unanswered history request waited at least 180 s", "[AIF 2.4.2]")
TID = _clause("fresh-tid", "no TID reused, a retry under a new one", "[AIF 2.4.3]")
OPC = _clause("opc", "requests carry 1 to 12 properties", "[AIF 2.4.4]")
ALONE = _clause("history-alone", "a history EPC alone in its request", "[AIF 2.4.4]")
RANGE = _clause("setc-in-range", "SetC only of settable EPCs, values in range", "[AIF 2.4.5]")
DAY = _clause(
    "day-check", "a history of another day than the one set is not trusted", "[AIF 3.3.3]"
)
PAUSE = _clause(
    "fault-pause", "no measurement request while the meter is in fault", "[AIF 3.4.1]",
    mandatory=False,
)  # fmt: skip
RESUME = _clause("fault-resume", "measurements asked again after the fault", "[AIF 3.4.1]")
ONLY = _clause(
    "route-b-only", "asks the meter's objects only, nothing else", "[AIF 2.1, G.9958 I.2]"
)
ATTRS = _clause(
    "attributes", "reads 0x82, 0x9D, 0x9E, 0x9F before measurements", "[AIF 3.1.3]",
    mandatory=False,
)  # fmt: skip

CLAUSES: Final = (ONE, WAIT_1, WAIT_2, TID, OPC, ALONE, RANGE, DAY, PAUSE, RESUME, ONLY, ATTRS)
_ATTRIBUTE_MAPS: Final = frozenset({0x82, 0x9D, 0x9E, 0x9F})
# A controller may search every class of meter Route B serves before it knows which it has.
_METER_CLASSES: Final = frozenset({0x028F, 0x028A, 0x0288})


@dataclass(frozen=True, slots=True)
class WatchOptions:
    timer_1: float = TIMER_1_MIN
    timer_2: float = TIMER_2_MIN
    provoke_after: int = 8  # requests answered before the first provocation


@dataclass(frozen=True, slots=True)
class WatchDone:
    """The watch reached its end time: the report is complete."""

    at: datetime


@dataclass(slots=True)
class _Seen:
    at: datetime
    data: bytes
    frame: Frame

    @property
    def evidence(self) -> Evidence:
        return Evidence(self.at, False, self.data)


@dataclass(slots=True)
class _Findings:
    """Violations per clause, with their frames; and what was observed at all."""

    problems: dict[str, list[tuple[str, tuple[Evidence, ...]]]] = field(default_factory=dict)
    observed: dict[str, str] = field(default_factory=dict)

    def bad(self, clause: Clause, detail: str, *evidence: Evidence) -> None:
        self.problems.setdefault(clause.id, []).append((detail, evidence))

    def good(self, clause: Clause, detail: str) -> None:
        self.observed.setdefault(clause.id, detail)


class ControllerWatch:
    """A meter that judges the controller talking to it, until ``end``."""

    def __init__(
        self,
        meter: MeterEngine,
        *,
        now: datetime,
        end: datetime,
        options: WatchOptions | None = None,
        subject: str = "controller",
        identify: Callable[[Hashable], Hashable] = lambda source: source,
    ) -> None:
        self.meter = meter
        self.options = options or WatchOptions()
        self.end = end
        self.report = Report(subject, started=now)
        self._table = meter.objects.meter.table
        self._eoj = meter.eoj
        self._day_selector = 0xE1 if self._eoj.class_id == 0x028F else 0xE5
        self._f = _Findings()
        self._controller: Hashable | None = None  # its identity: its source port may vary
        self._identify = identify
        self._answer_leaves: datetime | None = None  # the last answer's departure
        self._silenced: tuple[_Seen, float] | None = None  # a request left unanswered, its timer
        self._silenced_1 = False
        self._silenced_2 = False
        self._answered = 0
        self._tids: deque[int] = deque(maxlen=_TID_MEMORY)
        self._selected_day: int | None = None
        self._wrong_day: tuple[int, Evidence] | None = None  # the day served wrong, its frame
        self._day_asked_again = False
        self._attributes_read: set[int] = set()
        self._measured = False
        self._fault_at: datetime | None = None
        self._fault_over_at: datetime | None = None
        self._fault_over: Evidence | None = None  # the meter's INF 0x88 = 0x42
        self._resumed = False
        self._events: list[FrameDiscarded | WatchDone] = []
        self._done = False
        self._now = now
        self.failure: str | None = None  # the watch's own error: the report is incomplete

    @property
    def done(self) -> bool:
        return self._done

    # --- the engine contract -------------------------------------------------------------

    def announce(self, now: datetime) -> list[Send]:
        self._now = now
        return self._from_meter(self.meter.announce(now), now)

    def receive(self, data: bytes, source: Hashable, now: datetime) -> list[Send]:
        self._now = now
        frame = _decode(data)
        if frame is not None and frame.esv.is_request:
            who = self._identify(source)
            if self._controller is None:
                self._controller = who
            if who == self._controller:
                seen = _Seen(now, bytes(data), frame)
                try:
                    answer = self._judge_request(seen)
                except Exception as exc:  # a bug of the watch's: the meter serves on regardless
                    self.failure = self.failure or f"{type(exc).__name__}: {exc}"
                    answer = True
                if not answer:
                    return []  # left unanswered on purpose
                sends = self._from_meter(self.meter.receive(data, source, now), now)
                return self._answers(sends, frame, now)
        return self._from_meter(self.meter.receive(data, source, now), now)

    def advance(self, now: datetime) -> list[Send]:
        self._now = now
        sends = self._from_meter(self.meter.advance(now), now)
        if now >= self.end and not self._done:
            self._done = True
            self._events.append(WatchDone(now))
        return sends

    def next_wakeup(self) -> datetime:
        wake = self.meter.next_wakeup()
        return wake if self._done else min(wake, self.end)

    def take_events(self) -> Sequence[FrameDiscarded | WatchDone]:
        events: list[FrameDiscarded | WatchDone] = [
            e for e in self.meter.take_events() if isinstance(e, FrameDiscarded)
        ]
        events += self._events
        self._events = []
        return events

    # --- judging a request -----------------------------------------------------------------

    def _judge_request(self, seen: _Seen) -> bool:
        """Judge one request; whether the meter answers it."""
        frame, now = seen.frame, seen.at
        self._judge_outstanding(seen)
        self._judge_tid(seen)
        self._judge_form(seen)
        self._judge_day(seen)
        self._judge_fault(seen)
        epcs = [p.epc for p in frame.properties]
        if frame.deoj.class_id == self._eoj.class_id:
            self._attributes_read |= set(epcs) & _ATTRIBUTE_MAPS
            if any(self._is_measurement(e) for e in epcs) and not self._measured:
                self._measured = True
                missing = _ATTRIBUTE_MAPS - self._attributes_read
                if missing:
                    detail = "measurements before " + " ".join(
                        f"0x{e:02X}" for e in sorted(missing)
                    )
                    self._f.bad(ATTRS, detail, seen.evidence)
                else:
                    self._f.good(ATTRS, "0x82 0x9D 0x9E 0x9F first")
        if self._provoke(seen):
            wait = self._timer_of(frame)
            self._silenced = (seen, wait)
            self._answer_leaves = None
            return False
        self._answered += 1
        self._answer_leaves = now + ANSWER_DELAY
        return True

    def _timer_of(self, frame: Frame) -> float:
        epcs = [p.epc for p in frame.properties]
        timer_2 = needs_timer_2(epcs, self._table.history_epcs)
        return self.options.timer_2 if timer_2 else self.options.timer_1

    def _provoke(self, seen: _Seen) -> bool:
        """Leave this request unanswered? Once a single-property one, once a history one (T7)."""
        if self._answered < self.options.provoke_after or self._silenced is not None:
            return False
        frame = seen.frame
        if frame.esv is not Esv.GET or frame.deoj.class_id != self._eoj.class_id:
            return False
        history = any(p.epc in self._table.history_epcs for p in frame.properties)
        if history and not self._silenced_2:
            self._silenced_2 = True
            return True
        if not history and len(frame.properties) == 1 and not self._silenced_1:
            self._silenced_1 = True
            return True
        return False

    def _judge_outstanding(self, seen: _Seen) -> None:
        if self._silenced is not None:
            quiet, wait = self._silenced
            clause = WAIT_2 if wait >= self.options.timer_2 else WAIT_1
            waited = (seen.at - quiet.at).total_seconds()
            if waited < wait:
                detail = f"asked again {waited:.1f} s after an unanswered request, not {wait:g} s"
                self._f.bad(clause, detail, Evidence(quiet.at, False, quiet.data), seen.evidence)
                self._f.bad(ONE, detail, Evidence(quiet.at, False, quiet.data), seen.evidence)
            else:
                self._f.good(clause, f"waited {waited:.1f} s")
            if seen.frame.tid == quiet.frame.tid:
                self._f.bad(TID, "the unanswered request's TID again", seen.evidence)
            else:
                self._f.good(TID, "a fresh TID after the timer")
            self._silenced = None
            return
        leaves = self._answer_leaves
        if leaves is not None and seen.at < leaves:
            detail = f"a request {(leaves - seen.at).total_seconds():.3f} s before the answer left"
            self._f.bad(ONE, detail, seen.evidence)

    def _judge_tid(self, seen: _Seen) -> None:
        tid = seen.frame.tid
        if tid in self._tids:
            self._f.bad(TID, f"TID 0x{tid:04X} used before", seen.evidence)
        self._tids.append(tid)

    def _judge_form(self, seen: _Seen) -> None:
        frame = seen.frame
        props = frame.properties + frame.get_properties
        if not 1 <= len(props) <= _OPC_MAX:
            self._f.bad(OPC, f"OPC {len(props)}", seen.evidence)
        else:
            self._f.good(OPC, "every request")
        history = [p.epc for p in props if p.epc in self._table.history_epcs]
        if history and len(props) > 1:
            detail = f"0x{history[0]:02X} with {len(props) - 1} other properties"
            self._f.bad(ALONE, detail, seen.evidence)
        elif history:
            self._f.good(ALONE, "every history request")
        if not self._ours(frame):
            self._f.bad(ONLY, f"{frame.esv.symbol} to {frame.deoj}", seen.evidence)
        if frame.esv in (Esv.SETC, Esv.SETI) and frame.deoj.class_id == self._eoj.class_id:
            for prop in frame.properties:
                problem = self._set_problem(prop.epc, prop.edt)
                if problem is not None:
                    self._f.bad(RANGE, problem, seen.evidence)
                else:
                    self._f.good(RANGE, "every SetC")

    def _ours(self, frame: Frame) -> bool:
        """The meter's objects, and a search of any Route B meter class (T9)."""
        deoj = frame.deoj
        if deoj.is_node_profile:
            return True
        if deoj.instance == 0x00 and deoj.class_id in _METER_CLASSES:
            return True
        return deoj.class_id == self._eoj.class_id and deoj.instance in (0x00, 0x01)

    def _set_problem(self, epc: int, edt: bytes) -> str | None:
        row = self._table.get(epc)
        if row is None or not row.set.allowed:
            return f"SetC of 0x{epc:02X}, which allows no Set"
        try:
            row.validate_set(edt)
        except InvalidValue as exc:
            return f"SetC 0x{epc:02X} out of range: {exc.reason}"
        return None

    def _is_measurement(self, epc: int) -> bool:
        row = self._table.get(epc)
        return row is not None and row.quantity is not None

    # --- the day check ---------------------------------------------------------------------

    def _judge_day(self, seen: _Seen) -> None:
        frame = seen.frame
        if frame.esv is not Esv.SETC or frame.deoj.class_id != self._eoj.class_id:
            return
        edt = frame.edt_of(self._day_selector)
        if edt is None or len(edt) != 1:
            return
        if self._wrong_day is not None and edt[0] == self._wrong_day[0]:
            self._day_asked_again = True
        self._selected_day = edt[0]

    def _answers(self, sends: list[Send], request: Frame, now: datetime) -> list[Send]:
        out = []
        for send in sends:
            data = send.data
            frame = _decode(data)
            if frame is not None and frame.tid == request.tid:
                data = self._serve_wrong_day(frame, data, now)
            at = max(send.at or now, now + ANSWER_DELAY)
            out.append(Send(data, send.to, at))
        return out

    def _serve_wrong_day(self, frame: Frame, data: bytes, now: datetime) -> bytes:
        """Once: a day's history served as another day's (T7)."""
        day = self._selected_day
        if self._wrong_day is not None or day is None or frame.esv is not Esv.GET_RES:
            return data
        if len(frame.properties) != 1 or frame.properties[0].epc not in self._day_histories:
            return data
        prop = frame.properties[0]
        other = (day + 1) % 100
        changed = frame._replace(
            properties=(prop._replace(edt=other.to_bytes(2, "big") + prop.edt[2:]),)
        )
        out = encode_frame(changed)
        self._wrong_day = (day, Evidence(now + ANSWER_DELAY, True, out))
        return out

    @property
    def _day_histories(self) -> frozenset[int]:
        return frozenset(
            row.epc
            for row in self._table
            if row.history and row.min_size == 194 and row.get is not Access.NOT_SUPPORTED
        )

    # --- the fault -------------------------------------------------------------------------

    def _from_meter(self, sends: list[Send], now: datetime) -> list[Send]:
        for send in sends:
            frame = _decode(send.data)
            if frame is None or frame.esv is not Esv.INF:
                continue
            status = frame.edt_of(0x88)
            if status == b"\x41":
                self._fault_at, self._fault_over_at = now, None
            elif status == b"\x42" and self._fault_at is not None:
                self._fault_over_at = now
                self._fault_over = Evidence(send.at or now, True, send.data)
        return sends

    def _judge_fault(self, seen: _Seen) -> None:
        measuring = any(self._is_measurement(p.epc) for p in seen.frame.properties)
        if not measuring or self._fault_at is None:
            return
        if self._fault_over_at is None:
            self._f.bad(PAUSE, "a measurement asked during the fault", seen.evidence)
        elif seen.at - self._fault_over_at <= _RESUME_WITHIN:
            self._resumed = True

    # --- the report ------------------------------------------------------------------------

    def finish(self, now: datetime) -> Report:
        """Judge every clause; the report."""
        report = self.report
        report.ended = now
        report.outcomes.clear()
        f = self._f
        if self._fault_at is not None:
            f.good(PAUSE, "no measurement during the fault")
            if self._fault_over_at is not None and self._resumed:
                f.good(RESUME, "measurements again after 0x88 = 0x42")
            elif self._fault_over is not None:
                detail = f"no measurement within {_RESUME_WITHIN} after the fault"
                f.bad(RESUME, detail, self._fault_over)
        if self._wrong_day is not None:
            day, served = self._wrong_day
            if self._day_asked_again:
                f.good(DAY, f"day {day} asked again after a history of another day")
            else:
                f.bad(DAY, f"day {day} never asked again: the history was trusted", served)
        if self._controller is not None:
            f.good(ONE, "every request")
            f.good(TID, "every request")
            f.good(ONLY, "the meter's objects only")
        for clause in (
            ONE,
            WAIT_1,
            WAIT_2,
            TID,
            OPC,
            ALONE,
            RANGE,
            DAY,
            PAUSE,
            RESUME,
            ONLY,
            ATTRS,
        ):
            report.add(self._outcome(clause))
        report.complete = self._done and self.failure is None
        report.error = self.failure
        return report

    def _outcome(self, clause: Clause) -> Outcome:
        problems = self._f.problems.get(clause.id)
        if problems:
            detail = "; ".join(d for d, _ in problems[:_MAX_EVIDENCE])
            evidence = tuple(e for _, ev in problems[:_MAX_EVIDENCE] for e in ev)
            return Outcome(clause, ClauseVerdict.FAIL, f"{len(problems)}: {detail}", evidence)
        observed = self._f.observed.get(clause.id)
        if observed is None:
            return Outcome(clause, ClauseVerdict.SKIP, "not observed in the watch")
        return Outcome(clause, ClauseVerdict.PASS, observed)


def _decode(data: bytes) -> Frame | None:
    try:
        frame = decode_frame(bytes(data))
    except FrameError:
        return None
    return frame if isinstance(frame, Frame) else None
