"""The disk writer: jobs in order on one thread, all of them done by close, failures logged."""

from __future__ import annotations

import logging
import threading

import pytest

from hemsnet.aio.disk_writer import DiskWriter
from hemsnet.errors import ConfigError


def test_jobs_run_in_order_off_the_callers_thread_and_close_runs_what_is_queued() -> None:
    writer = DiskWriter()
    done: list[tuple[int, str]] = []
    gate = threading.Event()
    writer.start()
    writer.submit(gate.wait)  # holds the thread: every job below is still queued at close
    for n in range(100):
        writer.submit(lambda n=n: done.append((n, threading.current_thread().name)))  # type: ignore[misc]
    gate.set()
    writer.close()
    assert [n for n, _ in done] == list(range(100))
    assert {name for _, name in done} == {"hemsnet-disk"}


def test_a_failed_job_is_logged_and_the_next_ones_run(caplog: pytest.LogCaptureFixture) -> None:
    writer = DiskWriter()
    done: list[str] = []

    def disk_full() -> None:
        raise ConfigError("cannot write the state file meter.json: No space left on device")

    def bug() -> None:
        raise KeyError("oops")

    writer.start()
    with caplog.at_level(logging.ERROR, logger="hemsnet.aio.disk_writer"):
        writer.submit(disk_full)
        writer.submit(bug)
        writer.submit(lambda: done.append("after"))
        writer.close()
    assert done == ["after"]
    one_line, with_traceback = caplog.records
    assert one_line.getMessage().endswith("No space left on device") and not one_line.exc_info
    assert with_traceback.exc_info is not None
