"""run_together: the services of one command start together and stop together."""

from __future__ import annotations

import asyncio

import pytest

from hemsnet.aio.services import run_together


def test_a_service_that_fails_stops_the_others_and_its_error_is_raised() -> None:
    stopped: list[str] = []

    async def patient(stop: asyncio.Event) -> None:
        await stop.wait()
        stopped.append("patient")

    async def failing(stop: asyncio.Event) -> None:
        raise OSError("port in use")

    with pytest.raises(OSError, match="port in use"):
        asyncio.run(run_together([patient, failing], asyncio.Event()))
    assert stopped == ["patient"]  # it ended through stop, not by cancellation


def test_all_services_end_when_stop_is_set() -> None:
    ended: list[int] = []

    async def service(stop: asyncio.Event, n: int) -> None:
        await stop.wait()
        ended.append(n)

    async def main() -> None:
        stop = asyncio.Event()
        services = [lambda s, n=n: service(s, n) for n in range(3)]
        task = asyncio.create_task(run_together(services, stop))
        stop.set()
        await asyncio.wait_for(task, 5)

    asyncio.run(main())
    assert sorted(ended) == [0, 1, 2]
