"""The state file: registers and history survive a restart, energy never goes backwards."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from hemsnet.aio.state_file import load_state, save_state
from hemsnet.errors import ConfigError
from hemsnet.meter.config import MeterConfig
from hemsnet.meter.engine import MeterEngine
from tests.unit.meter.sim import START, get, later, meter, setc


def restart(engine: MeterEngine, path: Path, down: timedelta, **config: object) -> MeterEngine:
    save_state(path, engine.snapshot())
    state = load_state(path)
    assert state is not None
    return MeterEngine(
        MeterConfig(**config),  # type: ignore[arg-type]
        now=engine.now + down,
        seed=engine.seed,
        state=state,
    )


def test_a_restart_keeps_history_and_registers(tmp_path: Path) -> None:
    engine = meter(installed=START - timedelta(days=2))
    later(engine, hours=5)
    setc(engine, 0x81, b"\x11")
    before = {day: _history(engine, day) for day in (0, 1, 2)}
    present = get(engine, 0xE2).value(0xE2)
    again = restart(engine, tmp_path / "meter.json", timedelta(0))
    assert {day: _history(again, day) for day in (0, 1, 2)} == before
    assert get(again, 0xE2).value(0xE2).normal >= present.normal
    assert get(again, 0x81).reply.properties[0].edt == b"\x11"


def test_time_down_is_caught_up_as_if_the_meter_had_run(tmp_path: Path) -> None:
    continuous = meter(installed=START - timedelta(days=1))
    later(continuous, hours=6)
    restarted = meter(installed=START - timedelta(days=1))
    later(restarted, hours=1)
    restarted = restart(restarted, tmp_path / "meter.json", timedelta(hours=5))
    assert _history(restarted, 0) == _history(continuous, 0)
    assert get(restarted, 0xD0).value(0xD0) == get(continuous, 0xD0).value(0xD0)


def test_a_state_from_other_units_is_refused(tmp_path: Path) -> None:
    engine = meter()
    with pytest.raises(ConfigError, match="other units"):
        restart(engine, tmp_path / "meter.json", timedelta(0), energy_unit=0x02)


def test_a_state_later_than_the_clock_is_refused(tmp_path: Path) -> None:
    engine = meter()
    later(engine, hours=1)
    with pytest.raises(ConfigError, match="later than the meter clock"):
        restart(engine, tmp_path / "meter.json", timedelta(hours=-1))


def test_a_damaged_state_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "meter.json"
    assert load_state(path) is None
    path.write_text("{not json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        load_state(path)
    path.write_text("[]")
    with pytest.raises(ConfigError, match="does not hold"):
        load_state(path)
    state = meter().snapshot()
    state["registers"]["minutes"] = "!!"
    path.write_text(json.dumps(state))
    loaded = load_state(path)
    assert loaded is not None
    with pytest.raises(ConfigError, match="damaged"):
        MeterEngine(MeterConfig(), now=START, state=loaded)


def test_the_file_is_replaced_atomically(tmp_path: Path) -> None:
    path = tmp_path / "meter.json"
    save_state(path, {"a": 1})
    save_state(path, {"a": 2})
    assert json.loads(path.read_text()) == {"a": 2}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["meter.json"]


def _history(engine: MeterEngine, day: int) -> list[object]:
    setc(engine, 0xE1, bytes([day]))
    return [get(engine, epc).value(epc) for epc in (0xE7, 0xE8, 0xC6, 0xC8, 0xCE, 0xCF)]
