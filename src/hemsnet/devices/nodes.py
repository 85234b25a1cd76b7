"""Ready-made nodes: the node profile that describes a node's objects, and a controller node.

Node profile values follow the reference §5: 0xD3 counts instances without the node profile,
0xD4 counts classes with it, 0xD5/0xD6 list the instances in the order given (a meter lists
0x028F before 0x028A [AIF 3.1.1]), 0xD7 lists the classes. Only the mandatory properties are
served by Get [AIF 2.3]; 0xD5 is announced (at start-up) but not readable.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from hemsnet.devices.objects import DeviceObject
from hemsnet.devices.registry import class_def
from hemsnet.echonet.eoj import CONTROLLER, NODE_PROFILE, Eoj
from hemsnet.echonet.instance_list import encode_class_list, encode_instance_list
from hemsnet.echonet.responder import LocalObject, Node

__all__ = [
    "DEFAULT_MANUFACTURER",
    "ECHONET_LITE_VERSION",
    "STANDARD_VERSION_R",
    "controller_node",
    "controller_object",
    "node_profile_object",
]

# No manufacturer code is reserved for experiments; 0xFFFFFF is unassigned. Configurable.
DEFAULT_MANUFACTURER: Final = b"\xff\xff\xff"
# Node profile 0x82: ECHONET Lite 1.14, Format 1 only.
ECHONET_LITE_VERSION: Final = bytes([0x01, 0x0E, 0x01, 0x00])
# Device super class 0x82: Appendix Release R [AIF 3.1.3].
STANDARD_VERSION_R: Final = b"\x00\x00R\x00"
_ON: Final = b"\x30"
_NO_FAULT: Final = b"\x42"
_LOCATION_NOT_SET: Final = b"\x00"


def node_profile_object(
    objects: Sequence[LocalObject],
    *,
    manufacturer: bytes = DEFAULT_MANUFACTURER,
    unique_id: bytes = bytes(13),
) -> DeviceObject:
    """The node profile 0x0EF001 of a node hosting ``objects``, mandatory properties only."""
    if len(manufacturer) != 3 or len(unique_id) != 13:
        raise ValueError("the manufacturer code is 3 bytes and the unique id 13 bytes")
    eojs = [obj.eoj for obj in objects]
    classes = list(dict.fromkeys(eoj.class_id for eoj in eojs))
    instances = encode_instance_list(eojs)
    table = class_def(NODE_PROFILE.class_id)
    assert table is not None
    values = {
        0x80: _ON,
        0x82: ECHONET_LITE_VERSION,
        0x83: b"\xfe" + manufacturer + unique_id,
        0x8A: manufacturer,
        0xD3: len(eojs).to_bytes(3, "big"),
        0xD4: (len(classes) + 1).to_bytes(2, "big"),
        0xD5: instances,
        0xD6: instances,
        0xD7: encode_class_list(classes),
    }
    readable = set(values) - {0xD5} | {0x9D, 0x9E, 0x9F}
    return DeviceObject(NODE_PROFILE, table, values, get=readable, anno={0x80, 0xD5})


def controller_object(
    eoj: Eoj = CONTROLLER, *, manufacturer: bytes = DEFAULT_MANUFACTURER
) -> DeviceObject:
    """A controller object 0x05FF with the super class's mandatory properties."""
    table = class_def(eoj.class_id)
    assert table is not None
    values = {
        0x80: _ON,
        0x81: _LOCATION_NOT_SET,
        0x82: STANDARD_VERSION_R,
        0x88: _NO_FAULT,
        0x8A: manufacturer,
    }
    return DeviceObject(eoj, table, values)


def controller_node(
    *, manufacturer: bytes = DEFAULT_MANUFACTURER, unique_id: bytes = bytes(13)
) -> Node:
    """A node with a node profile and one controller object 0x05FF01."""
    controller = controller_object(manufacturer=manufacturer)
    profile = node_profile_object([controller], manufacturer=manufacturer, unique_id=unique_id)
    return Node(profile, [controller])
