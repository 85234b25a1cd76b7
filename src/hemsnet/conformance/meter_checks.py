"""The checks of a meter, clause by clause, as the tester (a controller) runs them.

:class:`MeterChecks` is a script for :class:`~hemsnet.conformance.exchange.ScriptEngine`: it asks
the meter what the interface specification says it must answer and judges each answer. The
order: the start-up announcement [AIF 3.1.1], the search [AIF 3.1.2], the node profile
[AIF 2.3], the attributes and property maps [AIF 3.1.3], every property of the class with its
size, type and range [AIF Tables 2-3, 2-4], the access rules [AIF 2.4.5], OPC 12 and the history
exception [AIF 2.4.4], the day and minute selections [AIF 3.3.3, 3.3.5], the fault property
[AIF 3.4.1], unsupported and malformed requests [EL §4], the scheduled notification [AIF 3.2.1],
and last the request to an absent object, whose right answer is silence. Two clauses judge every
exchange: the form of the answers [EL §4.1, AIF 2.4.4] and their time [AIF 2.4.2].

A meter of class 0x0288 is checked by the same clauses over its own EPCs (the controller's
:class:`~hemsnet.controller.plan.MeterPlan`): E5 selects its day, EF its minutes, EA/EB are
notified (T2).
"""

from __future__ import annotations

from collections.abc import Generator, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from hemsnet.conformance.exchange import (
    Ask,
    AskResult,
    AwaitDevice,
    Heard,
    RawDatagram,
    Script,
    Session,
    Step,
)
from hemsnet.conformance.report import Clause, ClauseVerdict, Evidence, Outcome, Report
from hemsnet.controller.plan import PLANS, MeterPlan
from hemsnet.devices.model import Access, PropertyDef
from hemsnet.devices.node_profile import NODE_PROFILE as NODE_PROFILE_TABLE
from hemsnet.devices.values import HalfHourHistory, HistorySelector, SegmentHistory, StandardVersion
from hemsnet.echonet.eoj import CONTROLLER, NODE_PROFILE, Eoj
from hemsnet.echonet.esv import Esv
from hemsnet.echonet.frame import Frame, Property
from hemsnet.echonet.timers import TIMER_1_MIN, TIMER_2_MIN, needs_timer_2
from hemsnet.errors import InvalidValue

__all__ = ["MeterCheckOptions", "MeterChecks"]

_OLDEST_RELEASE: Final = "R"  # [AIF 3.1.3]
_NOTIFY_WITHIN: Final = timedelta(minutes=5)  # [AIF 3.2.1]
# The meter's clock (0x97) reads whole minutes and is read just after the notification: one
# minute more than the spec's five before a notification counts as late (T4).
_CLOCK_TOLERANCE: Final = timedelta(minutes=1)
_HALF_HOUR: Final = timedelta(minutes=30)
# How long past the 5 minutes the tester still waits, so that a late notification is reported
# as late, with its frame, rather than as missing (T4).
_LATE_MARGIN: Final = timedelta(minutes=10)
_OPC_METER: Final = 12  # [AIF 2.4.4]
_DAY_OUT_OF_RANGE: Final = 100  # 0xE1/0xE5 range 0..99 [MRA 0x028F, 0x0288]
_SELECTED_DAY: Final = 1
_DAY_OLDEST: Final = 99  # the selector's last day [MRA]: beyond most meters' retention
_MINUTES_BACK: Final = timedelta(minutes=15)
_MAX_EVIDENCE: Final = 6  # exchanges kept as evidence of an aggregated clause
_NO_CLOCK: Final = "the meter's clock (0x97, 0x98) unreadable"

# Malformed datagrams and the reason each is malformed [EL §3.2]: none may be answered, and
# the meter must answer the next valid request as before.
_MALFORMED: Final = (
    (bytes.fromhex("1081"), "a bare header"),
    (bytes.fromhex("2081000105FF01028F0162018000"), "EHD1 0x20"),
    (bytes.fromhex("1081000205FF01028F0162028000"), "OPC 2 with one property"),
    (bytes.fromhex("1081000305FF01028F016F018000"), "the reserved ESV 0x6F"),
    (bytes.fromhex("1081000405FF01028F0162018005"), "PDC 5 past the end"),
)


@dataclass(frozen=True, slots=True)
class MeterCheckOptions:
    """How the run goes; the defaults keep the spec's timers [AIF Table 2-5]."""

    class_id: int = 0x028F
    wait_startup: float = 0.0  # s to wait first for the start-up 0xD5 (power the meter on)
    notification: bool = True  # wait for the next scheduled notification [AIF 3.2.1]
    silence_wait: float = TIMER_1_MIN  # s to wait on the request no meter should answer (T5)
    timer_1: float = TIMER_1_MIN
    timer_2: float = TIMER_2_MIN


def _clause(cid: str, title: str, ref: str, *, mandatory: bool = True) -> Clause:
    return Clause(cid, title, ref, mandatory)


STARTUP = _clause("startup-announcement", "INF 0xD5 at start-up lists the meter", "[AIF 3.1.1]")
INSTANCES = _clause(
    "instance-list",
    "0xD6 lists the meter as instance 0x01, 0x028F before 0x028A",
    "[AIF 2.1, 3.1.1]",
)
SEARCH = _clause("search", "a Get 0x80 to instance 0x00 is answered", "[AIF 3.1.2]")
NODE = _clause(
    "node-profile", "the node profile's mandatory properties, and only them", "[AIF 2.3]"
)
RELEASE = _clause("release", "0x82: Appendix Release R or later", "[AIF 3.1.3]")
GET_MAP = _clause("get-map", "0x9F lists every mandatory Get EPC", "[AIF 2.3, 3.1.3]")
SET_MAP = _clause(
    "set-map", "0x9E lists the mandatory Set EPCs and no EPC Set is not allowed for", "[AIF 2.3]"
)
ANNO_MAP = _clause("anno-map", "0x9D lists the mandatory announcements", "[AIF 2.3]")
OPC_12 = _clause("opc-12", "a Get of 12 properties answered whole, in order", "[AIF 2.4.4]")
HISTORY_MIXED = _clause(
    "history-mixed",
    "a history EPC with another: answered whole in order, or refused",
    "[AIF 2.4.4]",
)
DAY = _clause("day-selection", "SetC of the day selector, then each day's history", "[AIF 3.3.3]")
DAY_VOID = _clause("day-void", "today's half-hours still to come are void", "[AIF 3.3.3]")
DAY_RANGE = _clause("day-out-of-range", "SetC of day 100 refused with SetC_SNA", "[AIF 2.4.5]")
DAY_OLDEST = _clause("day-oldest", "day 99: SetC_SNA, or that day served", "[AIF 3.3.3, 2.4.5]")
MINUTE = _clause("minute-selection", "SetC of the minute selector, then its history", "[AIF 3.3.5]")
MINUTE_FUTURE = _clause(
    "minute-future", "minutes still to come: SetC_SNA or void segments", "[AIF 3.3.5, 2.4.5]"
)
MINUTE_INVALID = _clause("minute-invalid", "SetC of month 13 refused with SetC_SNA", "[AIF 2.4.5]")
FAULT = _clause("fault-status", "0x88 readable, 0x41/0x42, and announced", "[AIF 3.4.1]")
UNKNOWN = _clause(
    "unknown-epc", "Get and SetC of an EPC the class lacks: SNA, the EPC echoed", "[EL §4.2]"
)
MALFORMED = _clause(
    "malformed", "malformed datagrams unanswered, the next request answered", "[EL §3.2]"
)
NOTIFY = _clause(
    "scheduled-notification", "INF of the fixed-time values within 5 min of :00/:30", "[AIF 3.2.1]"
)
ABSENT = _clause("absent-object", "a request to an absent instance is not answered", "[EL §4.3]")
FORM = _clause(
    "response-form",
    "answers: the TID, the objects swapped, the ESV paired, the EPCs in request order",
    "[EL §4.1, AIF 2.4.4]",
)
TIMER = _clause(
    "response-time", "every request answered before the controller's timer", "[AIF 2.4.2]"
)

_PAIRS: Final = {Esv.GET: (Esv.GET_RES, Esv.GET_SNA), Esv.SETC: (Esv.SET_RES, Esv.SETC_SNA)}


def _table_ref(class_id: int, epc: int) -> str:
    if epc < 0xA0:
        return "[AIF Table 2-3]"
    # The low-voltage meter's rows are the MRA's (T2).
    return "[AIF Table 2-4]" if class_id == 0x028F else f"[MRA 0x{class_id:04X}]"


def property_clause(class_id: int, row: PropertyDef[Any], *, mandatory: bool) -> Clause:
    ref = _table_ref(class_id, row.epc)
    return _clause(f"property-0x{row.epc:02X}", f"Get {row.name}", ref, mandatory=mandatory)


def access_clause(class_id: int, row: PropertyDef[Any]) -> Clause:
    ref = _table_ref(class_id, row.epc)[:-1] + ", AIF 2.4.5]"
    return _clause(f"set-refused-0x{row.epc:02X}", f"SetC of {row.name} refused", ref)


class MeterChecks:
    """One run over one meter; :meth:`script` is what the engine runs, :attr:`report` the result."""

    def __init__(self, options: MeterCheckOptions, report: Report) -> None:
        plan = PLANS.get(options.class_id)
        if plan is None:
            raise ValueError(f"no meter class 0x{options.class_id:04X} (0x028F or 0x0288)")
        self.options = options
        self.plan: MeterPlan = plan
        self.table = plan.table
        self.eoj = Eoj.of(options.class_id, 0x01)  # the instance code is fixed at 0x01 [AIF 2.1]
        self.report = report
        self.values: dict[int, bytes] = {}
        self.get_map: frozenset[int] = frozenset()
        self._form: list[tuple[str, AskResult]] = []
        self._late: list[AskResult] = []
        self._session: Session | None = None
        self._clock_evidence: tuple[Evidence, ...] = ()  # the last read of the meter's clock
        if not options.notification:
            report.skipped_by_user |= {NOTIFY.id}

    # --- the script ----------------------------------------------------------------------

    def script(self, session: Session) -> Script:
        self._session = session
        yield from self._startup_wait()
        yield from self._search()
        yield from self._node_profile()
        yield from self._attributes()
        yield from self._properties()
        yield from self._access()
        yield from self._opc()
        yield from self._day()
        yield from self._minute()
        yield from self._fault()
        yield from self._unknown()
        yield from self._malformed()
        yield from self._notification()
        yield from self._absent()
        self._startup_judge()
        self._aggregate()

    # --- helpers -------------------------------------------------------------------------

    @property
    def now(self) -> datetime:
        assert self._session is not None
        return self._session.now

    def _add(
        self, clause: Clause, verdict: ClauseVerdict, detail: str, evidence: Iterable[Evidence] = ()
    ) -> None:
        self.report.add(Outcome(clause, verdict, detail, tuple(evidence)))

    def _wait(self, epcs: Iterable[int]) -> float:
        epcs = list(epcs)
        timer_2 = needs_timer_2(epcs, self.table.history_epcs)
        return self.options.timer_2 if timer_2 else self.options.timer_1

    def _ask(
        self,
        esv: Esv,
        props: Iterable[Property],
        *,
        to: Eoj | None = None,
        multicast: bool = False,
    ) -> Generator[Step, Any, AskResult]:
        """Ask, and judge the answer's form and time."""
        props = tuple(props)
        frame = Frame(0, CONTROLLER, to or self.eoj, esv, props)
        reply = yield Ask(frame, self._wait(p.epc for p in props), multicast)
        assert isinstance(reply, AskResult)
        self._judge_form(reply)
        return reply

    def _get(self, *epcs: int, to: Eoj | None = None) -> Generator[Step, Any, AskResult]:
        return (yield from self._ask(Esv.GET, (Property(e) for e in epcs), to=to))

    def _setc(self, epc: int, edt: bytes) -> Generator[Step, Any, AskResult]:
        return (yield from self._ask(Esv.SETC, (Property(epc, edt),)))

    def _judge_form(self, reply: AskResult) -> None:
        junk = [h for h in reply.stray if h.frame is None]
        if junk:  # a meter sends ECHONET Lite frames, nothing else [EL §3.2]
            self._form.append((f"{len(junk)} undecodable datagrams", reply))
        answer = reply.frame
        if answer is None:
            self._late.append(reply)
            return
        sent = reply.sent
        problem = _form_problem(sent, answer)
        if problem is not None:
            self._form.append((problem, reply))

    def _edt(self, reply: AskResult, epc: int) -> bytes | None:
        """The EDT of ``epc`` in a Get_Res, or None when it was not given."""
        frame = reply.frame
        if frame is None or frame.esv is not Esv.GET_RES:
            return None
        edt = frame.edt_of(epc)
        return edt if edt else None

    def _meter_time(self) -> Generator[Step, Any, datetime | None]:
        """The meter's clock: 0x98 and 0x97, to the minute [AIF Table 2-3]."""
        reply = yield from self._get(0x98, 0x97)
        self._clock_evidence = reply.evidence
        date_edt, time_edt = self._edt(reply, 0x98), self._edt(reply, 0x97)
        if date_edt is None or time_edt is None:
            return None
        try:
            day = self.table[0x98].decode(date_edt)
            clock = self.table[0x97].decode(time_edt)
        except InvalidValue:
            return None
        return datetime.combine(day, clock)

    # --- start-up, search, node profile ---------------------------------------------------

    def _startup_wait(self) -> Generator[Step, Any, None]:
        if self._announcement() is None and self.options.wait_startup > 0:
            yield AwaitDevice(self.options.wait_startup, until=_is_announcement)

    def _startup_judge(self) -> None:
        """Judged at the end: an announcement heard at any time of the run counts."""
        seen = self._announcement()
        if seen is None:
            if self.options.wait_startup <= 0:
                self.report.skipped_by_user |= {STARTUP.id}
                detail = "not observed: the meter was running (--wait-startup to observe it)"
            else:
                detail = f"no INF 0xD5 within {self.options.wait_startup:g} s"
            verdict = ClauseVerdict.SKIP if self.options.wait_startup <= 0 else ClauseVerdict.FAIL
            self._add(STARTUP, verdict, detail)
            return
        frame = seen.frame
        assert frame is not None
        problem = self._instance_list_problem(frame.edt_of(0xD5) or b"", NODE_PROFILE_TABLE[0xD5])
        verdict = ClauseVerdict.PASS if problem is None else ClauseVerdict.FAIL
        self._add(STARTUP, verdict, problem or "INF 0xD5 lists the meter", [seen.evidence])

    def _announcement(self) -> Heard | None:
        assert self._session is not None
        return next((h for h in self._session.heard if _is_announcement(h)), None)

    def _instance_list_problem(self, edt: bytes, row: PropertyDef[Any]) -> str | None:
        try:
            listed = row.decode(edt)
        except InvalidValue as exc:
            return f"invalid: {exc.reason}"
        eojs = list(listed.instances)
        if self.eoj not in eojs:
            return f"{self.eoj} not listed (listed: {' '.join(map(str, eojs)) or 'nothing'})"
        companion = Eoj.of(0x028A, 0x01)
        if companion in eojs and eojs.index(companion) < eojs.index(self.eoj):
            return "0x028A listed before 0x028F"
        return None

    def _search(self) -> Generator[Step, Any, None]:
        """By multicast, as a controller searches [AIF 3.1.2]; only the device's answer counts."""
        search = self.eoj.with_instance(0x00)
        reply = yield from self._ask(Esv.GET, (Property(0x80),), to=search, multicast=True)
        frame = reply.frame
        if frame is None:
            self._add(SEARCH, ClauseVerdict.FAIL, "no answer", reply.evidence)
        elif frame.esv is not Esv.GET_RES or frame.seoj != self.eoj:
            self._add(
                SEARCH, ClauseVerdict.FAIL, f"{frame.esv.symbol} from {frame.seoj}", reply.evidence
            )
        else:
            self._add(SEARCH, ClauseVerdict.PASS, f"Get_Res from {frame.seoj}")

    def _node_profile(self) -> Generator[Step, Any, None]:
        problems: list[str] = []
        evidence: list[Evidence] = []
        mandatory = sorted(NODE_PROFILE_TABLE.epcs("get", optional=False))
        for epc in mandatory:
            reply = yield from self._get(epc, to=NODE_PROFILE)
            edt = self._edt(reply, epc)
            problem = _value_problem(NODE_PROFILE_TABLE[epc], edt, reply)
            if problem is not None:
                problems.append(f"0x{epc:02X} {problem}")
                evidence.extend(reply.evidence)
                continue
            assert edt is not None
            if epc == 0x9F:
                extra = NODE_PROFILE_TABLE[0x9F].decode(edt) - set(mandatory)
                if extra:
                    problems.append("0x9F lists optional " + _epcs(extra))
                    evidence.extend(reply.evidence)
            if epc == 0xD6:
                problem = self._instance_list_problem(edt, NODE_PROFILE_TABLE[0xD6])
                verdict = ClauseVerdict.PASS if problem is None else ClauseVerdict.FAIL
                self._add(INSTANCES, verdict, problem or "0xD6 lists the meter", reply.evidence)
        if problems:
            self._add(NODE, ClauseVerdict.FAIL, "; ".join(problems), evidence)
        else:
            self._add(NODE, ClauseVerdict.PASS, f"{len(mandatory)} mandatory properties, valid")

    # --- attributes, maps, properties, access ------------------------------------------------

    def _attributes(self) -> Generator[Step, Any, None]:
        reply = yield from self._get(0x82)
        edt = self._edt(reply, 0x82)
        problem = _value_problem(self.table[0x82], edt, reply)
        if problem is None:
            assert edt is not None
            version: StandardVersion = self.table[0x82].decode(edt)
            if version.release < _OLDEST_RELEASE:  # letters order the releases
                problem = f"{version} is older than Release {_OLDEST_RELEASE}"
        self._judge(RELEASE, problem, reply, "Release R or later")
        maps: dict[int, frozenset[int]] = {}
        for epc in (0x9D, 0x9E, 0x9F):
            reply = yield from self._get(epc)
            edt = self._edt(reply, epc)
            problem = _value_problem(self.table[epc], edt, reply)
            maps[epc] = self.table[epc].decode(edt) if problem is None and edt else frozenset()
            clause = {0x9D: ANNO_MAP, 0x9E: SET_MAP, 0x9F: GET_MAP}[epc]
            problem = problem or self._map_problem(epc, maps[epc])
            self._judge(clause, problem, reply, _epcs(maps[epc]))
        self.get_map = maps[0x9F]

    def _map_problem(self, epc: int, listed: frozenset[int]) -> str | None:
        service = {0x9D: "anno", 0x9E: "set", 0x9F: "get"}[epc]
        missing = self.table.epcs(service, optional=False) - listed
        if missing:
            return "missing " + _epcs(missing)
        if epc == 0x9E:
            allowed = self.table.epcs("set")
            wrong = listed - allowed
            if wrong:
                return "lists EPCs whose Set is not allowed: " + _epcs(wrong)
        return None

    def _judge(self, clause: Clause, problem: str | None, reply: AskResult, ok: str) -> None:
        if problem is None:
            self._add(clause, ClauseVerdict.PASS, ok)
        else:
            self._add(clause, ClauseVerdict.FAIL, problem, reply.evidence)

    def _properties(self) -> Generator[Step, Any, None]:
        for row in self.table:
            mandatory = row.get is Access.MANDATORY
            if not mandatory and not (row.get.allowed and row.epc in self.get_map):
                continue
            reply = yield from self._get(row.epc)
            edt = self._edt(reply, row.epc)
            problem = _value_problem(row, edt, reply)
            clause = property_clause(self.table.class_id, row, mandatory=mandatory)
            if edt is not None and problem is None:
                self.values[row.epc] = edt
                text = row.codec.describe(row.decode(edt))
                self._add(
                    clause, ClauseVerdict.PASS, text if len(text) < 100 else text[:97] + "..."
                )
            else:
                self._add(clause, ClauseVerdict.FAIL, problem or "no value", reply.evidence)

    def _access(self) -> Generator[Step, Any, None]:
        """SetC where the tables allow no Set: SetC_SNA [AIF Tables 2-3, 2-4, 2.4.5]."""
        for row in self.table:
            if row.set.allowed or row.epc not in self.values:
                continue
            reply = yield from self._setc(row.epc, self.values[row.epc])
            frame = reply.frame
            clause = access_clause(self.table.class_id, row)
            if frame is not None and frame.esv is Esv.SETC_SNA:
                self._add(clause, ClauseVerdict.PASS, "SetC_SNA")
            else:
                got = frame.esv.symbol if frame is not None else "no answer"
                self._add(clause, ClauseVerdict.FAIL, f"{got}, not SetC_SNA", reply.evidence)

    # --- OPC and the history exception ------------------------------------------------------

    def _opc(self) -> Generator[Step, Any, None]:
        plain = [
            row.epc
            for row in self.table
            if row.get is Access.MANDATORY and not row.history and row.epc in self.values
        ][:_OPC_METER]
        if len(plain) < _OPC_METER:
            detail = f"only {len(plain)} mandatory properties were readable"
            self._add(OPC_12, ClauseVerdict.FAIL, detail)
        else:
            yield from self._opc_12(plain)
        yield from self._history_mixed()

    def _opc_12(self, plain: list[int]) -> Generator[Step, Any, None]:
        reply = yield from self._get(*plain)
        frame = reply.frame
        problem: str | None = None
        if frame is None:
            problem = "no answer"
        elif frame.esv is not Esv.GET_RES:
            problem = f"{frame.esv.symbol}"
        elif [p.epc for p in frame.properties] != plain:
            problem = "answered " + " ".join(f"{p.epc:02X}" for p in frame.properties)
        elif any(not p.edt for p in frame.properties):
            problem = "a property without its value"
        self._judge(OPC_12, problem, reply, "12 properties in request order")

    def _history_mixed(self) -> Generator[Step, Any, None]:
        history = next(iter(self.plan.day_histories))
        other = self.plan.present[0]
        reply = yield from self._get(history, other)
        frame = reply.frame
        if frame is None:
            problem, ok = "no answer", ""
        elif frame.esv is Esv.GET_SNA:
            problem, ok = None, "refused with Get_SNA (allowed)"
        elif frame.esv is Esv.GET_RES and [p.epc for p in frame.properties] == [history, other]:
            bad = [p for p in frame.properties if not p.edt]
            problem, ok = ("a property without its value" if bad else None), "served whole"
        else:
            problem, ok = f"{frame.esv.symbol} with {_epcs(p.epc for p in frame.properties)}", ""
        self._judge(HISTORY_MIXED, problem, reply, ok)

    # --- history selections -------------------------------------------------------------------

    def _day(self) -> Generator[Step, Any, None]:
        selector = self.plan.day_selector
        reply = yield from self._setc(selector.epc, selector.encode(_SELECTED_DAY))
        evidence = list(reply.evidence)
        problems: list[str] = []
        if reply.frame is None or reply.frame.esv is not Esv.SET_RES:
            problems.append(f"SetC day {_SELECTED_DAY}: {_esv(reply)}")
        else:
            for epc in self.plan.day_histories:
                if epc not in self.get_map and self.table[epc].get is not Access.MANDATORY:
                    continue
                got = yield from self._get(epc)
                history = self._decoded(got, epc)
                if not isinstance(history, HalfHourHistory):
                    problems.append(f"0x{epc:02X}: {history}")
                    evidence.extend(got.evidence)
                elif history.day != _SELECTED_DAY:
                    problems.append(f"0x{epc:02X} is day {history.day}, not {_SELECTED_DAY}")
                    evidence.extend(got.evidence)
        if problems:
            self._add(DAY, ClauseVerdict.FAIL, "; ".join(problems), evidence)
        else:
            self._add(DAY, ClauseVerdict.PASS, f"day {_SELECTED_DAY} selected and served")
        yield from self._day_void(selector)
        reply = yield from self._setc(selector.epc, bytes([_DAY_OUT_OF_RANGE]))
        frame = reply.frame
        ok = frame is not None and frame.esv is Esv.SETC_SNA
        self._judge(DAY_RANGE, None if ok else f"{_esv(reply)}, not SetC_SNA", reply, "SetC_SNA")
        yield from self._day_oldest(selector)
        yield from self._setc(selector.epc, selector.encode(0))  # left as a controller expects

    def _day_oldest(self, selector: PropertyDef[int | None]) -> Generator[Step, Any, None]:
        """Day 99, likely beyond what the meter keeps: refused, or served as day 99 (T21)."""
        reply = yield from self._setc(selector.epc, selector.encode(_DAY_OLDEST))
        frame = reply.frame
        if frame is not None and frame.esv is Esv.SETC_SNA:
            self._add(DAY_OLDEST, ClauseVerdict.PASS, "SetC_SNA: not kept")
            return
        if frame is None or frame.esv is not Esv.SET_RES:
            self._add(DAY_OLDEST, ClauseVerdict.FAIL, _esv(reply), reply.evidence)
            return
        epc = next(iter(self.plan.day_histories))
        got = yield from self._get(epc)
        history = self._decoded(got, epc)
        if not isinstance(history, HalfHourHistory):
            self._add(DAY_OLDEST, ClauseVerdict.FAIL, f"0x{epc:02X}: {history}", got.evidence)
        elif history.day != _DAY_OLDEST:
            detail = f"Set_Res, then 0x{epc:02X} of day {history.day}, not {_DAY_OLDEST}"
            self._add(DAY_OLDEST, ClauseVerdict.FAIL, detail, [*reply.evidence, *got.evidence])
        else:
            self._add(DAY_OLDEST, ClauseVerdict.PASS, f"day {_DAY_OLDEST} served")

    def _day_void(self, selector: PropertyDef[int | None]) -> Generator[Step, Any, None]:
        reply = yield from self._setc(selector.epc, selector.encode(0))
        if reply.frame is None or reply.frame.esv is not Esv.SET_RES:
            self._add(DAY_VOID, ClauseVerdict.FAIL, f"SetC day 0: {_esv(reply)}", reply.evidence)
            return
        epc = next(iter(self.plan.day_histories))
        # The clock read on both sides of the history: a midnight between them is read again.
        for _ in range(2):
            before = yield from self._meter_time()
            got = yield from self._get(epc)
            meter_now = yield from self._meter_time()
            if before is None or meter_now is None or before.date() == meter_now.date():
                break
        history = self._decoded(got, epc)
        if not isinstance(history, HalfHourHistory):
            self._add(DAY_VOID, ClauseVerdict.FAIL, f"0x{epc:02X}: {history}", got.evidence)
            return
        if meter_now is None:
            self._add(DAY_VOID, ClauseVerdict.FAIL, _NO_CLOCK, self._clock_evidence)
            return
        midnight = datetime.combine(meter_now.date(), datetime.min.time())
        # A slot may be filled once its half-hour has begun; those after the clock are void.
        future = [
            i
            for i, value in enumerate(history.slots)
            if value is not None and midnight + i * _HALF_HOUR > meter_now + _CLOCK_TOLERANCE
        ]
        if history.day != 0:
            self._add(DAY_VOID, ClauseVerdict.FAIL, f"day {history.day}, not 0", got.evidence)
        elif future:
            first = (midnight + future[0] * _HALF_HOUR).strftime("%H:%M")
            detail = f"{len(future)} half-hours after {meter_now:%H:%M} carry values, from {first}"
            self._add(DAY_VOID, ClauseVerdict.FAIL, detail, got.evidence)
        else:
            self._add(DAY_VOID, ClauseVerdict.PASS, f"void after {meter_now:%H:%M}")

    def _minute(self) -> Generator[Step, Any, None]:
        selector, history_row = self.plan.minute_selector, self.plan.minute_history
        meter_now = yield from self._meter_time()
        if meter_now is None:
            for clause in (MINUTE, MINUTE_FUTURE):
                self._add(clause, ClauseVerdict.FAIL, _NO_CLOCK, self._clock_evidence)
        else:
            start = meter_now.replace(second=0, microsecond=0) - _MINUTES_BACK
            yield from self._minute_past(selector, history_row, HistorySelector(start, 10))
            later = meter_now.replace(second=0, microsecond=0) + timedelta(days=1)
            yield from self._minute_future(selector, history_row, HistorySelector(later, 10))
        invalid = bytes.fromhex("07E90D0100000A")  # 2025-13-01 00:00, 10 segments
        reply = yield from self._setc(selector.epc, invalid)
        frame = reply.frame
        ok = frame is not None and frame.esv is Esv.SETC_SNA
        self._judge(MINUTE_INVALID, None if ok else f"{_esv(reply)}", reply, "SetC_SNA")

    def _minute_past(
        self,
        selector: PropertyDef[HistorySelector],
        history_row: PropertyDef[SegmentHistory],
        wanted: HistorySelector,
    ) -> Generator[Step, Any, None]:
        reply = yield from self._setc(selector.epc, selector.encode(wanted))
        if reply.frame is None or reply.frame.esv is not Esv.SET_RES:
            self._add(
                MINUTE, ClauseVerdict.FAIL, f"SetC {wanted.start}: {_esv(reply)}", reply.evidence
            )
            return
        got = yield from self._get(history_row.epc)
        history = self._decoded(got, history_row.epc)
        if not isinstance(history, SegmentHistory):
            self._add(
                MINUTE, ClauseVerdict.FAIL, f"0x{history_row.epc:02X}: {history}", got.evidence
            )
        elif history.start != wanted.start or history.count != wanted.count:
            served = f"{history.start} x{history.count}"
            detail = f"served {served}, asked {wanted.start} x{wanted.count}"
            self._add(MINUTE, ClauseVerdict.FAIL, detail, got.evidence)
        else:
            self._add(MINUTE, ClauseVerdict.PASS, f"{wanted.start:%H:%M}, {wanted.count} segments")

    def _minute_future(
        self,
        selector: PropertyDef[HistorySelector],
        history_row: PropertyDef[SegmentHistory],
        wanted: HistorySelector,
    ) -> Generator[Step, Any, None]:
        reply = yield from self._setc(selector.epc, selector.encode(wanted))
        frame = reply.frame
        if frame is not None and frame.esv is Esv.SETC_SNA:
            self._add(MINUTE_FUTURE, ClauseVerdict.PASS, "SetC_SNA")
            return
        if frame is None or frame.esv is not Esv.SET_RES:
            self._add(MINUTE_FUTURE, ClauseVerdict.FAIL, _esv(reply), reply.evidence)
            return
        got = yield from self._get(history_row.epc)
        history = self._decoded(got, history_row.epc)
        if not isinstance(history, SegmentHistory):
            self._add(MINUTE_FUTURE, ClauseVerdict.FAIL, str(history), got.evidence)
            return
        filled = [s for s in history.segments if s.normal is not None or s.reverse is not None]
        if filled:
            detail = f"{len(filled)} segments of minutes to come carry values"
            self._add(MINUTE_FUTURE, ClauseVerdict.FAIL, detail, got.evidence)
        else:
            self._add(MINUTE_FUTURE, ClauseVerdict.PASS, "accepted, every segment void")

    def _decoded(self, reply: AskResult, epc: int) -> object:
        """The decoded value of ``epc`` in a Get_Res, or a string saying what was wrong."""
        edt = self._edt(reply, epc)
        problem = _value_problem(self.table[epc], edt, reply)
        if problem is not None or edt is None:
            return problem or "no value"
        return self.table[epc].decode(edt)

    # --- fault, unknown and malformed requests -------------------------------------------------

    def _fault(self) -> Generator[Step, Any, None]:
        row = self.table[0x88]
        reply = yield from self._get(0x88)
        edt = self._edt(reply, 0x88)
        problem = _value_problem(row, edt, reply)
        if problem is None and 0x88 not in self._anno_map():
            problem = "0x88 not in the announcement map 0x9D"
        if problem is not None or edt is None:
            self._add(FAULT, ClauseVerdict.FAIL, problem or "no value", reply.evidence)
        else:
            self._add(FAULT, ClauseVerdict.PASS, row.codec.describe(row.decode(edt)))

    def _anno_map(self) -> frozenset[int]:
        edt = self.values.get(0x9D)
        return self.table[0x9D].decode(edt) if edt else frozenset()

    def _unknown(self) -> Generator[Step, Any, None]:
        lacking = (e for e in range(0xFF, 0xEF, -1) if e not in self.table)
        epc = next((e for e in lacking if e not in self.get_map), None)
        if epc is None:
            self._add(UNKNOWN, ClauseVerdict.SKIP, "the meter lists every EPC 0xF0-0xFF")
            return
        problems: list[str] = []
        evidence: list[Evidence] = []
        for esv, prop, sna in (
            (Esv.GET, Property(epc), Esv.GET_SNA),
            (Esv.SETC, Property(epc, b"\x00"), Esv.SETC_SNA),
        ):
            reply = yield from self._ask(esv, (prop,))
            frame = reply.frame
            if frame is None or frame.esv is not sna:
                problems.append(f"{esv.symbol} 0x{epc:02X}: {_esv(reply)}, not {sna.symbol}")
                evidence.extend(reply.evidence)
            elif [p.epc for p in frame.properties] != [epc] or (
                esv is Esv.GET and frame.properties[0].edt
            ):
                problems.append(f"{sna.symbol} does not echo 0x{epc:02X} with PDC 0")
                evidence.extend(reply.evidence)
        if problems:
            self._add(UNKNOWN, ClauseVerdict.FAIL, "; ".join(problems), evidence)
        else:
            self._add(UNKNOWN, ClauseVerdict.PASS, f"0x{epc:02X}: Get_SNA and SetC_SNA")

    def _malformed(self) -> Generator[Step, Any, None]:
        eoj = self.eoj.to_bytes()
        sent = []
        for data, _ in _MALFORMED:
            datagram = data.replace(bytes.fromhex("028F01"), eoj)
            sent.append(Evidence(self.now, True, datagram))
            yield RawDatagram(datagram)
        reply = yield from self._get(0x80)
        answered = [h for h in reply.stray if h.frame is None or h.frame.esv is not Esv.INF]
        frame = reply.frame
        if frame is None or frame.esv is not Esv.GET_RES:
            detail = f"after {len(_MALFORMED)} malformed datagrams a Get 0x80: {_esv(reply)}"
            self._add(MALFORMED, ClauseVerdict.FAIL, detail, [*sent, *reply.evidence])
        elif answered:
            detail = f"{len(answered)} datagrams answered the malformed ones"
            self._add(MALFORMED, ClauseVerdict.FAIL, detail, [*sent, *reply.evidence])
        else:
            reasons = ", ".join(reason for _, reason in _MALFORMED)
            self._add(MALFORMED, ClauseVerdict.PASS, f"ignored ({reasons}), then answered")

    # --- the scheduled notification, the absent object ------------------------------------

    def _notification(self) -> Generator[Step, Any, None]:
        if not self.options.notification:
            self._add(NOTIFY, ClauseVerdict.SKIP, "not waited for (--no-notification)")
            return
        meter_now = yield from self._meter_time()
        if meter_now is None:
            self._add(NOTIFY, ClauseVerdict.FAIL, _NO_CLOCK, self._clock_evidence)
            return
        expected = [e for e in self.plan.scheduled if e in self.get_map or self._mandatory(e)]
        boundary = _next_half_hour(meter_now)
        # At the meter's pace, the notification is due 5 min after the boundary; a meter faster
        # than real time (an emulator with --speed) ends the wait sooner.
        wait = (boundary - meter_now + _NOTIFY_WITHIN + _LATE_MARGIN).total_seconds()
        heard = yield AwaitDevice(wait, until=lambda h: self._is_scheduled(h, expected))
        assert isinstance(heard, list)
        notice = next((h for h in heard if self._is_scheduled(h, expected)), None)
        if notice is None:
            partial = [h for h in heard if h.frame is not None and h.frame.esv is Esv.INF]
            detail = f"no INF of {_epcs(expected)} within {wait:.0f} s"
            evidence = [*self._clock_evidence, *(h.evidence for h in partial)]
            self._add(NOTIFY, ClauseVerdict.FAIL, detail, evidence)
            return
        clock = yield from self._meter_time()
        frame = notice.frame
        assert frame is not None
        problem = self._notification_problem(frame, expected, clock)
        if problem is None:
            self._add(NOTIFY, ClauseVerdict.PASS, f"INF of {_epcs(expected)} in time")
        else:
            self._add(NOTIFY, ClauseVerdict.FAIL, problem, [notice.evidence, *self._clock_evidence])

    def _mandatory(self, epc: int) -> bool:
        return self.table[epc].get is Access.MANDATORY

    def _is_scheduled(self, heard: Heard, expected: list[int]) -> bool:
        frame = heard.frame
        if frame is None or frame.esv not in (Esv.INF, Esv.INFC) or frame.seoj != self.eoj:
            return False
        return any(p.epc in expected for p in frame.properties)

    def _notification_problem(
        self, frame: Frame, expected: list[int], clock: datetime | None
    ) -> str | None:
        carried = {p.epc: p.edt for p in frame.properties}
        missing = [e for e in expected if e not in carried]
        if missing:
            return "the INF lacks " + _epcs(missing)
        stamps: list[datetime] = []
        for epc in expected:
            try:
                value = self.table[epc].decode(carried[epc])
            except InvalidValue as exc:
                return f"0x{epc:02X} invalid: {exc.reason}"
            at = getattr(value, "at", None)
            if isinstance(at, datetime):
                stamps.append(at)
        if not stamps:
            return None
        stamp = stamps[0]
        if stamp.minute % 30 or stamp.second:
            return f"stamped {stamp}, not at :00 or :30"
        if clock is None:
            return "the meter's clock (0x97, 0x98) unreadable after the INF"
        late = clock - stamp
        if late > _NOTIFY_WITHIN + _CLOCK_TOLERANCE:
            return f"the value of {stamp:%H:%M} notified at {clock:%H:%M} meter time"
        return None

    def _absent(self) -> Generator[Step, Any, None]:
        """Last: silence is the right answer, and no request follows it [EL §4.3] (T5)."""
        absent = self.eoj.with_instance(0x02)
        frame = Frame(0, CONTROLLER, absent, Esv.GET, (Property(0x80),))
        reply = yield Ask(frame, self.options.silence_wait)
        assert isinstance(reply, AskResult)
        got = reply.frame
        if got is None:
            self._add(ABSENT, ClauseVerdict.PASS, f"no answer in {self.options.silence_wait:g} s")
        elif got.esv is Esv.GET_SNA:
            self._add(ABSENT, ClauseVerdict.PASS, "Get_SNA (tolerated)")
        else:
            self._add(
                ABSENT, ClauseVerdict.FAIL, f"{got.esv.symbol} from {got.seoj}", reply.evidence
            )

    def _aggregate(self) -> None:
        if self._form:
            detail = "; ".join(problem for problem, _ in self._form[:_MAX_EVIDENCE])
            evidence = [e for _, r in self._form[:_MAX_EVIDENCE] for e in r.evidence]
            self._add(FORM, ClauseVerdict.FAIL, f"{len(self._form)} answers: {detail}", evidence)
        else:
            self._add(FORM, ClauseVerdict.PASS, "every answer")
        if self._late:
            evidence = [e for r in self._late[:_MAX_EVIDENCE] for e in r.evidence]
            self._add(TIMER, ClauseVerdict.FAIL, f"{len(self._late)} requests unanswered", evidence)
        else:
            self._add(TIMER, ClauseVerdict.PASS, "every request")


def _is_announcement(heard: Heard) -> bool:
    frame = heard.frame
    return (
        frame is not None
        and frame.esv in (Esv.INF, Esv.INFC)
        and frame.seoj.is_node_profile
        and frame.edt_of(0xD5) is not None
    )


def _form_problem(sent: Frame, answer: Frame) -> str | None:
    """What is wrong with the form of an answer [EL §4.1, AIF 2.4.4], or None."""
    allowed = _PAIRS.get(sent.esv, ())
    if answer.esv not in allowed:
        return f"{answer.esv.symbol} answers {sent.esv.symbol}"
    if answer.deoj != sent.seoj:
        return f"DEOJ {answer.deoj}, not {sent.seoj}"
    if sent.deoj.instance == 0:
        if answer.seoj.class_id != sent.deoj.class_id:
            return f"SEOJ {answer.seoj} for {sent.deoj}"
    elif answer.seoj != sent.deoj:
        return f"SEOJ {answer.seoj}, not {sent.deoj}"
    asked = [p.epc for p in sent.properties]
    got = [p.epc for p in answer.properties]
    if got != asked:
        return f"EPCs {' '.join(f'{e:02X}' for e in got)} for {' '.join(f'{e:02X}' for e in asked)}"
    if answer.esv is Esv.GET_RES and any(not p.edt for p in answer.properties):
        return "Get_Res with a property without its value"
    return None


def _value_problem(row: PropertyDef[Any], edt: bytes | None, reply: AskResult) -> str | None:
    if edt is None:
        frame = reply.frame
        return "no value" if frame is not None and frame.esv is Esv.GET_RES else _esv(reply)
    try:
        row.decode(edt)
    except InvalidValue as exc:
        return f"invalid: {exc.reason}"
    return None


def _esv(reply: AskResult) -> str:
    frame = reply.frame
    return "no answer" if frame is None else frame.esv.symbol


def _epcs(epcs: Iterable[int]) -> str:
    listed = sorted(epcs)
    return " ".join(f"0x{e:02X}" for e in listed) if listed else "nothing"


def _next_half_hour(at: datetime) -> datetime:
    floor = at.replace(minute=at.minute - at.minute % 30, second=0, microsecond=0)
    return floor + _HALF_HOUR
