"""The device object of one appliance: its class properties plus the super class ones.

Every appliance serves the same super class properties (0x80 operation status, 0x81, 0x82,
0x83, 0x88, 0x89, 0x8A, 0x8C, 0x97, 0x98 and the maps) whatever its class makes mandatory
[MRA 0x0000 and each class file]. Values are encoded by the class table's codecs when read.
The Set map is 0x80, 0x81 and what the appliance declares settable; every other Set is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from hemsnet.appliances.base import Appliance
from hemsnet.devices.objects import DeviceObject
from hemsnet.devices.superclass import INSTALLATION_LOCATION, OPERATION_STATUS
from hemsnet.devices.values import (
    FaultStatus,
    IdentificationNumber,
    InstallationLocation,
    OperationStatus,
    StandardVersion,
)
from hemsnet.echonet.eoj import Eoj

__all__ = ["appliance_object"]

_COMMON_SET: Final = frozenset({0x80, 0x81})


def appliance_object(
    appliance: Appliance, instance: int, manufacturer: bytes, unique_id: bytes
) -> DeviceObject:
    """The ECHONET object ``class-instance`` serving ``appliance``."""
    table = appliance.table
    eoj = Eoj.of(table.class_id, instance)
    values: dict[int, Any] = {
        0x80: lambda: OperationStatus.ON if appliance.on else OperationStatus.OFF,
        0x81: InstallationLocation(0x00),  # not set until the installer sets it
        0x82: StandardVersion("R"),  # the tables follow Appendix Release R
        0x83: IdentificationNumber(
            b"\xfe" + manufacturer + unique_id[:10] + table.class_id.to_bytes(2) + bytes([instance])
        ),
        0x88: FaultStatus.NO_FAULT,
        0x89: 0,  # no fault
        0x8A: int.from_bytes(manufacturer, "big"),
        0x8C: f"HEMSNET {table.class_id:04X}",
        0x97: lambda: appliance.now.time().replace(second=0, microsecond=0),
        0x98: lambda: appliance.now.date(),  # noqa: PLW0108 - `now` moves on
        **appliance.properties(),
    }
    static = {epc: table[epc].encode(v) for epc, v in values.items() if not callable(v)}
    readers = {epc: _reader(appliance, epc, v) for epc, v in values.items() if callable(v)}

    def on_set(epc: int, edt: bytes) -> bool:
        if epc == OPERATION_STATUS.epc:
            appliance.switch(OPERATION_STATUS.decode(edt) is OperationStatus.ON)
            return True
        return epc == INSTALLATION_LOCATION.epc or appliance.accept(epc, table[epc].decode(edt))

    return DeviceObject(
        eoj,
        table,
        static,
        readers=readers,
        set=_COMMON_SET | appliance.settable,
        on_set=on_set,
    )


def _reader(appliance: Appliance, epc: int, compute: Callable[[], Any]) -> Callable[[], bytes]:
    row = appliance.table[epc]
    return lambda: row.encode(compute())
