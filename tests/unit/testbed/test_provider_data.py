"""The live check's look into the provider's database, on a real PostgreSQL: nothing yet
(not even the schema) fails with the reason, the home's readings pass, another home's do not
count."""

from __future__ import annotations

import asyncio

from psycopg import AsyncConnection

from hemsnet.provider.batch import parse_batch
from hemsnet.provider.schema import migrate
from hemsnet.provider.writer import ingest
from hemsnet.testbed.routec_check import ProviderData, wait_for_provider_data
from tests.postgres import postgres, postgres_server
from tests.provider_home import NOW, T0, batch, half_hours

__all__ = ["postgres", "postgres_server"]  # the fixtures, used by name

APPLIANCE = {"kind": "appliance_reading", "appliance": "fe80::4:3", "eoj": "027d01",
             "at": T0.isoformat(), "watts": 1200, "operating": True}  # fmt: skip


def store(url: str, home: str, records: list[dict[str, object]]) -> None:
    async def main() -> None:
        async with await AsyncConnection.connect(url, autocommit=True) as connection:
            await migrate(connection)
            if records:
                await ingest(connection, [parse_batch(home, batch(home, records), NOW)])

    asyncio.run(main())


def test_nothing_in_the_database_fails_with_the_reason(postgres: str) -> None:
    data = wait_for_provider_data(postgres, ProviderData("hems", appliances=False), 0.3)
    assert not data.complete
    assert data.report().startswith("Route C: only 0 readings and 0 appliance readings of home "
                                    "hems in the provider's database (")  # fmt: skip
    assert '"reading" does not exist' in data.report()


def test_the_homes_readings_pass_and_another_homes_do_not_count(postgres: str) -> None:
    store(postgres, "other", [*half_hours(1, 3), {**APPLIANCE, "seq": 4}])
    store(postgres, "hems", half_hours(1, 2))
    meter_only = wait_for_provider_data(postgres, ProviderData("hems", appliances=True), 0.3)
    assert not meter_only.complete  # the appliances' readings are expected too
    assert meter_only.report() == (
        "Route C: only 2 readings and 0 appliance readings of home hems in the provider's database"
    )

    store(postgres, "hems", [{**APPLIANCE, "seq": 3}])
    data = wait_for_provider_data(postgres, ProviderData("hems", appliances=True), 5.0)

    assert data.complete
    assert data.latest is not None
    assert data.report() == (
        "Route C: 2 readings and 1 appliance readings of home hems in the provider's database "
        f"(latest received at {data.latest:%H:%M:%S})"
    )
