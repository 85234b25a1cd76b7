"""Every class table hemsnet knows, and decoding a property of any of them.

``class_def`` looks a class up by its 16-bit id. ``decode_property`` decodes and describes one
EDT; an EPC the table does not know comes back as an "unknown" result carrying the raw bytes
(the CLI prints those in hex). A device class that is not in the registry still shares the
super class rows 0x80-0x9F [EL Appendix], so those decode through :data:`SUPER_CLASS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final

from hemsnet.devices.air_conditioner import AIR_CONDITIONER
from hemsnet.devices.controller import CONTROLLER
from hemsnet.devices.ev_charger import EV_CHARGER
from hemsnet.devices.hv_meter import HV_METER
from hemsnet.devices.hv_meter_bidir import HV_METER_BIDIR
from hemsnet.devices.lighting import LIGHTING
from hemsnet.devices.lv_meter import LV_METER
from hemsnet.devices.model import ClassDef, PropertyDef
from hemsnet.devices.node_profile import NODE_PROFILE
from hemsnet.devices.solar import SOLAR
from hemsnet.devices.storage_battery import STORAGE_BATTERY
from hemsnet.devices.superclass import SUPER_CLASS
from hemsnet.devices.water_heater import WATER_HEATER

__all__ = ["CLASSES", "DecodedProperty", "class_def", "decode_property", "lookup"]

#: The known classes by id: the super class (0x0000), node profile, controller, the meters,
#: the HEMS-managed appliances.
CLASSES: Final = MappingProxyType(
    {
        table.class_id: table
        for table in (
            *(SUPER_CLASS, NODE_PROFILE, CONTROLLER, HV_METER_BIDIR, HV_METER, LV_METER),
            *(STORAGE_BATTERY, SOLAR, EV_CHARGER, AIR_CONDITIONER, LIGHTING, WATER_HEATER),
        )
    }
)
_PROFILE_GROUP: Final = 0x0E


def class_def(class_id: int) -> ClassDef | None:
    """The table of class ``class_id`` (e.g. ``0x028F``), or ``None`` if hemsnet lacks it."""
    return CLASSES.get(class_id)


def lookup(class_id: int, epc: int) -> PropertyDef[Any] | None:
    """The row for ``epc`` of ``class_id``; unknown device classes fall back to the super class
    for 0x80-0x9F. ``None`` when no table knows the EPC."""
    table = CLASSES.get(class_id)
    if table is None and class_id >> 8 != _PROFILE_GROUP:
        table = SUPER_CLASS
    return None if table is None else table.get(epc)


@dataclass(frozen=True, slots=True)
class DecodedProperty:
    """One decoded EPC: its row (``None`` if unknown), the typed value and a description.

    For an unknown EPC ``value`` is the raw EDT and ``description`` its hex.
    """

    epc: int
    edt: bytes
    prop: PropertyDef[Any] | None
    value: Any
    description: str

    @property
    def known(self) -> bool:
        return self.prop is not None

    @property
    def name(self) -> str:
        return self.prop.name if self.prop is not None else f"unknown EPC 0x{self.epc:02X}"


def decode_property(class_id: int, epc: int, edt: bytes) -> DecodedProperty:
    """Decode and describe ``edt`` of ``epc`` in class ``class_id``.

    Raises :class:`~hemsnet.errors.InvalidValue` (naming the EPC and the bytes) when the EDT
    does not fit a known row; an unknown EPC is not an error.
    """
    edt = bytes(edt)
    prop = lookup(class_id, epc)
    if prop is None:
        return DecodedProperty(epc, edt, None, edt, edt.hex(" ").upper() or "(empty)")
    value = prop.decode(edt)
    return DecodedProperty(epc, edt, prop, value, prop.codec.describe(value))
