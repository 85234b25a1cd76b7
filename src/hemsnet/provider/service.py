"""``hemsnet provider`` at run time: the workers on the shared subscription, the fleet API, and
a clean stop.

Worker 1 runs in this process, beside the fleet API; workers 2..N are processes of their own
(spawned: a clean interpreter each, so they use both cores), watched and started again if one
dies. A stop (SIGINT, SIGTERM) stops the local worker and sends SIGTERM to the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import signal
import socket
import ssl
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Final

from hemsnet.aio.clock import wait_for_stop
from hemsnet.provider.api import build_app
from hemsnet.provider.consumer import Consumer
from hemsnet.provider.fields import DEFAULT_WINDOW, TimeWindow
from hemsnet.uplink.config import Broker
from hemsnet.web.app import serve

__all__ = ["ProviderConfig", "run_provider", "run_worker"]

log = logging.getLogger(__name__)

_WATCH_EVERY: Final = 1.0  # s between looks at the worker processes
_STOP_WITHIN: Final = 10.0  # s a worker process has to stop before it is killed


@dataclass(frozen=True, slots=True)
class ProviderConfig:
    """What ``hemsnet provider`` was given (it holds secrets: never log it whole)."""

    broker: Broker
    database_url: str
    ca_file: Path | None = None
    workers: int = 1
    token: str = ""
    window: TimeWindow = DEFAULT_WINDOW
    log_level: int = logging.WARNING  # of the worker processes, as -v set it here

    def consumer(self, index: int) -> Consumer:
        tls = None
        if self.broker.tls:
            tls = ssl.create_default_context(cafile=None if self.ca_file is None else self.ca_file)
        return Consumer(
            self.broker,
            self.database_url,
            client_id=f"hemsnet-provider-{socket.gethostname()}-{os.getpid()}-{index}"[:64],
            tls=tls,
            window=self.window,
        )


async def run_provider(
    config: ProviderConfig, web: socket.socket | None, stop: asyncio.Event
) -> None:
    """Worker 1 and the fleet API (on ``web``, when given) here, the others in processes."""
    tasks = [asyncio.create_task(config.consumer(1).run(stop))]
    if web is not None:
        tasks.append(
            asyncio.create_task(serve(build_app(config.database_url, config.token), web, stop))
        )
    tasks.append(asyncio.create_task(_watch_workers(config, stop)))
    await asyncio.gather(*tasks)


async def _watch_workers(config: ProviderConfig, stop: asyncio.Event) -> None:
    context = multiprocessing.get_context("spawn")
    processes: dict[int, BaseProcess] = {}
    try:
        while not stop.is_set():
            for index in range(2, config.workers + 1):
                process = processes.get(index)
                if process is not None and process.is_alive():
                    continue
                if process is not None:
                    log.warning("worker %d stopped (exit code %s); starting it again", index,
                                process.exitcode)  # fmt: skip
                process = context.Process(
                    target=run_worker, args=(config, index), name=f"hemsnet-provider-{index}"
                )
                process.start()
                processes[index] = process
            await wait_for_stop(stop, _WATCH_EVERY)
    finally:
        for process in processes.values():
            if process.is_alive():
                process.terminate()
        for process in processes.values():
            await asyncio.to_thread(process.join, _STOP_WITHIN)
            if process.is_alive():
                process.kill()
                await asyncio.to_thread(process.join)


def run_worker(config: ProviderConfig, index: int) -> None:
    """A worker process: one consumer until SIGTERM or SIGINT."""
    logging.basicConfig(
        level=config.log_level,
        format=f"%(asctime)s %(levelname)s %(name)s[worker {index}]: %(message)s",
    )

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await config.consumer(index).run(stop)

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
