"""Bounded coverage-guided fuzzing of the frame, property-map and list decoders (atheris).

The harness runs in a subprocess, so that a crash or libFuzzer's own exit cannot take pytest
down, for about 20 seconds. The test fails if the harness finds a crash (the input is in the
failure message) and also if it ran too few inputs, so it cannot pass without fuzzing.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

HARNESS = Path(__file__).resolve().parent / "fuzz_frame.py"
FUZZ_SECONDS = 10
MIN_RUNS = 1000

_DONE = re.compile(r"^Done (\d+) runs in (\d+) second", re.MULTILINE)
_UNITS = re.compile(r"^stat::number_of_executed_units:\s*(\d+)", re.MULTILINE)

pytestmark = [
    pytest.mark.fuzz,
    pytest.mark.skipif(
        importlib.util.find_spec("atheris") is None,
        reason="atheris is not installed (pip install -e '.[test]' on Linux)",
    ),
]


def _executed_runs(output: str) -> int | None:
    for pattern in (_UNITS, _DONE):
        matches = list(pattern.finditer(output))
        if matches:
            return int(matches[-1].group(1))
    return None


def _crash_inputs(artifacts: Path) -> str:
    return "\n".join(
        f"{path.name}: {path.read_bytes().hex()}" for path in sorted(artifacts.glob("*-*"))
    )


def test_fuzz_decoders(tmp_path: Path, record_property: pytest.RecordProperty) -> None:
    corpus, artifacts = tmp_path / "corpus", tmp_path / "artifacts"
    artifacts.mkdir()
    proc = subprocess.run(
        [
            sys.executable,
            str(HARNESS),
            f"-max_total_time={FUZZ_SECONDS}",
            "-rss_limit_mb=2048",
            "-timeout=10",
            "-max_len=4096",
            "-print_final_stats=1",
            f"-artifact_prefix={artifacts}/",
            str(corpus),
        ],
        capture_output=True,
        text=True,
        timeout=FUZZ_SECONDS + 120,
        check=False,
    )
    output = proc.stdout + proc.stderr
    tail = "\n".join(output.splitlines()[-60:])
    assert proc.returncode == 0, (
        f"fuzzing failed (exit {proc.returncode}); crash inputs:\n"
        f"{_crash_inputs(artifacts) or 'none written'}\n--- output tail ---\n{tail}"
    )
    runs = _executed_runs(output)
    assert runs is not None, f"no run count in the libFuzzer output:\n{tail}"
    record_property("fuzz_runs", runs)
    print(f"fuzz_frame: {runs} inputs in about {FUZZ_SECONDS} s")
    assert runs > MIN_RUNS, f"only {runs} inputs executed; the harness did not really fuzz"
    assert any(corpus.iterdir()), "the seed corpus was not written"
