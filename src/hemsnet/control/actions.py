"""What "shed" means for each controllable class: one settable EPC, its shed and restore EDTs.

Every EPC here is settable in the class's MRA definition (tests/unit/control/test_actions.py
checks it) and accepted by the repo's emulators (docs/appliances.md):

=================  ======  ====================================================  ==========
action             class   shed -> restore                                        EPC
=================  ======  ====================================================  ==========
``power-saving``   0x0130  power-saving operation on -> off (0x41 -> 0x42)       0x8F
``setpoint``       0x0130  set temperature ``shed_c`` -> ``normal_c`` (°C)       0xB3
``level``          0x0290  light level ``shed`` -> ``normal`` (%)                0xB0
``stop``           0x027E  standby -> ``normal`` mode (0x44 -> automatic 0x49)   0xDA
``discharge``      0x027D  discharging -> ``normal`` mode (0x43 -> auto 0x46)    0xDA
``defer``          0x026B  manual no heating -> automatic (0x43 -> 0x41)         0xB0
``off``            any     operation status OFF -> ON (0x31 -> 0x30)             0x80
=================  ======  ====================================================  ==========
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

__all__ = ["ACTION_CLASSES", "Action"]

#: Which classes each action applies to.
ACTION_CLASSES: Final = MappingProxyType(
    {
        "power-saving": frozenset({0x0130}),
        "setpoint": frozenset({0x0130}),
        "level": frozenset({0x0290}),
        "stop": frozenset({0x027E}),
        "discharge": frozenset({0x027D}),
        "defer": frozenset({0x026B}),
        "off": frozenset({0x0130, 0x0290, 0x026B, 0x027E}),
    }
)


@dataclass(frozen=True, slots=True)
class Action:
    """One shed action: the EPC set and the EDTs that shed and restore."""

    name: str
    epc: int
    shed: bytes
    restore: bytes

    @classmethod
    def of(
        cls, name: str, shed_value: int | None = None, normal_value: int | None = None
    ) -> Action:
        """The action ``name``; ``setpoint``, ``level`` and ``discharge`` take the values to
        shed to and restore to (°C, %, the 0xDA mode code)."""
        if name == "power-saving":
            return cls(name, 0x8F, b"\x41", b"\x42")
        if name == "setpoint":
            return cls(
                name, 0xB3, bytes([_value(shed_value, 28)]), bytes([_value(normal_value, 26)])
            )
        if name == "level":
            return cls(
                name, 0xB0, bytes([_value(shed_value, 30)]), bytes([_value(normal_value, 100)])
            )
        if name == "stop":
            return cls(name, 0xDA, b"\x44", bytes([_value(normal_value, 0x49)]))
        if name == "discharge":
            return cls(name, 0xDA, b"\x43", bytes([_value(normal_value, 0x46)]))
        if name == "defer":
            return cls(name, 0xB0, b"\x43", b"\x41")
        if name == "off":
            return cls(name, 0x80, b"\x31", b"\x30")
        raise ValueError(f"unknown action {name!r}; known: {', '.join(ACTION_CLASSES)}")


def _value(value: int | None, default: int) -> int:
    return default if value is None else value
