"""Device objects backed by a class table: the :class:`~hemsnet.echonet.responder.LocalObject`
that nodes host.

The property maps 0x9D/0x9E/0x9F are generated from the class table and the properties the
object actually implements [EL spec §4.3, AIF 3.1.4]: an optional property that is not
implemented is left out of the Get map and answered with an SNA.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Final

from hemsnet.devices.model import Access, ClassDef
from hemsnet.echonet.eoj import Eoj
from hemsnet.echonet.propmap import encode_property_map
from hemsnet.errors import InvalidValue

__all__ = ["DeviceObject", "Reader", "SetHook"]

ANNO_MAP: Final = 0x9D
SET_MAP: Final = 0x9E
GET_MAP: Final = 0x9F
_MAP_EPCS: Final = frozenset({ANNO_MAP, SET_MAP, GET_MAP})

Reader = Callable[[], bytes | None]
"""Computes a property's value when it is read; None: it cannot be given now (SNA)."""

SetHook = Callable[[int, bytes], bool]
"""Decides a remote Set already validated by the table; False refuses it (SNA)."""


class DeviceObject:
    """One ECHONET object: static values, computed values and the maps derived from them."""

    def __init__(
        self,
        eoj: Eoj,
        table: ClassDef,
        values: Mapping[int, bytes],
        *,
        readers: Mapping[int, Reader] | None = None,
        get: Iterable[int] | None = None,
        set: Iterable[int] | None = None,
        anno: Iterable[int] | None = None,
        on_set: SetHook | None = None,
    ) -> None:
        if eoj.class_id != table.class_id:
            raise ValueError(f"EOJ {eoj} is not of class 0x{table.class_id:04X}")
        self.eoj = eoj
        self.table = table
        self._values = dict(values)
        self._readers = dict(readers or {})
        self._on_set = on_set
        provided = frozenset(self._values) | frozenset(self._readers)
        implemented = provided | _MAP_EPCS
        for epc in provided:
            if epc not in table:
                raise ValueError(f"class 0x{table.class_id:04X} has no EPC 0x{epc:02X}")
        for epc, edt in self._values.items():
            table[epc].validate(edt)
        self.get_map = self._map("get", get, implemented, table.epcs("get"))
        self.set_map = self._map("set", set, implemented, table.epcs("set"))
        mandatory_anno = table.epcs("anno", optional=False)
        self.anno_map = self._map("anno", anno, implemented, mandatory_anno, table.epcs("anno"))
        self._values[ANNO_MAP] = encode_property_map(self.anno_map)
        self._values[SET_MAP] = encode_property_map(self.set_map)
        self._values[GET_MAP] = encode_property_map(self.get_map)

    def _map(
        self,
        service: str,
        chosen: Iterable[int] | None,
        implemented: frozenset[int],
        default: frozenset[int],
        allowed: frozenset[int] | None = None,
    ) -> frozenset[int]:
        if chosen is None:
            return implemented & default
        epcs = frozenset(chosen)
        permitted = allowed if allowed is not None else default
        for epc in epcs:
            if epc not in implemented:
                raise ValueError(f"EPC 0x{epc:02X} in the {service} map has no value")
            if epc not in permitted:
                rule = getattr(self.table[epc], service)
                raise ValueError(f"EPC 0x{epc:02X} cannot be in the {service} map ({rule.value})")
        return epcs

    def read(self, epc: int) -> bytes | None:
        reader = self._readers.get(epc)
        if reader is not None:
            return reader()
        return self._values.get(epc)

    def write(self, epc: int, edt: bytes) -> bool:
        """A remote Set: validated against the table, then the hook, then stored."""
        row = self.table.get(epc)
        if row is None or row.set is Access.PROHIBITED:
            return False
        try:
            row.validate_set(edt)
        except InvalidValue:
            return False
        if self._on_set is not None and not self._on_set(epc, edt):
            return False
        self._values[epc] = bytes(edt)
        return True
