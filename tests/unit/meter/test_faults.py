"""Fault plans: the TOML file, the command-line windows, validation with key paths."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from hemsnet.errors import ConfigError
from hemsnet.meter.faults import (
    MAX_DELAY_S,
    FaultPlan,
    Window,
    load_fault_plan,
    parse_fault_plan,
    parse_window,
)
from tests.conftest import REPO

EXAMPLE = REPO / "examples" / "faults.toml"
T10 = datetime(2026, 11, 21, 10, 0)
JST = timezone(timedelta(hours=9))


def _refused(data: dict[str, Any], path: str, *fragments: str) -> str:
    """The message of the ConfigError ``data`` raises; it names the source and ``path``."""
    with pytest.raises(ConfigError) as info:
        parse_fault_plan(data, "faults.toml")
    message = str(info.value)
    assert message.startswith(f"faults.toml: {path}: "), message
    for fragment in fragments:
        assert fragment in message, message
    return message


# --- Window -----------------------------------------------------------------------------------


def test_window_is_half_open() -> None:
    window = Window(T10, T10 + timedelta(minutes=30))
    assert window.contains(T10)
    assert window.contains(T10 + timedelta(minutes=29, seconds=59))
    assert not window.contains(T10 + timedelta(minutes=30))
    assert not window.contains(T10 - timedelta(microseconds=1))


def test_window_end_must_follow_start() -> None:
    with pytest.raises(ConfigError, match="end 2026-11-21T10:00:00 is not after start"):
        Window(T10, T10)
    with pytest.raises(ConfigError, match="is not after start"):
        Window(T10, T10 - timedelta(minutes=1))


def test_window_refuses_aware_times() -> None:
    with pytest.raises(ConfigError, match=r"start 2026-11-21T10:00:00\+09:00 has a UTC offset"):
        Window(T10.replace(tzinfo=JST), T10 + timedelta(hours=1))
    with pytest.raises(ConfigError, match=r"end .* has a UTC offset"):
        Window(T10, (T10 + timedelta(hours=1)).replace(tzinfo=JST))


# --- FaultPlan --------------------------------------------------------------------------------


def test_default_plan_alters_nothing() -> None:
    assert not FaultPlan().alters_answers
    assert parse_fault_plan({}) == FaultPlan()
    assert parse_fault_plan({"drop": {}, "delay": {}, "inject": {}}) == FaultPlan()


@pytest.mark.parametrize(
    ("change", "alters"),
    [
        ({"drop_requests": 0.1}, True),
        ({"drop_responses": 1.0}, True),
        ({"delay_max": 0.5}, True),
        ({"partial_opc": 0.01}, True),
        ({"duplicate_inf": 0.5}, False),
        ({"silent": (Window(T10, T10 + timedelta(minutes=1)),)}, False),
        ({"faults": (Window(T10, T10 + timedelta(minutes=1)),)}, False),
    ],
)
def test_which_faults_alter_answers(change: dict[str, Any], alters: bool) -> None:
    plan = FaultPlan(**change)
    assert plan != FaultPlan()
    assert plan.alters_answers is alters


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"drop_requests": 1.5}, "drop_requests: 1.5 is not a probability"),
        ({"drop_responses": -0.1}, "drop_responses: -0.1 is not a probability"),
        ({"partial_opc": 2}, "partial_opc: 2 is not a probability"),
        ({"duplicate_inf": float("nan")}, "duplicate_inf: nan is not a probability"),
        ({"delay_min": 2.0, "delay_max": 1.0}, "delay: 2.0..1.0 s is not a range within 0..60 s"),
        ({"delay_min": -1.0}, "delay: -1.0..0.0 s"),
        ({"delay_max": 61.0}, "delay: 0.0..61.0 s"),
    ],
)
def test_plans_built_from_flags_are_checked(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        FaultPlan(**change)


# --- the example and files ----------------------------------------------------------------------


def test_example_plan() -> None:
    assert load_fault_plan(EXAMPLE) == FaultPlan(
        drop_requests=0.2,
        drop_responses=0.1,
        delay_min=0.5,
        delay_max=2.0,
        partial_opc=0.05,
        duplicate_inf=0.5,
        silent=(Window(T10, datetime(2026, 11, 21, 10, 30)),),
        faults=(Window(datetime(2026, 11, 21, 12, 0), datetime(2026, 11, 21, 12, 45)),),
    )


def test_load_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "plan.toml"
    with pytest.raises(ConfigError, match=re.escape(f"{path}: no such file")):
        load_fault_plan(path)
    path.write_text("[drop]\nrequests = 2\n")
    with pytest.raises(ConfigError, match=re.escape(f"{path}: drop.requests: 2 is out of range")):
        load_fault_plan(path)
    path.write_text("[drop]\n\n\nrequests = \n")
    with pytest.raises(ConfigError, match=r"invalid TOML: .*line 4"):
        load_fault_plan(path)


# --- probabilities and delay ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "key", "field"),
    [
        ("drop", "requests", "drop_requests"),
        ("drop", "responses", "drop_responses"),
        ("inject", "partial_opc", "partial_opc"),
        ("inject", "duplicate_inf", "duplicate_inf"),
    ],
)
def test_probabilities(table: str, key: str, field: str) -> None:
    for value in (0, 0.25, 1):
        plan = parse_fault_plan({table: {key: value}})
        assert getattr(plan, field) == value
        assert isinstance(getattr(plan, field), float)
    for bad in (-0.01, 1.01):
        _refused({table: {key: bad}}, f"{table}.{key}", f"{bad} is out of range (expected 0..1)")
    _refused({table: {key: "0.5"}}, f"{table}.{key}", "expected a number, got a string '0.5'")
    _refused({table: {key: True}}, f"{table}.{key}", "expected a number, got a boolean true")


def test_delay() -> None:
    plan = parse_fault_plan({"delay": {"min": 0.5, "max": 60}})
    assert (plan.delay_min, plan.delay_max) == (0.5, MAX_DELAY_S)
    assert parse_fault_plan({"delay": {"max": 3}}).delay_min == 0.0


def test_delay_min_alone_is_a_fixed_delay() -> None:
    plan = parse_fault_plan({"delay": {"min": 2}})
    assert (plan.delay_min, plan.delay_max) == (2.0, 2.0)


def test_delay_refusals() -> None:
    _refused({"delay": {"min": 3, "max": 2}}, "delay.max", "2 s is less than delay.min (3 s)")
    _refused({"delay": {"min": -1}}, "delay.min", "-1 is out of range (expected 0..60)")
    _refused({"delay": {"max": 60.5}}, "delay.max", "60.5 is out of range (expected 0..60)")
    _refused({"delay": {"min": float("inf")}}, "delay.min", "inf is not a finite number")


def test_unknown_keys() -> None:
    _refused({"drops": {}}, "drops", "unknown table", "did you mean 'drop'?")
    _refused({"drop": {"request": 0.1}}, "drop.request", "did you mean 'requests'?")
    _refused({"inject": {"partial": 0.1}}, "inject.partial", "did you mean 'partial_opc'?")
    _refused({"faults": []}, "faults", "unknown key", "did you mean 'fault'?")
    _refused({"silent": [{"start": T10, "minute": 5}]}, "silent[0].minute", "'minutes'?")
    _refused(
        {"fault": [{"start": T10, "stop": T10}]}, "fault[0].stop", "known: start, end, minutes"
    )


# --- windows in the file ----------------------------------------------------------------------


def test_windows_by_end_and_by_minutes() -> None:
    plan = parse_fault_plan(
        {
            "silent": [
                {"start": T10, "end": datetime(2026, 11, 21, 11, 0)},
                {"start": "2026-11-22T08:15", "minutes": 5},
            ],
            "fault": [{"start": date(2026, 11, 23), "end": "2026-11-23 00:30:00"}],
        }
    )
    assert plan.silent == (
        Window(T10, datetime(2026, 11, 21, 11, 0)),
        Window(datetime(2026, 11, 22, 8, 15), datetime(2026, 11, 22, 8, 20)),
    )
    assert plan.faults == (Window(datetime(2026, 11, 23), datetime(2026, 11, 23, 0, 30)),)


@pytest.mark.parametrize(
    ("window", "path", "fragment"),
    [
        ({"end": T10}, "silent[0].start", "missing: a window needs a start"),
        ({"start": T10}, "silent[0]", "give either end or minutes"),
        ({"start": T10, "end": T10 + timedelta(hours=1), "minutes": 60}, "silent[0]", "either"),
        ({"start": T10, "end": T10}, "silent[0]", "end 2026-11-21T10:00:00 is not after start"),
        ({"start": T10, "minutes": 0}, "silent[0].minutes", "0 is out of range (expected >= 1)"),
        ({"start": T10, "minutes": 1.5}, "silent[0].minutes", "expected an integer, got a float"),
        ({"start": T10.replace(tzinfo=JST), "minutes": 5}, "silent[0]", "has a UTC offset"),
        ({"start": "2026-11-21T10:00+09:00", "minutes": 5}, "silent[0]", "has a UTC offset"),
        ({"start": T10, "end": "tomorrow"}, "silent[0].end", "'tomorrow' is not an ISO date-time"),
        ({"start": 10, "minutes": 5}, "silent[0].start", "expected a local date-time, got an"),
        ({"start": T10.time(), "minutes": 5}, "silent[0].start", "got a time 10:00:00"),
        ({"start": datetime(9999, 12, 31, 23), "minutes": 120}, "silent[0]", "out of range"),
    ],
)
def test_bad_windows(window: dict[str, Any], path: str, fragment: str) -> None:
    _refused({"silent": [window]}, path, fragment)


def test_fault_window_errors_name_their_index() -> None:
    good = {"start": T10, "minutes": 5}
    _refused({"fault": [good, {"start": T10}]}, "fault[1]", "give either end or minutes")


def test_windows_must_be_an_array_of_tables() -> None:
    _refused({"fault": {"start": T10}}, "fault", "expected an array of tables ([[fault]])")
    _refused({"silent": [3]}, "silent[0]", "expected a table, got an integer 3")


# --- windows from the command line ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2026-11-21T12:00/2026-11-21T12:45", (12, 0), (12, 45)),
        ("2026-11-21T12:00+45", (12, 0), (12, 45)),
        ("2026-11-21T12:00:00+1", (12, 0), (12, 1)),
        (" 2026-11-21 12:00 / 2026-11-21 13:00 ", (12, 0), (13, 0)),
        ("2026-11-21T23:30+60", (23, 30), None),
    ],
)
def test_parse_window(text: str, start: tuple[int, int], end: tuple[int, int] | None) -> None:
    window = parse_window(text)
    assert window.start == datetime(2026, 11, 21, *start)
    if end is None:
        assert window.end == datetime(2026, 11, 22, 0, 30)
    else:
        assert window.end == datetime(2026, 11, 21, *end)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("2026-11-21T12:00", "expected START/END or START+MINUTES, e.g. 2026-11-21T12:00/"),
        ("", "expected START/END or START+MINUTES"),
        ("2026-11-21T12:00+09:00", "expected START/END or START+MINUTES"),
        ("2026-11-21T12:00+0", "0 minutes: a window lasts at least 1 minute"),
        ("2026-11-21T12:00/2026-11-21T12:00", "is not after start"),
        ("2026-11-21T13:00/2026-11-21T12:00", "is not after start"),
        ("noon/2026-11-21T12:00", "'noon' is not an ISO date-time"),
        ("2026-11-21T12:00+09:00/2026-11-21T13:00+09:00", "has a UTC offset"),
        ("2026-13-01T12:00+5", "'2026-13-01T12:00' is not an ISO date-time"),
    ],
)
def test_parse_window_refusals(text: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_window(text)
    message = str(info.value)
    assert message.startswith(f"window {text!r}: "), message
    assert fragment in message, message
