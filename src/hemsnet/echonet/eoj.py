"""ECHONET objects (EOJ): class group code, class code, instance code [EL spec §3.2.4]."""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["CONTROLLER", "NODE_PROFILE", "Eoj", "parse_eoj"]

_NODE_PROFILE_CLASS = 0x0EF0


class Eoj(NamedTuple):
    """An ECHONET object. Instance code 0x00 addresses every instance of the class."""

    class_group: int
    class_code: int
    instance: int

    @classmethod
    def of(cls, class_id: int, instance: int) -> Eoj:
        """Build from a 16-bit class id such as ``0x028F`` and an instance code."""
        return cls((class_id >> 8) & 0xFF, class_id & 0xFF, instance)

    @classmethod
    def from_bytes(cls, data: bytes) -> Eoj:
        """The EOJ in three bytes (caller guarantees the length)."""
        return cls(data[0], data[1], data[2])

    def to_bytes(self) -> bytes:
        return bytes(self)

    @property
    def class_id(self) -> int:
        """Class group and class code as one 16-bit number, e.g. ``0x028F``."""
        return (self.class_group << 8) | self.class_code

    @property
    def is_node_profile(self) -> bool:
        return self.class_id == _NODE_PROFILE_CLASS

    def with_instance(self, instance: int) -> Eoj:
        return Eoj(self.class_group, self.class_code, instance)

    def addresses(self, target: Eoj) -> bool:
        """Whether a frame whose DEOJ is ``self`` is meant for the object ``target``.

        Instance 0x00 addresses every instance of the class; a node profile matches whatever
        its instance code [EL spec §4.2.1].
        """
        if self.class_group != target.class_group or self.class_code != target.class_code:
            return False
        return self.instance in (0, target.instance) or target.is_node_profile

    def __str__(self) -> str:
        return f"{self.class_group:02X}{self.class_code:02X}{self.instance:02X}"


NODE_PROFILE = Eoj(0x0E, 0xF0, 0x01)
CONTROLLER = Eoj(0x05, 0xFF, 0x01)


def parse_eoj(text: str) -> Eoj:
    """Parse ``028F01``, ``0x028F01`` or ``02:8F:01`` (the forms people type) into an EOJ."""
    digits = text.strip().lower().removeprefix("0x").replace(":", "").replace(" ", "")
    if len(digits) != 6:
        raise ValueError(f"an EOJ is 3 bytes (6 hex digits), got {text!r}")
    try:
        raw = bytes.fromhex(digits)
    except ValueError:
        raise ValueError(f"an EOJ is written in hex, got {text!r}") from None
    return Eoj.from_bytes(raw)
