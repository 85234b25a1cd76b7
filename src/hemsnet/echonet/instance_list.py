"""Instance lists (node profile 0xD5, 0xD6) and class lists (0xD7) [EL spec §4.3.1].

An instance list is a count byte then 3-byte EOJs, at most 84 of them (PDC <= 253); a class
list is a count byte then 2-byte class codes, at most 8 (PDC <= 17). The node profile itself
is never listed. The count byte of 0xD6/0xD7 is the node's total, which may exceed the number
of entries listed on a node with more than 84 instances or 8 classes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, NamedTuple

from hemsnet.echonet.eoj import Eoj

__all__ = [
    "MAX_CLASSES",
    "MAX_INSTANCES",
    "ClassList",
    "InstanceList",
    "decode_class_list",
    "decode_instance_list",
    "encode_class_list",
    "encode_instance_list",
]

MAX_INSTANCES: Final = 84
MAX_CLASSES: Final = 8


class InstanceList(NamedTuple):
    total: int
    instances: tuple[Eoj, ...]


class ClassList(NamedTuple):
    total: int
    class_ids: tuple[int, ...]


def encode_instance_list(instances: Sequence[Eoj]) -> bytes:
    """Encode up to 84 EOJs, in the given order; the count is the total (capped at 255)."""
    listed = instances[:MAX_INSTANCES]
    out = bytearray([min(len(instances), 0xFF)])
    for eoj in listed:
        out += bytes(eoj)
    return bytes(out)


def decode_instance_list(edt: bytes) -> InstanceList:
    if not edt or (len(edt) - 1) % 3:
        raise ValueError("an instance list is a count byte followed by 3-byte EOJs")
    listed = (len(edt) - 1) // 3
    if listed > MAX_INSTANCES:
        raise ValueError(f"an instance list holds at most {MAX_INSTANCES} EOJs, got {listed}")
    total = edt[0]
    if total < listed:
        raise ValueError(f"instance list count {total} is less than the {listed} EOJs listed")
    eojs = tuple(Eoj.from_bytes(edt[i : i + 3]) for i in range(1, len(edt), 3))
    return InstanceList(total, eojs)


def encode_class_list(class_ids: Sequence[int]) -> bytes:
    out = bytearray([min(len(class_ids), 0xFF)])
    for class_id in class_ids[:MAX_CLASSES]:
        if not 0 <= class_id <= 0xFFFF:
            raise ValueError(f"class id {class_id:#x} is not two bytes")
        out += class_id.to_bytes(2, "big")
    return bytes(out)


def decode_class_list(edt: bytes) -> ClassList:
    if not edt or (len(edt) - 1) % 2:
        raise ValueError("a class list is a count byte followed by 2-byte class codes")
    listed = (len(edt) - 1) // 2
    if listed > MAX_CLASSES:
        raise ValueError(f"a class list holds at most {MAX_CLASSES} classes, got {listed}")
    total = edt[0]
    if total < listed:
        raise ValueError(f"class list count {total} is less than the {listed} classes listed")
    ids = tuple(int.from_bytes(edt[i : i + 2], "big") for i in range(1, len(edt), 2))
    return ClassList(total, ids)
