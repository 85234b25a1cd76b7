"""The device object super class (EPC 0x80-0x9F) and the helpers every class table uses.

Rows and rules: [MRA superClass/0x0000.json], the definitions valid at Appendix Release R.
A device class table is built with :func:`device_class`: the super class rows, the class's own
rules for them where its interface spec overrides them, then the class rows on top.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Final, TypeVar

from hemsnet.devices.codecs.dates import DateCodec, TimeCodec
from hemsnet.devices.codecs.primitives import Ascii, Enumerated, Raw, Scaled, UInt
from hemsnet.devices.codecs.profile import (
    IdentificationNumberCodec,
    InstallationLocationCodec,
    OperatingTimeCodec,
    PropertyMapCodec,
    StandardVersionCodec,
)
from hemsnet.devices.model import Access, ClassDef, PropertyDef, Quantity, SizedCodec
from hemsnet.devices.values import FaultStatus, OperationStatus, RemoteControl, YesNo

__all__ = [
    "FAULT_STATUS",
    "MANUFACTURER_CODE",
    "NS",
    "OPERATION_STATUS",
    "PRODUCTION_NUMBER",
    "PROPERTY_MAP",
    "SUPER_CLASS",
    "SUPER_CLASS_ROWS",
    "M",
    "O",
    "Rules",
    "X",
    "device_class",
    "property_table",
    "row",
]

#: The spec tables' marks: mandatory, optional, not supported ("—"), prohibited ("●").
M: Final = Access.MANDATORY
O: Final = Access.OPTIONAL  # noqa: E741 - the spec tables' mark
NS: Final = Access.NOT_SUPPORTED
X: Final = Access.PROHIBITED

#: Get, Set, Announcement rules of one EPC.
Rules = tuple[Access, Access, Access]

T = TypeVar("T")


def row(
    epc: int,
    name: str,
    get: Access,
    set_: Access,
    anno: Access,
    codec: SizedCodec[T],
    *,
    history: bool = False,
) -> PropertyDef[T]:
    """One table row; the EDT size bounds, and the quantity of a reading, come from the codec."""
    quantity: Quantity | None = getattr(codec, "quantity", None)
    return PropertyDef(
        epc, name, get, set_, anno, codec.min_size, codec.max_size, codec, history, quantity
    )


OPERATION_STATUS: Final = Enumerated(
    OperationStatus, {OperationStatus.ON: "ON", OperationStatus.OFF: "OFF"}
)
FAULT_STATUS: Final = Enumerated(
    FaultStatus, {FaultStatus.FAULT: "fault occurred", FaultStatus.NO_FAULT: "no fault"}
)
MANUFACTURER_CODE: Final = UInt(3, hex_digits=6)
PRODUCTION_NUMBER: Final = Ascii(12, 12)
PROPERTY_MAP: Final = PropertyMapCodec()
_WATTS: Final = UInt(2, 0, 65533, unit="W")
_KWH_MILLI: Final = Scaled(UInt(4, 0, 999_999_999), Decimal("0.001"), "kWh")
_POWER_SAVING: Final = Enumerated(YesNo, {YesNo.YES: "power saving", YesNo.NO: "normal operation"})

# fmt: off
SUPER_CLASS_ROWS: Final = (
    #   EPC   name                                        Get Set Anno codec
    row(0x80, "Operation status",                         M,  O,  M,  OPERATION_STATUS),
    row(0x81, "Installation location",                    M,  M,  M,  InstallationLocationCodec()),
    row(0x82, "Standard version information",             M,  NS, O,  StandardVersionCodec()),
    row(0x83, "Identification number",                    O,  NS, O,  IdentificationNumberCodec()),
    row(0x84, "Measured instantaneous power consumption", O,  NS, O,  _WATTS),
    row(0x85, "Measured cumulative electric energy consumption",
                                                          O,  NS, O,  _KWH_MILLI),
    row(0x86, "Manufacturer's fault code",                O,  NS, O,  Raw(1, 255)),
    row(0x87, "Current limit setting",                    O,  O,  O,  UInt(1, 0, 100, unit="%")),
    row(0x88, "Fault status",                             M,  NS, M,  FAULT_STATUS),
    row(0x89, "Fault description",                        O,  NS, O,  UInt(2, 0, 0x03FF)),
    row(0x8A, "Manufacturer code",                        M,  NS, O,  MANUFACTURER_CODE),
    row(0x8B, "Business facility code",                   O,  NS, O,  Raw(3, 3)),
    row(0x8C, "Product code",                             O,  NS, O,  Ascii(12, 12)),
    row(0x8D, "Production number",                        O,  NS, O,  PRODUCTION_NUMBER),
    row(0x8E, "Production date",                          O,  NS, O,  DateCodec()),
    row(0x8F, "Power-saving operation setting",           O,  O,  O,  _POWER_SAVING),
    row(0x93, "Remote control setting",                   O,  O,  O,  Enumerated(RemoteControl)),
    row(0x97, "Current time setting",                     O,  O,  O,  TimeCodec()),
    row(0x98, "Current date setting",                     O,  O,  O,  DateCodec()),
    row(0x99, "Power limit setting",                      O,  O,  O,  _WATTS),
    row(0x9A, "Cumulative operating time",                O,  NS, O,  OperatingTimeCodec()),
    row(0x9D, "Status change announcement property map",  M,  NS, O,  PROPERTY_MAP),
    row(0x9E, "Set property map",                         M,  NS, O,  PROPERTY_MAP),
    row(0x9F, "Get property map",                         M,  NS, O,  PROPERTY_MAP),
)
# fmt: on


def property_table(rows: Iterable[PropertyDef[Any]]) -> Mapping[int, PropertyDef[Any]]:
    return MappingProxyType({prop.epc: prop for prop in sorted(rows, key=lambda p: p.epc)})


def device_class(
    class_id: int,
    name: str,
    rows: Iterable[PropertyDef[Any]],
    *,
    super_rules: Mapping[int, Rules] | None = None,
) -> ClassDef:
    """A device class: the super class rows (their rules replaced by ``super_rules`` where
    the class's interface spec states them), then ``rows``, which win on a shared EPC."""
    rules = super_rules or {}
    unknown = set(rules) - {prop.epc for prop in SUPER_CLASS_ROWS}
    if unknown:
        raise ValueError(f"super_rules name EPCs the super class lacks: {sorted(unknown)}")
    inherited = [
        replace(prop, get=rules[prop.epc][0], set=rules[prop.epc][1], anno=rules[prop.epc][2])
        if prop.epc in rules
        else prop
        for prop in SUPER_CLASS_ROWS
    ]
    own = {prop.epc: prop for prop in rows}
    kept = [prop for prop in inherited if prop.epc not in own]
    return ClassDef(class_id, name, property_table([*kept, *own.values()]))


#: The super class on its own (class id 0x0000), for decoding 0x80-0x9F of any device object.
SUPER_CLASS: Final = ClassDef(0x0000, "Device object super class", property_table(SUPER_CLASS_ROWS))
