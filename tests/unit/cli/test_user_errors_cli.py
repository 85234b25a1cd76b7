"""User errors of the smaller commands (issue 17, section 5): one line on stderr and exit 2,
never a traceback, and never a command that starts when it cannot do its job.

- ``meter --start`` before 2000 (the meter's time line starts then) or at datetime's limits;
- ``get``/``set --timeout`` and ``discover --wait`` that are not a positive number of seconds;
- ``meter --state`` where the state cannot be saved: refused at start, not noticed at the
  first save while the meter runs on without it;
- ``export`` of a range longer than the dashboard's 400 days, or at datetime's limits.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from hemsnet.cli.main import main
from hemsnet.store import Store
from tests.unit.store.builders import add_exported_meter

OUTSIDE = "is outside 2000-01-01 .. 2099-12-31"


def usage_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """The error line argparse prints for ``argv`` (exit 2, after the usage)."""
    with pytest.raises(SystemExit) as done:
        main(argv)
    assert done.value.code == 2
    usage, _, line = capsys.readouterr().err.rstrip("\n").rpartition("\n")
    assert usage.startswith("usage: hemsnet ") and "Traceback" not in usage
    return line


@pytest.mark.parametrize(
    ("start", "message"),
    [
        ("1999-12-31T23:59", f"1999-12-31T23:59:00 {OUTSIDE}"),
        ("0001-01-01", f"0001-01-01T00:00:00 {OUTSIDE}"),
        ("9999-12-31T23:59:59", f"9999-12-31T23:59:59 {OUTSIDE}"),
    ],
)
def test_meter_start_outside_the_window(
    start: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    line = usage_error(["meter", "--iface", "lo", "--start", start], capsys)
    assert line == f"hemsnet meter: error: argument --start: {message}"


@pytest.mark.parametrize("command", ["get", "set"])
@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-1", "-1: seconds must be in (0, 86400]"),
        ("0", "0: seconds must be in (0, 86400]"),
        ("nan", "nan: seconds must be in (0, 86400]"),
        ("inf", "inf: seconds must be in (0, 86400]"),
        ("1e9", "1e9: seconds must be in (0, 86400]"),
        ("soon", "'soon' is not a number of seconds"),
    ],
)
def test_timeouts_are_positive_seconds(
    command: str, value: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    operand = "80" if command == "get" else "80=30"
    argv = [command, "--iface", "lo", "::1", "028F01", operand, "--timeout", value]
    assert usage_error(argv, capsys) == f"hemsnet {command}: error: argument --timeout: {message}"


def test_discover_wait_is_positive_seconds(capsys: pytest.CaptureFixture[str]) -> None:
    line = usage_error(["discover", "--iface", "lo", "--wait", "-1"], capsys)
    assert line == "hemsnet discover: error: argument --wait: -1: seconds must be in (0, 86400]"


def _meter(state: Path) -> subprocess.CompletedProcess[str]:
    """``hemsnet meter`` with ``state``, in a process: unfixed, it would serve until killed."""
    command = [sys.executable, "-m", "hemsnet", "meter", "--iface", "lo", "--state", str(state)]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize(
    ("where", "reason"),
    [
        (Path("/sys/hemsnet-meter.json"), "Permission denied"),  # even root cannot write there
        (Path("no-such-folder/meter.json"), "No such file or directory"),
    ],
)
def test_meter_refuses_a_state_file_it_cannot_write(
    where: Path, reason: str, tmp_path: Path
) -> None:
    state = where if where.is_absolute() else tmp_path / where
    done = _meter(state)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == f"hemsnet meter: cannot write the state file {state}: {reason}\n"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "is not valid JSON"),
        ("[]", "does not hold a meter state"),
        (json.dumps({"version": 0}), "the state file is damaged: no save time"),
    ],
)
def test_meter_refuses_a_state_file_it_cannot_read(
    content: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "meter.json"
    state.write_text(content)
    assert main(["meter", "--iface", "lo", "--state", str(state)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("hemsnet meter: ") and message in err
    assert err.count("\n") == 1
    assert state.read_text() == content  # left as it was
    assert [p.name for p in tmp_path.iterdir()] == ["meter.json"]  # no temporary file left


def test_meter_refuses_a_folder_as_its_state_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["meter", "--iface", "lo", "--state", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err == f"hemsnet meter: cannot read the state file {tmp_path}: Is a directory\n"


def test_meter_refuses_an_interface_given_twice(capsys: pytest.CaptureFixture[str]) -> None:
    """One socket per interface and port: the second would fail to bind, less clearly (H21)."""
    assert main(["meter", "--iface", "lo", "--iface", "lo"]) == 2
    err = capsys.readouterr().err
    assert err == "hemsnet meter: --iface lo given twice (one meter serves an interface once)\n"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "hems.db"
    with Store.open(path) as store:
        add_exported_meter(store)
    return path


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (
            "2000-01-01",
            "2099-12-31",
            "--from 2000-01-01 --to 2099-12-31 is more than 400 days; export it in parts",
        ),
        ("2026-01-01", "2027-02-05T00:00:01", "is more than 400 days; export it in parts"),
        ("0001-01-01", "0001-01-02", f"--from 0001-01-01T00:00:00 {OUTSIDE}"),
        ("9999-12-30", "9999-12-31", f"--from 9999-12-30T00:00:00 {OUTSIDE}"),
        ("2026-11-14", "9999-12-31T23:59", f"--to 9999-12-31T23:59:00 {OUTSIDE}"),
    ],
)
def test_export_ranges_are_capped_and_in_the_window(
    db: Path, start: str, end: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["export", "--db", str(db), "--from", start, "--to", end]
    assert main([*argv, "--quantity", "minute", "--format", "csv"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("hemsnet export: ") and err.endswith(f"{message}\n")
    assert err.count("\n") == 1


def test_export_of_400_days_is_fine(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["export", "--db", str(db), "--from", "2026-01-01", "--to", "2027-02-05"]
    assert main([*argv, "--quantity", "energy", "--format", "csv"]) == 0
    assert capsys.readouterr().out.count("\n") == 1 + 400 * 48
