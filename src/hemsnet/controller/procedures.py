"""The standard operation of AIF chapter 3, one procedure per figure.

Each procedure is a generator run by :class:`~hemsnet.controller.engine.ControllerEngine`,
which it sees only as a :class:`~hemsnet.controller.context.Context`: it yields a
:class:`~hemsnet.controller.requests.Request` and is sent back its
:class:`~hemsnet.controller.requests.Answer` (a response or a timeout), or yields a
:class:`~hemsnet.controller.tasks.Sleep`. A timed-out request is asked again as a new request
(a new TID) once its timer has run out; the timer itself spaces the retries [AIF 2.4.2, 2.4.3].

| procedure | spec |
|---|---|
| :func:`search` | 3.1.2 Get 0x80 to 0x028F00 (and 0x028800), repeated until a meter answers |
| :func:`acquire_attributes` | 3.1.3 (82 9D 9E 9F), 3.1.4 (8D C0 D3 D4 E0 E5 E6 C4 C5 C7 CC CD) |
| :func:`fetch_scheduled` | 3.3.1 E3 C3 CB at :05/:35 when the 3.2.1 notification is missing |
| :func:`live` | 3.3.2 E2 E4 CA, EA EB, 3.3.4 D0: what is due, in one request per tick |
| :func:`fetch_day` | 3.3.3 Fig 3-7: SetC E1, then Get E7 E8 C6 C8 (CE CF) one by one |
| :func:`fetch_minutes` | 3.3.5 Fig 3-9: SetC EF, then Get ED |
| :func:`watch_fault` | 3.4.1 Get 0x88 until the meter reports no fault |
"""

from __future__ import annotations

import itertools
from collections.abc import Generator, Iterable, Sequence
from datetime import date, datetime, time, timedelta
from enum import Enum
from typing import Final, TypeVar

from hemsnet.controller.context import Context
from hemsnet.controller.events import (
    AttributeAbsent,
    AttributeRead,
    GapOpened,
    GapSettled,
    Warned,
)
from hemsnet.controller.plan import SEARCHED
from hemsnet.controller.requests import Answer, Request
from hemsnet.controller.tasks import Priority, Sleep, Step
from hemsnet.devices import hv_meter_bidir as meter
from hemsnet.devices.codecs.readings import HISTORY_DAY_MAX
from hemsnet.devices.values import FaultStatus, HistorySelector
from hemsnet.echonet.eoj import NODE_PROFILE, Eoj
from hemsnet.echonet.frame import encode_frame
from hemsnet.echonet.propmap import decode_property_map
from hemsnet.metering.series import (
    HALF_HOUR,
    HALF_HOUR_SERIES,
    MINUTE,
    Series,
    Source,
    day_start,
    floor_half_hour,
)

__all__ = [
    "acquire_attributes",
    "discover",
    "fetch_day",
    "fetch_minutes",
    "fetch_scheduled",
    "live",
    "recovery",
    "search",
    "startup",
    "watch_fault",
]

T = TypeVar("T")
Sub = Generator[Step, Answer | None, T]

_INSTANCE_LIST: Final = 0xD6  # self-node instance list S, of every node profile
# [AIF 3.1.3], and the manufacturer code 0x8A (mandatory [AIF Table 2-3]), which identifies
# the meter to the people who read it (docs/controller.md C23); then the class's attributes,
# twelve at most for 0x028F [AIF 3.1.4(1)], what a meter accepts in one request [AIF 2.4.4].
EC_ATTRIBUTES: Final = (0x82, 0x9D, 0x9E, 0x9F, 0x8A)
_OLDEST_RELEASE: Final = "R"  # the AIF applies to Appendix Release R or later [AIF 3.1.3]
_SEGMENTS: Final = 10  # 0xEF count: at most 10 one-minute values [AIF 3.3.5]
_MIDNIGHT_GUARD: Final = timedelta(minutes=1)  # no E1 selection this close to meter midnight
_LATEST_MISSING_RETRY: Final = timedelta(minutes=1)
# The live plan's ticks come 2 s after the grid of the meter's clock: D0 changes at the whole
# minute [AIF 3.3.4], and every group due at a tick goes in one request (C35).
_LIVE_LAG: Final = timedelta(seconds=2)
_RECOVERY_LAG: Final = timedelta(minutes=5)  # a pass 5 minutes after the scheduled fetch
_UNTIL_WOKEN: Final = timedelta(days=1)


class DayResult(Enum):
    DONE = "done"
    OUT_OF_RANGE = "out of range"  # SetC_SNA: the meter does not hold that day (any more)
    FAULT = "fault"  # Get_SNA: the meter cannot answer measurements now
    GAVE_UP = "gave up"  # too many timeouts or day mismatches: the next pass tries again


def ask(request: Request) -> Sub[Answer]:
    answer = yield request
    assert answer is not None, "the engine answers every request"
    return answer


def ask_until_answered(request: Request) -> Sub[Answer]:
    """Ask until the meter answers: each timeout already waited out its timer."""
    while True:
        answer = yield from ask(request)
        if not answer.timed_out:
            return answer


def meter_eoj(ctl: Context) -> Eoj:
    assert ctl.meter.eoj is not None, "procedures after the search have a meter"
    return ctl.meter.eoj


# --- start-up [AIF 3.1] ---------------------------------------------------------------------


def startup(ctl: Context) -> Sub[None]:
    """Search (unless the meter's 0xD5 arrives first), read the attributes, start the rest."""
    yield from search(ctl)
    yield from acquire_attributes(ctl)
    yield from read_clock(ctl)
    config = ctl.config
    plan = ctl.meter.plan
    if config.instant_interval > 0 and ctl.meter.readable(plan.instant[0]):
        # The power now, first of all, alone: timer 1 if it is lost (C34).
        absorb(ctl, (yield from ask(Request.get(meter_eoj(ctl), plan.instant[0]))))
    ctl.spawn("attributes", Priority.STARTUP, refresh_attributes(ctl), measurement=False)
    ctl.spawn("scheduled", Priority.SCHEDULED, fetch_scheduled(ctl))
    groups = [
        (epcs, timedelta(seconds=interval))
        for epcs, interval in (
            (plan.instant, config.instant_interval),
            (plan.minute, config.minute_interval),
            (plan.present, config.present_interval),
        )
        if interval > 0
    ]
    if groups:
        ctl.spawn("live", Priority.LIVE, live(ctl, groups))
    ctl.spawn("recovery", Priority.HISTORY, recovery(ctl))


def search(ctl: Context) -> Sub[None]:
    """Get 0x80 to every instance of a meter class, by multicast (unicast to a configured
    meter), until one answers or announces itself [AIF 3.1.2]; 0x028F and 0x0288 in turn
    (C38)."""
    interval = timedelta(seconds=ctl.config.search_interval)
    searched = itertools.cycle(SEARCHED)
    while not ctl.meter.paired:
        sent = ctl.now
        request = Request.get(next(searched), 0x80, multicast=not ctl.meter.fixed)
        answer = yield from ask(request)
        if ctl.meter.paired:  # its 0xD5 came while the search was out
            return
        if answer.frame is not None and answer.source is not None:
            ctl.pair(answer.source, answer.frame.seoj)
            return
        yield Sleep(sent + interval)


def acquire_attributes(ctl: Context) -> Sub[None]:
    """ECHONET Lite attributes [AIF 3.1.3], then the meter's attributes [AIF 3.1.4], one
    request each (C23); then whatever the meter refused before is asked again (C36)."""
    eoj = meter_eoj(ctl)
    refused_before = sorted(ctl.meter.refused)
    ctl.meter.refused.clear()
    values, refused = yield from read(ctl, eoj, EC_ATTRIBUTES)
    for epc in sorted(refused):
        ctl.refuse(epc, "[AIF 3.1.3]")
    for epc, edt in values.items():
        ctl.meter.attributes[epc] = edt
        ctl.emit(AttributeRead(epc, edt))
    check_release(ctl, values.get(0x82))
    get_map = ctl.meter.attributes.get(0x9F)
    if get_map is not None:
        try:
            ctl.meter.get_map = decode_property_map(get_map)
        except ValueError as exc:
            ctl.emit(Warned(f"the meter's Get property map is invalid: {exc}"))
    plan = ctl.meter.plan
    optional = plan.optional_attributes
    asked = [epc for epc in plan.attributes if epc not in optional or ctl.meter.readable(epc)]
    for epc in sorted(set(plan.attributes) - set(asked)):
        absent(ctl, epc)
    values, refused = yield from read(ctl, eoj, asked)
    for epc, edt in values.items():
        ctl.meter.attributes[epc] = edt
        ctl.emit(AttributeRead(epc, edt))
    for epc in sorted(refused):
        if epc in optional:
            absent(ctl, epc)
        else:
            ctl.refuse(epc, "[AIF 3.1.4]")
    ctl.attributes_read()
    again = [epc for epc in refused_before if epc not in ctl.meter.refused]
    if again:
        values, refused = yield from read(ctl, eoj, again)
        for epc, edt in values.items():
            ctl.emit(AttributeRead(epc, edt))  # served again: no longer absent
        for epc in sorted(refused):
            ctl.refuse(epc, "again")


def read(ctl: Context, eoj: Eoj, epcs: Sequence[int]) -> Sub[tuple[dict[int, bytes], set[int]]]:
    """Get ``epcs``, batched as the link's loss makes cheapest; (values, refused EPCs)."""
    values: dict[int, bytes] = {}
    refused: set[int] = set()
    for group in ctl.batches(epcs):
        answer = yield from ask_until_answered(Request.get(eoj, *group))
        values |= answer.values()
        refused |= answer.refused()
    return values, refused


def absent(ctl: Context, epc: int) -> None:
    ctl.meter.attributes.pop(epc, None)
    ctl.emit(AttributeAbsent(epc))


def check_release(ctl: Context, edt: bytes | None) -> None:
    if edt is None:
        return
    version = ctl.decode(meter.STANDARD_VERSION, edt)
    if version is not None and version.release.upper() < _OLDEST_RELEASE:
        ctl.emit(
            Warned(
                f"the meter implements Appendix {version}; the Route B interface applies to "
                f"Release {_OLDEST_RELEASE} or later [AIF 3.1.3]: continuing"
            )
        )


def refresh_attributes(ctl: Context) -> Sub[None]:
    """Re-acquire the attributes now and then, and at once when the meter restarts."""
    interval = timedelta(seconds=ctl.config.attribute_interval)
    while True:
        yield Sleep(ctl.now + interval)
        yield from acquire_attributes(ctl)
        ctl.wake("recovery")


# --- measurements [AIF 3.2, 3.3.1, 3.3.2, 3.3.4] --------------------------------------------


def absorb(ctl: Context, answer: Answer) -> None:
    """Record what a measurement Get returned. A meter in fault refuses every measurement
    [AIF 3.3.1(2), 3.4.1]: a refusal of some while others are served means the meter does not
    serve those; a refusal of all is checked against 0x88 first (C36)."""
    values = answer.values()
    if values:
        ctl.take_values(values, Source.POLL, evidence=evidence(answer))
    declined = answer.declined()
    if declined and values:
        for epc in sorted(declined):
            ctl.refuse(epc, "while serving others")
    elif declined:
        ctl.suspect_fault(answer)


def evidence(answer: Answer) -> bytes:
    """The frame an answer came in, kept beside a reading the controller does not believe."""
    return b"" if answer.frame is None else encode_frame(answer.frame)


def read_clock(ctl: Context) -> Sub[None]:
    """Get the class's clock reading (0xE2 of 0x028F, stamped to the second) before anything
    is dated by it: the first measurements and the notifications held until then (C49)."""
    clock = ctl.meter.plan.clock
    # refused or invalid: the live plan, which asks for it too, teaches it later
    if clock is not None and not ctl.meter.clock_known and ctl.meter.readable(clock):
        absorb(ctl, (yield from ask_until_answered(Request.get(meter_eoj(ctl), clock))))


def live(ctl: Context, groups: Sequence[tuple[Iterable[int], timedelta]]) -> Sub[None]:
    """At each tick of the meter's clock, Get every group whose interval has come round, in
    one request when the link's loss does not make one per property cheaper (C33, C35)."""
    plan = [(tuple(epcs), interval) for epcs, interval in groups]
    due = [ctl.meter_now] * len(plan)
    while True:
        now = ctl.meter_now
        asked = [i for i, at in enumerate(due) if at <= now]
        epcs = [epc for i in asked for epc in plan[i][0] if ctl.meter.readable(epc)]
        for group in ctl.batches(epcs):
            absorb(ctl, (yield from ask(Request.get(meter_eoj(ctl), *group))))
        now = ctl.meter_now
        for i in asked:
            due[i] = _next_multiple(now - _LIVE_LAG, plan[i][1]) + _LIVE_LAG
        yield Sleep(ctl.at_meter_time(min(due)))


def _next_multiple(at: datetime, interval: timedelta) -> datetime:
    midnight = datetime.combine(at.date(), time())
    return at + (interval - (at - midnight) % interval)


def fetch_scheduled(ctl: Context) -> Sub[None]:
    """Get E3, C3 (and CB) at :05/:35 or later when their notification did not come
    [AIF 3.3.1]; asked again until the next half-hour, after which history takes over."""
    yield from _history_known(ctl)
    after = timedelta(seconds=ctl.config.fetch_after)
    scheduled = ctl.meter.plan.scheduled
    while True:
        now = ctl.meter_now
        boundary = floor_half_hour(now)
        missing = [epc for epc in scheduled if _scheduled_missing(ctl, epc, boundary)]
        if now < boundary + after or not missing:
            due = boundary + after if now < boundary + after else boundary + HALF_HOUR + after
            yield Sleep(ctl.at_meter_time(due))
            continue
        lost = False
        for group in ctl.batches(missing):
            answer = yield from ask(Request.get(meter_eoj(ctl), *group))
            absorb(ctl, answer)
            lost = lost or answer.timed_out
        if lost:
            continue
        if any(_scheduled_missing(ctl, epc, boundary) for epc in missing):
            yield Sleep(ctl.now + _LATEST_MISSING_RETRY)


def _scheduled_missing(ctl: Context, epc: int, boundary: datetime) -> bool:
    series = ctl.meter.plan.scheduled[epc]
    return ctl.meter.readable(epc) and not ctl.coverage.has(series, boundary)


def _history_known(ctl: Context) -> Sub[None]:
    """Wait until the engine knows what the store holds (woken by its restore), so that
    nothing held is fetched again or taken for a gap."""
    while not ctl.history_known:
        yield Sleep(ctl.now + _UNTIL_WOKEN)


def discover(ctl: Context) -> Sub[None]:
    """Get 0xD6 of every node profile by multicast, for the appliance monitor that shares the
    Route B network (C24); whoever answers, the lane is free again."""
    yield from ask(Request.get(NODE_PROFILE, _INSTANCE_LIST, multicast=True))


# --- faults [AIF 3.4.1] ---------------------------------------------------------------------


def watch_fault(ctl: Context) -> Sub[None]:
    """Get 0x88 now, and while the meter reports a fault every ``fault_check_interval``, in
    case its 0x42 notification is lost."""
    interval = timedelta(seconds=ctl.config.fault_check_interval)
    while True:
        answer = yield from ask(Request.get(meter_eoj(ctl), 0x88))
        edt = answer.values().get(0x88)
        status = None if edt is None else ctl.decode(meter.FAULT_STATUS, edt)
        if status is not None:
            ctl.fault_status(status)
            suspects, ctl.meter.suspects = ctl.meter.suspects, set()
            if status is FaultStatus.NO_FAULT:  # refused in good health: not served (C36)
                for epc in sorted(suspects):
                    ctl.refuse(epc, "with no fault")
        if not ctl.meter.in_fault and status is not None:
            return
        yield Sleep(ctl.now + interval)


# --- history and recovery [AIF 3.3.3, 3.3.5] ------------------------------------------------


def recovery(ctl: Context) -> Sub[None]:
    """Fill what is missing from the meter's history, after every half-hour's fetch and when
    woken (start-up, fault over, meter restarted)."""
    yield from _history_known(ctl)
    after = timedelta(seconds=ctl.config.fetch_after)
    while True:
        yield from backfill_half_hours(ctl)
        if not ctl.meter.in_fault:
            yield from backfill_minutes(ctl)
        now = ctl.meter_now
        yield Sleep(
            ctl.at_meter_time(floor_half_hour(now - after) + HALF_HOUR + after + _RECOVERY_LAG)
        )


def history_series(ctl: Context) -> list[Series]:
    epcs = ctl.meter.plan.history_epcs
    return [s for s in HALF_HOUR_SERIES if s in epcs and ctl.meter.readable(epcs[s])]


def backfill_half_hours(ctl: Context) -> Sub[None]:
    """Work out the missing half-hours, open gaps for them, fetch their days newest first.

    The newest day missing something is chosen again after every day, so that a half-hour
    lost while the deep backfill runs (today, yesterday) comes before older days (C34)."""
    config = ctl.config
    now = ctl.meter_now
    # The running half-hour's boundary is 3.3.1's (fetch_scheduled); every earlier one is ours,
    # including the one before it when the controller starts (or wakes) after its :05/:35.
    end = floor_half_hour(now)
    start = day_start(now.date() - timedelta(days=config.history_days))
    series = history_series(ctl)
    for one in series:
        begun = ctl.coverage.earliest_real(one)
        if begun is not None:
            for key in ctl.coverage.open_new_gaps([one], max(begun, start), end):
                ctl.emit(GapOpened(*key))
    reachable_from: datetime | None = None
    if ctl.meter.retained_days <= HISTORY_DAY_MAX:
        reachable_from = day_start(
            ctl.meter_now.date() - timedelta(days=ctl.meter.retained_days - 1)
        )
    # A day again once a newer half-hour is due, or a reading of it is newly disputed.
    tried: set[tuple[date, datetime, int]] = set()
    ctl.backfill_started(len(_days_missing(ctl, series, start, end, tried)))
    while True:
        end = floor_half_hour(ctl.meter_now)
        # A disputed half-hour is fetched however new: it is held, so it is no longer 3.3.1's.
        disputes_until = ctl.meter_now + HALF_HOUR
        days = _days_missing(ctl, series, start, end, tried, disputes_until)
        if not days:
            break
        day = days[0]
        tried.add(_attempt(ctl, day, end))
        ctl.backfill_progress(len(tried) - 1, day)
        next_day = day_start(day) + timedelta(days=1)
        wanted = ctl.coverage.missing_days(
            series, day_start(day), min(end, next_day), min(disputes_until, next_day)
        )
        of_series = ctl.meter.plan.history_epcs
        epcs = [of_series[s] for s in series if s in wanted.get(day, ())]
        result = yield from fetch_day(ctl, day, epcs)
        if result is DayResult.OUT_OF_RANGE:
            reachable_from = day_start(day + timedelta(days=1))
            break
        if result is DayResult.FAULT:
            return
        midnight = day_start(day)
        if result is DayResult.DONE and not ctl.coverage.any_real(
            series, midnight, midnight + timedelta(days=1)
        ):
            # A whole day without a value: the meter holds nothing older (C37).
            ctl.meter.retained_days = min(ctl.meter.retained_days, ctl.day_offset(day))
            reachable_from = midnight + timedelta(days=1)
            break
    ctl.backfill_progress(len(tried), None)
    for (one, start_at, end_at), filled in ctl.coverage.settle_gaps(reachable_from):
        ctl.emit(GapSettled(one, start_at, end_at, filled))


def _attempt(ctl: Context, day: date, end: datetime) -> tuple[date, datetime, int]:
    disputed = sum(1 for _, at in ctl.coverage.disputed if at.date() == day)
    return day, end, disputed


def _days_missing(
    ctl: Context,
    series: Sequence[Series],
    start: datetime,
    end: datetime,
    tried: set[tuple[date, datetime, int]],
    disputes_until: datetime | None = None,
) -> list[date]:
    """The days with a half-hour missing before ``end`` (or disputed before
    ``disputes_until``) that the meter may hold and this pass has not tried for this ``end``
    yet, newest first."""
    days = ctl.coverage.missing_days(series, start, end, disputes_until)
    return sorted(
        (
            day
            for day in days
            if ctl.day_offset(day) < ctl.meter.retained_days
            and _attempt(ctl, day, end) not in tried
        ),
        reverse=True,
    )


def fetch_day(ctl: Context, day: date, epcs: Sequence[int]) -> Sub[DayResult]:
    """Fig 3-7: SetC E1 = the day, then each history EPC alone; a history is used only when
    its day is the one set [AIF 3.3.3]. A mismatch (another controller set E1 meanwhile) is
    retried after a jittered back-off, at most ``history_retries`` times."""
    eoj = meter_eoj(ctl)
    plan = ctl.meter.plan
    remaining = list(epcs)
    failures = 0  # timeouts and mismatches: a timed-out request goes again at once
    mismatches = 0  # only these back off [AIF 3.3.3]
    while remaining and failures < ctl.config.history_retries:
        yield from _away_from_midnight(ctl)
        offset = ctl.day_offset(day)
        if offset > HISTORY_DAY_MAX or offset >= ctl.meter.retained_days:
            return DayResult.OUT_OF_RANGE
        selected_on = ctl.meter_now.date()
        selector = plan.day_selector
        answer = yield from ask(Request.setc(eoj, selector.epc, selector.encode(offset)))
        if answer.timed_out:
            failures += 1
            continue
        if not answer.accepted:
            ctl.meter.retained_days = offset
            return DayResult.OUT_OF_RANGE
        while remaining and failures < ctl.config.history_retries:
            epc = remaining[0]
            answer = yield from ask(Request.get(eoj, epc))
            if answer.timed_out:
                failures += 1
                continue
            edt = answer.values().get(epc)
            if edt is None:
                ctl.suspect_fault(answer)
                return DayResult.FAULT
            history = ctl.decode(plan.day_histories[epc][0], edt)
            if history is None:
                failures += 1
                continue
            if history.day == offset and ctl.meter_now.date() == selected_on:
                ctl.take_values({epc: edt}, Source.HISTORY, day=day, evidence=evidence(answer))
                remaining.pop(0)
                continue
            failures += 1
            if history.day != offset:
                mismatches += 1
                ctl.emit(
                    Warned(
                        f"0x{epc:02X} came for day {history.day}, not {offset}: "
                        "E1 changed meanwhile (another controller?); retrying"
                    )
                )
                yield Sleep(ctl.now + ctl.backoff(mismatches))
            break  # select the day again
    return DayResult.GAVE_UP if remaining else DayResult.DONE


def _away_from_midnight(ctl: Context) -> Sub[None]:
    """Wait while the meter's date is about to change or just changed: an E1 day set then
    could name another date by the time the history is read."""
    now = ctl.meter_now
    midnight = datetime.combine(now.date() + timedelta(days=1), time())
    if now >= midnight - _MIDNIGHT_GUARD:
        yield Sleep(ctl.at_meter_time(midnight + _MIDNIGHT_GUARD))
    elif now < day_start(now.date()) + _MIDNIGHT_GUARD:
        yield Sleep(ctl.at_meter_time(day_start(now.date()) + _MIDNIGHT_GUARD))


def backfill_minutes(ctl: Context) -> Sub[None]:
    """Fill missing one-minute values (D0) from ED, ten minutes per request [AIF 3.3.5]."""
    hours = ctl.config.minute_history_hours
    first = ctl.coverage.earliest_real(Series.MINUTE_ENERGY_NORMAL)
    if hours <= 0 or first is None:
        return
    end = ctl.meter_now.replace(second=0, microsecond=0) - MINUTE  # the latest is D0's job
    start = max(first, end - timedelta(hours=hours))
    missing = _missing_minutes(ctl, start, end)
    while missing:
        newest = missing[-1]
        result = yield from fetch_minutes(ctl, newest)
        if result is not DayResult.DONE:
            return
        missing = [at for at in _missing_minutes(ctl, start, end) if at < newest]


def _missing_minutes(ctl: Context, start: datetime, end: datetime) -> list[datetime]:
    coverage = ctl.coverage
    normal = coverage.to_fetch(Series.MINUTE_ENERGY_NORMAL, start, end)
    reverse = coverage.to_fetch(Series.MINUTE_ENERGY_REVERSE, start, end)
    return sorted(set(normal) | set(reverse))


def fetch_minutes(ctl: Context, newest: datetime) -> Sub[DayResult]:
    """Fig 3-9: SetC EF = (newest, 10), then Get ED; used only when ED starts at the minute
    set [AIF 3.3.5]."""
    eoj = meter_eoj(ctl)
    plan = ctl.meter.plan
    data = plan.minute_history
    selector = plan.minute_selector.encode(HistorySelector(newest, _SEGMENTS))
    failures = 0
    while failures < ctl.config.history_retries:
        answer = yield from ask(Request.setc(eoj, plan.minute_selector.epc, selector))
        if answer.timed_out:
            failures += 1
            continue
        if not answer.accepted:
            return DayResult.OUT_OF_RANGE
        answer = yield from ask(Request.get(eoj, data.epc))
        if answer.timed_out:
            failures += 1
            continue
        edt = answer.values().get(data.epc)
        if edt is None:
            ctl.suspect_fault(answer)
            return DayResult.FAULT
        history = ctl.decode(data, edt)
        if history is not None and history.start == newest:
            ctl.take_values({data.epc: edt}, Source.HISTORY, evidence=evidence(answer))
            return DayResult.DONE
        ctl.emit(
            Warned(
                f"0x{data.epc:02X} did not start at the minute set in "
                f"0x{plan.minute_selector.epc:02X}: it changed; retrying"
            )
        )
        failures += 1
        yield Sleep(ctl.now + ctl.backoff(failures))
    return DayResult.GAVE_UP
