"""The appliance classes the emulator knows, by class code and by short name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Final

from hemsnet.appliances.aircon import AirConditioner
from hemsnet.appliances.base import Appliance
from hemsnet.appliances.battery import Battery
from hemsnet.appliances.ev import ElectricVehicle
from hemsnet.appliances.lighting import Lighting
from hemsnet.appliances.solar import Solar
from hemsnet.appliances.water_heater import WaterHeater
from hemsnet.errors import ConfigError

__all__ = ["KINDS", "Kind", "parse_kind"]


@dataclass(frozen=True, slots=True)
class Kind:
    """One emulated class: its short name, its code and how to build one."""

    name: str
    class_id: int
    build: Callable[[datetime, int], Appliance]


KINDS: Final = MappingProxyType(
    {
        kind.name: kind
        for kind in (
            Kind("battery", 0x027D, Battery),
            Kind("pv", 0x0279, Solar),
            Kind("ev", 0x027E, ElectricVehicle),
            Kind("aircon", 0x0130, AirConditioner),
            Kind("lighting", 0x0290, Lighting),
            Kind("water-heater", 0x026B, WaterHeater),
        )
    }
)


def parse_kind(text: str) -> Kind:
    """``0x027D``, ``027D`` or ``battery``; :class:`ConfigError` listing the known ones."""
    wanted = text.strip().lower()
    for kind in KINDS.values():
        if wanted in (kind.name, f"{kind.class_id:04x}", f"0x{kind.class_id:04x}"):
            return kind
    known = ", ".join(f"{kind.name} (0x{kind.class_id:04X})" for kind in KINDS.values())
    raise ConfigError(f"unknown appliance class {text!r}; known: {known}")
