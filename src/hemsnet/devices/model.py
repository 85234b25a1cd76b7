"""The shape of an ECHONET device class table: one typed row per EPC.

A :class:`ClassDef` mirrors a spec table (AIF Tables 2-3/2-4, the Appendix for the others):
each :class:`PropertyDef` row carries the Get/Set/Announce rules, the EDT size bounds, whether
the EPC is a history EPC (response-wait timer 2, alone in its request [AIF 2.4.2, 2.4.4]) and
the codec that turns its EDT into a typed value and back.

Codecs and rows are generic in the value they decode: a ``PropertyDef[TimedNormalReverse]``
decodes to a :class:`~hemsnet.devices.values.TimedNormalReverse` and encodes only one. A lookup
by EPC (``ClassDef[epc]``) cannot know that type and gives a ``PropertyDef[Any]``; the class
table modules name their rows, typed, for callers that know which EPC they read
(``hv_meter_bidir.FIXED_TIME_ENERGY.decode(edt)`` is a ``TimedNormalReverse``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable

from hemsnet.errors import InvalidValue

__all__ = ["Access", "ClassDef", "Codec", "PropertyDef", "Quantity", "SetChecker", "SizedCodec"]

T = TypeVar("T")
T_contra = TypeVar("T_contra", contravariant=True)


class Access(Enum):
    """An access or announcement rule as the spec tables state it."""

    MANDATORY = "mandatory"
    OPTIONAL = "optional"
    NOT_SUPPORTED = "not supported"
    PROHIBITED = "prohibited"  # "installation prohibited" [AIF Table 2-3, 0x97/0x98 Set]

    @property
    def allowed(self) -> bool:
        """Whether an implementation may offer this service for the property."""
        return self in (Access.MANDATORY, Access.OPTIONAL)


class Quantity(Enum):
    """What a reading measures, which names the unit EPC that scales it [MRA coefficient]."""

    ACTIVE_ENERGY = 0xE6  # kWh: E2 E3 E4 E7 E8 D0 ED
    DEMAND = 0xC5  # kW: C1 C3 C6 C8
    CUMULATIVE_MAX_DEMAND = 0xC7  # kW: C2
    REACTIVE_ENERGY = 0xCD  # kvarh: CA CB CE CF (and the MRA-only D1 D5 D6 EE)
    LV_ACTIVE_ENERGY = 0xE1  # kWh on the low-voltage 0x0288: D0 E0 E2 E3 E4 EA EB EC EE

    @property
    def unit_epc(self) -> int:
        return self.value

    @property
    def unit(self) -> str:
        return _UNIT_NAMES[self]


_UNIT_NAMES = {
    Quantity.ACTIVE_ENERGY: "kWh",
    Quantity.DEMAND: "kW",
    Quantity.CUMULATIVE_MAX_DEMAND: "kW",
    Quantity.REACTIVE_ENERGY: "kvarh",
    Quantity.LV_ACTIVE_ENERGY: "kWh",
}


class Codec(Protocol[T]):
    """Turns an EDT into a value of type ``T`` and back.

    ``decode`` and ``encode`` raise ``ValueError`` with a reason when the bytes or the value do
    not fit; :class:`PropertyDef` wraps that into :class:`InvalidValue` naming the EPC.
    ``describe`` renders a decoded value for people, units included where the value has them.
    """

    __slots__ = ()  # the codecs that declare this protocol as a base are slotted dataclasses

    def decode(self, edt: bytes) -> T: ...

    def encode(self, value: T) -> bytes: ...

    def describe(self, value: T) -> str: ...


class SizedCodec(Codec[T], Protocol[T]):
    """A codec that knows its EDT size bounds, so that a table row can take them from it."""

    __slots__ = ()

    @property
    def min_size(self) -> int: ...

    @property
    def max_size(self) -> int: ...


@runtime_checkable
class SetChecker(Protocol[T_contra]):
    """A codec whose decodable values are not all writable, e.g. a read-only default code.

    ``check_set`` raises ``ValueError`` for a value that Get may return but Set may not write
    (0xE1 = 0xFF "default" [MRA 0x028F]).
    """

    def check_set(self, value: T_contra) -> None: ...


@dataclass(frozen=True, slots=True)
class PropertyDef(Generic[T]):
    """One row of a class table, whose EDT is a value of type ``T``."""

    epc: int
    name: str
    get: Access
    set: Access
    anno: Access
    min_size: int
    max_size: int
    codec: Codec[T] = field(compare=False)
    history: bool = False
    quantity: Quantity | None = None

    def decode(self, edt: bytes) -> T:
        """The typed value of ``edt``; :class:`InvalidValue` if it does not fit this row."""
        if not self.min_size <= len(edt) <= self.max_size:
            raise InvalidValue(self.epc, edt, f"PDC {len(edt)} outside {self._size_text()}")
        try:
            return self.codec.decode(edt)
        except ValueError as exc:
            raise InvalidValue(self.epc, edt, str(exc)) from None

    def encode(self, value: T) -> bytes:
        """The EDT for ``value``; :class:`InvalidValue` if the value is out of range."""
        try:
            edt = self.codec.encode(value)
        except ValueError as exc:
            raise InvalidValue(self.epc, b"", str(exc)) from None
        if not self.min_size <= len(edt) <= self.max_size:
            raise InvalidValue(self.epc, edt, f"encodes to {len(edt)} bytes")
        return edt

    def validate(self, edt: bytes) -> None:
        """Raise :class:`InvalidValue` unless ``edt`` is a valid value for this property."""
        self.decode(edt)

    def validate_set(self, edt: bytes) -> T:
        """The value a Set of ``edt`` would write; :class:`InvalidValue` if it may not be written.

        Stricter than :meth:`validate`: read-only codes that Get may return (a "default" such as
        0xE1 = 0xFF) are refused. Whether the property is settable at all is the ``set`` rule.
        """
        value = self.decode(edt)
        if isinstance(self.codec, SetChecker):
            try:
                self.codec.check_set(value)
            except ValueError as exc:
                raise InvalidValue(self.epc, edt, str(exc)) from None
        return value

    def _size_text(self) -> str:
        if self.min_size == self.max_size:
            return f"the fixed size {self.min_size}"
        return f"{self.min_size}..{self.max_size}"


@dataclass(frozen=True)
class ClassDef:
    """A device class: its code, its name and its property table (super class rows included).

    The table is looked up by EPC, so its rows are ``PropertyDef[Any]``: an ``int`` cannot carry
    the value type. The class table modules also name their rows, typed.
    """

    class_id: int
    name: str
    properties: Mapping[int, PropertyDef[Any]]

    def __getitem__(self, epc: int) -> PropertyDef[Any]:
        return self.properties[epc]

    def __contains__(self, epc: object) -> bool:
        return epc in self.properties

    def __iter__(self) -> Iterator[PropertyDef[Any]]:
        return iter(self.properties.values())

    def get(self, epc: int) -> PropertyDef[Any] | None:
        return self.properties.get(epc)

    def epcs(self, service: str, *, optional: bool = True) -> frozenset[int]:
        """EPCs whose ``service`` ("get", "set" or "anno") rule allows it.

        With ``optional=False`` only the mandatory ones.
        """
        wanted = {Access.MANDATORY, Access.OPTIONAL} if optional else {Access.MANDATORY}
        return frozenset(p.epc for p in self if getattr(p, service) in wanted)

    @cached_property
    def history_epcs(self) -> frozenset[int]:
        return frozenset(p.epc for p in self if p.history)
