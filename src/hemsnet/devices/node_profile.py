"""Node profile class 0x0EF0 [MRA nodeProfile/0x0EF0.json, EL spec §4.3.1].

The rules are the class's own. A meter implements only the mandatory ones [AIF 2.3]; which rows
a node serves is its property maps' business, so the table keeps every row of the class.
"""

from __future__ import annotations

from typing import Final

from hemsnet.devices.codecs.dates import DateCodec
from hemsnet.devices.codecs.primitives import Ascii, Enumerated, Raw, UInt
from hemsnet.devices.codecs.profile import (
    ClassListCodec,
    IdentificationNumberCodec,
    InstanceListCodec,
    ProtocolVersionCodec,
)
from hemsnet.devices.model import ClassDef
from hemsnet.devices.superclass import (
    FAULT_STATUS_CODEC,
    MANUFACTURER_CODE_CODEC,
    NS,
    PRODUCTION_NUMBER_CODEC,
    PROPERTY_MAP_CODEC,
    M,
    O,
    property_table,
    row,
)
from hemsnet.devices.values import OperationStatus

__all__ = ["NODE_PROFILE", "NODE_PROFILE_CLASS"]

NODE_PROFILE_CLASS: Final = 0x0EF0

_BOOTING: Final = Enumerated(
    OperationStatus, {OperationStatus.ON: "booting", OperationStatus.OFF: "not booting"}
)

# fmt: off
_ROWS: Final = (
    #   EPC   name                                       Get Set Anno codec
    row(0x80, "Operating status",                        M,  NS, M,  _BOOTING),
    row(0x82, "Version information",                     M,  NS, O,  ProtocolVersionCodec()),
    row(0x83, "Identification number",                   M,  NS, O,  IdentificationNumberCodec()),
    row(0x88, "Fault status",                            O,  NS, O,  FAULT_STATUS_CODEC),
    row(0x89, "Fault description",                       O,  NS, O,  UInt(2, 0, 1004)),
    row(0x8A, "Manufacturer code",                       M,  NS, O,  MANUFACTURER_CODE_CODEC),
    row(0x8B, "Business facility code",                  O,  NS, O,  Raw(3, 3)),
    row(0x8C, "Product code",                            O,  NS, O,  Ascii(12, 12)),
    row(0x8D, "Production number",                       O,  NS, O,  PRODUCTION_NUMBER_CODEC),
    row(0x8E, "Production date",                         O,  NS, O,  DateCodec()),
    row(0x9D, "Status change announcement property map", M,  NS, O,  PROPERTY_MAP_CODEC),
    row(0x9E, "Set property map",                        M,  NS, O,  PROPERTY_MAP_CODEC),
    row(0x9F, "Get property map",                        M,  NS, O,  PROPERTY_MAP_CODEC),
    row(0xBF, "Unique identifier data",                  O,  O,  O,  Raw(2, 2)),
    row(0xD3, "Number of self-node instances",           M,  NS, O,  UInt(3)),
    row(0xD4, "Number of self-node classes",             M,  NS, O,  UInt(2, 1, 253)),
    row(0xD5, "Instance list notification",              O,  NS, M,  InstanceListCodec()),
    row(0xD6, "Self-node instance list S",               M,  NS, O,  InstanceListCodec()),
    row(0xD7, "Self-node class list S",                  M,  NS, O,  ClassListCodec()),
)
# fmt: on

NODE_PROFILE: Final = ClassDef(NODE_PROFILE_CLASS, "Node profile", property_table(_ROWS))
