"""``hemsnet control``: the override written into a real store, the decisions listed, and
bad input refused in one line."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from hemsnet.cli.main import main
from hemsnet.store import Store

CONFIG = """
[demand]
target_kw = 380

[[demand.appliance]]
name = "aircon-2f"
eoj = "013001"
action = "power-saving"
"""


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    db, config = tmp_path / "hems.db", tmp_path / "hemsnet.toml"
    Store.open(db).close()
    config.write_text(CONFIG)
    return db, config


def test_pause_and_resume_write_the_override(
    files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    db, config = files
    assert main(["control", "pause", "aircon-2f", "--db", str(db), "--config", str(config)]) == 0
    with Store.open(db) as store:
        assert store.overrides() == {"aircon-2f": True}
    assert main(["control", "resume", "aircon-2f", "--db", str(db)]) == 0
    with Store.open(db) as store:
        assert store.overrides() == {"aircon-2f": False}
    assert "aircon-2f resumed" in capsys.readouterr().out


def test_actions_are_listed(files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    db, _ = files
    with Store.open(db) as store:
        row = store.record_action(
            datetime.now(),
            "aircon-2f",
            "shed",
            1,
            "projected 420 kW over the 380 kW target",
            (0x8F, b"\x41"),
            380.0,
            (420.0, 440.0, 400.0),
            2200,
        )
        store.settle_action(row, "accepted", "", datetime.now())
    assert main(["control", "actions", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "shed    aircon-2f  step 1  projected 420 kW  accepted  projected 420 kW over" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["pause"], "control pause: name the appliance"),
        (["pause", "heater", "--config", "{config}"], "'heater' is not in [demand]"),
        (["actions", "--hours", "0"], "--hours must be positive"),
        (["pause", "x", "--db", "{missing}"], "no database at"),
    ],
)
def test_bad_input_is_one_line(
    files: tuple[Path, Path],
    tmp_path: Path,
    argv: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db, config = files
    argv = [a.format(config=config, missing=tmp_path / "none.db") for a in argv]
    if "--db" not in argv:
        argv += ["--db", str(db)]
    assert main(["control", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
