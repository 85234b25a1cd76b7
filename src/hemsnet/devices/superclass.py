"""The device object super class (EPC 0x80-0x9F) and the helpers every class table uses.

Rows and rules: [MRA superClass/0x0000.json], the definitions valid at Appendix Release R.
A device class table is built with :func:`device_class`: the super class rows, the class's own
rules for them where its interface spec overrides them, then the class rows on top.

Each row is also a named, typed constant (``OPERATION_STATUS: PropertyDef[OperationStatus]``)
for callers that know which EPC they read; its codec decodes the EPC in every device class,
whatever rules a class gives it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date, time
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
from hemsnet.devices.values import (
    FaultStatus,
    IdentificationNumber,
    InstallationLocation,
    OperatingTime,
    OperationStatus,
    RemoteControl,
    StandardVersion,
    YesNo,
)

__all__ = [
    "ANNOUNCEMENT_PROPERTY_MAP",
    "BUSINESS_FACILITY_CODE",
    "CUMULATIVE_ENERGY",
    "CURRENT_DATE",
    "CURRENT_LIMIT",
    "CURRENT_TIME",
    "FAULT_DESCRIPTION",
    "FAULT_STATUS",
    "FAULT_STATUS_CODEC",
    "GET_PROPERTY_MAP",
    "IDENTIFICATION_NUMBER",
    "INSTALLATION_LOCATION",
    "INSTANTANEOUS_POWER",
    "MANUFACTURER_CODE",
    "MANUFACTURER_CODE_CODEC",
    "MANUFACTURER_FAULT_CODE",
    "NS",
    "OPERATING_TIME",
    "OPERATION_STATUS",
    "OPERATION_STATUS_CODEC",
    "POWER_LIMIT",
    "POWER_SAVING",
    "PRODUCTION_DATE",
    "PRODUCTION_NUMBER",
    "PRODUCTION_NUMBER_CODEC",
    "PRODUCT_CODE",
    "PROPERTY_MAP_CODEC",
    "REMOTE_CONTROL",
    "SET_PROPERTY_MAP",
    "STANDARD_VERSION",
    "SUPER_CLASS",
    "SUPER_CLASS_ROWS",
    "M",
    "O",
    "Rules",
    "X",
    "device_class",
    "inherit",
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


def inherit(prop: PropertyDef[T], get: Access, set_: Access, anno: Access) -> PropertyDef[T]:
    """A super class row with the rules a class's interface spec states for it."""
    return replace(prop, get=get, set=set_, anno=anno)


OPERATION_STATUS_CODEC: Final = Enumerated(
    OperationStatus, {OperationStatus.ON: "ON", OperationStatus.OFF: "OFF"}
)
FAULT_STATUS_CODEC: Final = Enumerated(
    FaultStatus, {FaultStatus.FAULT: "fault occurred", FaultStatus.NO_FAULT: "no fault"}
)
MANUFACTURER_CODE_CODEC: Final = UInt(3, hex_digits=6)
PRODUCTION_NUMBER_CODEC: Final = Ascii(12, 12)
PROPERTY_MAP_CODEC: Final = PropertyMapCodec()
_WATTS: Final = UInt(2, 0, 65533, unit="W")
_KWH_MILLI: Final = Scaled(UInt(4, 0, 999_999_999), Decimal("0.001"), "kWh")
_POWER_SAVING: Final = Enumerated(YesNo, {YesNo.YES: "power saving", YesNo.NO: "normal operation"})

# fmt: off
#   EPC   name
#         Get Set Anno codec
OPERATION_STATUS: Final[PropertyDef[OperationStatus]] = row(
    0x80, "Operation status",
          M,  O,  M,   OPERATION_STATUS_CODEC)
INSTALLATION_LOCATION: Final[PropertyDef[InstallationLocation]] = row(
    0x81, "Installation location",
          M,  M,  M,   InstallationLocationCodec())
STANDARD_VERSION: Final[PropertyDef[StandardVersion]] = row(
    0x82, "Standard version information",
          M,  NS, O,   StandardVersionCodec())
IDENTIFICATION_NUMBER: Final[PropertyDef[IdentificationNumber]] = row(
    0x83, "Identification number",
          O,  NS, O,   IdentificationNumberCodec())
INSTANTANEOUS_POWER: Final[PropertyDef[int]] = row(
    0x84, "Measured instantaneous power consumption",
          O,  NS, O,   _WATTS)
CUMULATIVE_ENERGY: Final[PropertyDef[Decimal]] = row(
    0x85, "Measured cumulative electric energy consumption",
          O,  NS, O,   _KWH_MILLI)
MANUFACTURER_FAULT_CODE: Final[PropertyDef[bytes]] = row(
    0x86, "Manufacturer's fault code",
          O,  NS, O,   Raw(1, 255))
CURRENT_LIMIT: Final[PropertyDef[int]] = row(
    0x87, "Current limit setting",
          O,  O,  O,   UInt(1, 0, 100, unit="%"))
FAULT_STATUS: Final[PropertyDef[FaultStatus]] = row(
    0x88, "Fault status",
          M,  NS, M,   FAULT_STATUS_CODEC)
FAULT_DESCRIPTION: Final[PropertyDef[int]] = row(
    0x89, "Fault description",
          O,  NS, O,   UInt(2, 0, 0x03FF))
MANUFACTURER_CODE: Final[PropertyDef[int]] = row(
    0x8A, "Manufacturer code",
          M,  NS, O,   MANUFACTURER_CODE_CODEC)
BUSINESS_FACILITY_CODE: Final[PropertyDef[bytes]] = row(
    0x8B, "Business facility code",
          O,  NS, O,   Raw(3, 3))
PRODUCT_CODE: Final[PropertyDef[str]] = row(
    0x8C, "Product code",
          O,  NS, O,   Ascii(12, 12))
PRODUCTION_NUMBER: Final[PropertyDef[str]] = row(
    0x8D, "Production number",
          O,  NS, O,   PRODUCTION_NUMBER_CODEC)
PRODUCTION_DATE: Final[PropertyDef[date]] = row(
    0x8E, "Production date",
          O,  NS, O,   DateCodec())
POWER_SAVING: Final[PropertyDef[YesNo]] = row(
    0x8F, "Power-saving operation setting",
          O,  O,  O,   _POWER_SAVING)
REMOTE_CONTROL: Final[PropertyDef[RemoteControl]] = row(
    0x93, "Remote control setting",
          O,  O,  O,   Enumerated(RemoteControl))
CURRENT_TIME: Final[PropertyDef[time]] = row(
    0x97, "Current time setting",
          O,  O,  O,   TimeCodec())
CURRENT_DATE: Final[PropertyDef[date]] = row(
    0x98, "Current date setting",
          O,  O,  O,   DateCodec())
POWER_LIMIT: Final[PropertyDef[int]] = row(
    0x99, "Power limit setting",
          O,  O,  O,   _WATTS)
OPERATING_TIME: Final[PropertyDef[OperatingTime]] = row(
    0x9A, "Cumulative operating time",
          O,  NS, O,   OperatingTimeCodec())
ANNOUNCEMENT_PROPERTY_MAP: Final[PropertyDef[frozenset[int]]] = row(
    0x9D, "Status change announcement property map",
          M,  NS, O,   PROPERTY_MAP_CODEC)
SET_PROPERTY_MAP: Final[PropertyDef[frozenset[int]]] = row(
    0x9E, "Set property map",
          M,  NS, O,   PROPERTY_MAP_CODEC)
GET_PROPERTY_MAP: Final[PropertyDef[frozenset[int]]] = row(
    0x9F, "Get property map",
          M,  NS, O,   PROPERTY_MAP_CODEC)
# fmt: on

SUPER_CLASS_ROWS: Final[tuple[PropertyDef[Any], ...]] = (
    OPERATION_STATUS,
    INSTALLATION_LOCATION,
    STANDARD_VERSION,
    IDENTIFICATION_NUMBER,
    INSTANTANEOUS_POWER,
    CUMULATIVE_ENERGY,
    MANUFACTURER_FAULT_CODE,
    CURRENT_LIMIT,
    FAULT_STATUS,
    FAULT_DESCRIPTION,
    MANUFACTURER_CODE,
    BUSINESS_FACILITY_CODE,
    PRODUCT_CODE,
    PRODUCTION_NUMBER,
    PRODUCTION_DATE,
    POWER_SAVING,
    REMOTE_CONTROL,
    CURRENT_TIME,
    CURRENT_DATE,
    POWER_LIMIT,
    OPERATING_TIME,
    ANNOUNCEMENT_PROPERTY_MAP,
    SET_PROPERTY_MAP,
    GET_PROPERTY_MAP,
)


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
        inherit(prop, *rules[prop.epc]) if prop.epc in rules else prop for prop in SUPER_CLASS_ROWS
    ]
    own = {prop.epc: prop for prop in rows}
    kept = [prop for prop in inherited if prop.epc not in own]
    return ClassDef(class_id, name, property_table([*kept, *own.values()]))


#: The super class on its own (class id 0x0000), for decoding 0x80-0x9F of any device object.
SUPER_CLASS: Final = ClassDef(0x0000, "Device object super class", property_table(SUPER_CLASS_ROWS))
