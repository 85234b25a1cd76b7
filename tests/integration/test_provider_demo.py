"""``hemsnet provider-demo``: a real broker, PostgreSQL, the provider and simulated homes start;
the homes' readings show on the fleet API; Ctrl-C stops every process and removes the folder."""

from __future__ import annotations

import json
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hemsnet.testbed.provider_stack import stack_missing

STARTS_WITHIN = 90.0  # s: initdb, two servers, the provider and its workers, the fleet
DATA_WITHIN = 60.0  # s for both homes' first readings to be in the provider's database
STOPS_WITHIN = 60.0


class Demo:
    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "hemsnet", "provider-demo", "--homes", "2", "--speed",
             "3600", "--workers", "1", "--web", "127.0.0.1:0"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip())

    def line(self, pattern: str, within: float) -> re.Match[str]:
        deadline = time.monotonic() + within
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            self.seen.append(line)
            if found := re.search(pattern, line):
                return found
        raise AssertionError(f"no line like {pattern!r}; the demo said: {self.seen[-10:]}")


@pytest.fixture
def demo() -> Iterator[Demo]:
    missing = stack_missing()
    if missing is not None:
        pytest.skip(f"the provider demo cannot run here: {missing}")
    running = Demo()
    try:
        yield running
    finally:
        if running.proc.poll() is None:
            running.proc.kill()
            running.proc.wait()


def homes(url: str) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"{url}api/homes", timeout=10) as answer:
        return list(json.load(answer)["homes"])


def filled(listed: list[dict[str, Any]]) -> bool:
    return len(listed) == 2 and all(h["readings"] > 0 and h["link"]["state"] for h in listed)


def test_the_demo_starts_fills_the_fleet_page_and_stops_cleanly(demo: Demo) -> None:
    folder = Path(demo.line(r"-> (/\S+?)/postgres:", STARTS_WITHIN)[1])
    url = demo.line(r"the fleet page is (http\S+)", STARTS_WITHIN)[1]
    demo.line(r"running; Ctrl-C stops it", STARTS_WITHIN)
    deadline = time.monotonic() + DATA_WITHIN
    while not filled(listed := homes(url)):  # the page is polled, as a browser would
        assert time.monotonic() < deadline, f"the homes did not fill the page: {listed}"
        time.sleep(0.2)
    assert {h["home"] for h in listed} == {"h00000", "h00001"}
    assert {h["link"]["state"] for h in listed} == {"online"}
    demo.proc.send_signal(signal.SIGINT)
    assert demo.proc.wait(STOPS_WITHIN) == 0
    demo.line(r"stopped, and its folder removed", 5)
    assert not folder.exists()
    left = subprocess.run(["pgrep", "-f", str(folder)], capture_output=True, text=True, check=False)
    assert left.stdout == "", f"processes left behind: {left.stdout}"
