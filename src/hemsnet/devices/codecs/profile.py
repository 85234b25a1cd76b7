"""EDT codecs of the ECHONET profile structures every object or node has.

Property maps (0x9D-0x9F), instance and class lists (0xD5-0xD7) [EL spec §4.3.1, Appendix
Annex 1], installation location (0x81), standard and protocol versions (0x82), identification
number (0x83), cumulative operating time (0x9A) [MRA 0x0000, 0x0EF0], and the meters' Route B
identification number (0xC0) [AIF Annex 1(1)].
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from hemsnet.devices.codecs._common import expect_size, hex_text, need
from hemsnet.devices.model import SizedCodec
from hemsnet.devices.values import (
    IdentificationNumber,
    InstallationLocation,
    OperatingTime,
    ProtocolVersion,
    RouteBId,
    StandardVersion,
    TimeUnit,
)
from hemsnet.echonet.instance_list import (
    ClassList,
    InstanceList,
    decode_class_list,
    decode_instance_list,
)
from hemsnet.echonet.propmap import decode_property_map, encode_property_map

__all__ = [
    "ClassListCodec",
    "IdentificationNumberCodec",
    "InstallationLocationCodec",
    "InstanceListCodec",
    "OperatingTimeCodec",
    "PropertyMapCodec",
    "ProtocolVersionCodec",
    "RouteBIdCodec",
    "StandardVersionCodec",
]


@dataclass(frozen=True, slots=True)
class PropertyMapCodec(SizedCodec[frozenset[int]]):
    """0x9D/0x9E/0x9F maps, both forms [EL Appendix Annex 1]; the value is a set of EPCs."""

    min_size: int = 1
    max_size: int = 17

    def decode(self, edt: bytes) -> frozenset[int]:
        return decode_property_map(edt)

    def encode(self, value: frozenset[int] | set[int]) -> bytes:
        need(value, (set, frozenset), "the property map")
        return encode_property_map(value)

    def describe(self, value: frozenset[int]) -> str:
        codes = " ".join(f"0x{epc:02X}" for epc in sorted(value))
        return f"{len(value)} EPCs: {codes}" if value else "0 EPCs"


@dataclass(frozen=True, slots=True)
class InstanceListCodec(SizedCodec[InstanceList]):
    """Node profile 0xD5/0xD6 [EL spec §4.3.1]."""

    min_size: int = 1
    max_size: int = 253

    def decode(self, edt: bytes) -> InstanceList:
        return decode_instance_list(edt)

    def encode(self, value: InstanceList) -> bytes:
        need(value, InstanceList, "the instance list")
        edt = bytes([value.total]) + b"".join(bytes(eoj) for eoj in value.instances)
        decode_instance_list(edt)  # validates count and size
        return edt

    def describe(self, value: InstanceList) -> str:
        return f"{value.total} instances: {' '.join(str(eoj) for eoj in value.instances)}"


@dataclass(frozen=True, slots=True)
class ClassListCodec(SizedCodec[ClassList]):
    """Node profile 0xD7 [EL spec §4.3.1]."""

    min_size: int = 1
    max_size: int = 17

    def decode(self, edt: bytes) -> ClassList:
        return decode_class_list(edt)

    def encode(self, value: ClassList) -> bytes:
        need(value, ClassList, "the class list")
        body = b"".join(class_id.to_bytes(2, "big") for class_id in value.class_ids)
        edt = bytes([value.total]) + body
        decode_class_list(edt)
        return edt

    def describe(self, value: ClassList) -> str:
        return f"{value.total} classes: {' '.join(f'0x{c:04X}' for c in value.class_ids)}"


@dataclass(frozen=True, slots=True)
class InstallationLocationCodec(SizedCodec[InstallationLocation]):
    """0x81: 1 byte (0x00, 0x08..0xFF) or 0x01 + 16 bytes of position [MRA 0x0000].

    0x01..0x07 as a single byte are reserved and refused (reference §7.1). With
    ``max_size=1`` only the 1-byte form (controller 0xCC) [MRA 0x05FF].
    """

    min_size: int = 1
    max_size: int = 17

    def decode(self, edt: bytes) -> InstallationLocation:
        if len(edt) == 1 and not 0x01 <= edt[0] <= 0x07:
            return InstallationLocation(edt[0])
        if len(edt) == 17 == self.max_size and edt[0] == 0x01:
            return InstallationLocation(0x01, bytes(edt[1:]))
        if self.max_size == 1:
            raise ValueError("not a 1-byte location (0x00, 0x08..0xFF)")
        raise ValueError("not a 1-byte location (0x00, 0x08..0xFF) nor 0x01 + 16 bytes")

    def encode(self, value: InstallationLocation) -> bytes:
        need(value, InstallationLocation, "the location")
        need(value.code, int, "the location code")
        if not 0 <= value.code <= 0xFF:
            raise ValueError(f"location code {value.code} is not a byte")
        edt = bytes([value.code]) + bytes(value.position)
        self.decode(edt)
        return edt

    def describe(self, value: InstallationLocation) -> str:
        return str(value)


_RELEASE_A: Final = 0x61


@dataclass(frozen=True, slots=True)
class StandardVersionCodec(SizedCodec[StandardVersion]):
    """Device 0x82: ``00 00 <release ASCII> <revision>``; 'a' for release A [MRA 0x0000]."""

    min_size: int = 4
    max_size: int = 4

    def decode(self, edt: bytes) -> StandardVersion:
        expect_size(edt, 4)
        if edt[0] or edt[1]:
            raise ValueError("bytes 1-2 of the standard version must be 0x00")
        letter = edt[2]
        if letter == _RELEASE_A:
            return StandardVersion("A", edt[3])
        if ord("B") <= letter <= ord("Z"):
            return StandardVersion(chr(letter), edt[3])
        raise ValueError(f"0x{letter:02X} is not a release letter ('a', 'B'..'Z')")

    def encode(self, value: StandardVersion) -> bytes:
        need(value, StandardVersion, "the version")
        release = value.release
        if len(release) != 1 or not "A" <= release <= "Z":
            raise ValueError(f"release {release!r} is not a letter A..Z")
        if not 0 <= value.revision <= 0xFF:
            raise ValueError(f"revision {value.revision} is not a byte")
        letter = _RELEASE_A if release == "A" else ord(release)
        return bytes([0, 0, letter, value.revision])

    def describe(self, value: StandardVersion) -> str:
        return str(value)


@dataclass(frozen=True, slots=True)
class ProtocolVersionCodec(SizedCodec[ProtocolVersion]):
    """Node profile 0x82: major, minor, message-format bitmap, 0x00 [MRA 0x0EF0]."""

    min_size: int = 4
    max_size: int = 4

    def decode(self, edt: bytes) -> ProtocolVersion:
        expect_size(edt, 4)
        return ProtocolVersion(edt[0], edt[1], edt[2], edt[3])

    def encode(self, value: ProtocolVersion) -> bytes:
        need(value, ProtocolVersion, "the version")
        fields = (value.major, value.minor, value.formats, value.reserved)
        if not all(isinstance(f, int) and 0 <= f <= 0xFF for f in fields):
            raise ValueError(f"{value} has a field that is not a byte")
        return bytes(fields)

    def describe(self, value: ProtocolVersion) -> str:
        return str(value)


@dataclass(frozen=True, slots=True)
class IdentificationNumberCodec(SizedCodec[IdentificationNumber]):
    """0x83, 17 bytes [MRA 0x0EF0]."""

    min_size: int = 17
    max_size: int = 17

    def decode(self, edt: bytes) -> IdentificationNumber:
        expect_size(edt, 17)
        return IdentificationNumber(bytes(edt))

    def encode(self, value: IdentificationNumber) -> bytes:
        need(value, IdentificationNumber, "the identification number")
        return self.decode(value.raw).raw

    def describe(self, value: IdentificationNumber) -> str:
        return str(value)


@dataclass(frozen=True, slots=True)
class RouteBIdCodec(SizedCodec[RouteBId]):
    """0xC0 Route B identification number, 16 bytes [AIF Annex 1(1)]."""

    min_size: int = 16
    max_size: int = 16

    def decode(self, edt: bytes) -> RouteBId:
        expect_size(edt, 16)
        return RouteBId(bytes(edt))

    def encode(self, value: RouteBId) -> bytes:
        need(value, RouteBId, "the Route B ID")
        return self.decode(value.raw).raw

    def describe(self, value: RouteBId) -> str:
        code, free = value.manufacturer_code, value.free_area
        if code is None or free is None:  # both or neither: the Japan layout has both
            return f"not Japan layout: {hex_text(value.raw)}"
        return f"manufacturer 0x{code:06X} ID {hex_text(free)}"


@dataclass(frozen=True, slots=True)
class OperatingTimeCodec(SizedCodec[OperatingTime]):
    """0x9A: unit (0x41..0x44) + uint32 count [MRA 0x0000]."""

    min_size: int = 5
    max_size: int = 5

    def decode(self, edt: bytes) -> OperatingTime:
        expect_size(edt, 5)
        try:
            unit = TimeUnit(edt[0])
        except ValueError:
            raise ValueError(f"0x{edt[0]:02X} is not a time unit (0x41..0x44)") from None
        return OperatingTime(unit, int.from_bytes(edt[1:], "big"))

    def encode(self, value: OperatingTime) -> bytes:
        need(value, OperatingTime, "the operating time")
        if value.unit not in set(TimeUnit) or not 0 <= value.count <= 0xFFFFFFFF:
            raise ValueError(f"{value} is out of range")
        return bytes([value.unit]) + value.count.to_bytes(4, "big")

    def describe(self, value: OperatingTime) -> str:
        return f"{value.count} {value.unit.name.lower()}s"
