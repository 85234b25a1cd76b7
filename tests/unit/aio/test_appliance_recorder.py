"""The appliance monitor's events, written to a real store by the ApplianceRecorder."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from hemsnet.aio.appliance_recorder import ApplianceRecorder, class_name
from hemsnet.controller.config import ApplianceConfig
from hemsnet.echonet.eoj import Eoj
from hemsnet.store import Store
from tests.unit.controller.appliance_sim import T0, HemsNet, appliance, node_of

BATTERY = Eoj(0x02, 0x7D, 0x01)
METER = Eoj(0x02, 0x8F, 0x01)


def test_found_power_and_lost_reach_the_store(tmp_path: Path) -> None:
    battery = appliance(BATTERY, {0x80: b"\x30", 0xD3: (-800).to_bytes(4, "big", signed=True)})
    config = ApplianceConfig(interval=30, timeout=5, retries=0, unreachable_after=1)
    net = HemsNet(config, nodes={"fe80::2": node_of(battery)})
    net.start()
    net.run_for(31)
    net.muted.add("fe80::2")
    net.run_for(35)  # the poll at 60 times out at 65: lost
    with Store.open(tmp_path / "hems.db") as store:
        ApplianceRecorder(store).apply(net.events, T0 + timedelta(seconds=66))
        (stored,) = store.appliances()
        assert (stored.key, stored.eoj, stored.class_name) == (
            "fe80::2",
            "027D01",
            "Storage battery",
        )
        assert not stored.reachable
        polls = store.appliance_readings(stored.id, T0, T0 + timedelta(minutes=1))
        assert [(p.watts, p.operating) for p in polls] == [(-800, True), (-800, True)]


def test_a_class_without_a_table_is_named_by_its_code() -> None:
    assert class_name(METER) == "Bidirectional high-voltage smart electric energy meter"
    assert class_name(Eoj(0x01, 0x35, 0x01)) == "class 0x0135"
