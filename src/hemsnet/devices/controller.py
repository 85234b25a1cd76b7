"""Controller class 0x05FF [MRA devices/0x05FF.json]: the super class plus optional rows.

Every controller-specific property is optional; the mandatory ones come from the super class
(reference §10).
"""

from __future__ import annotations

from typing import Final

from hemsnet.devices.codecs.dates import DateCodec
from hemsnet.devices.codecs.primitives import Ascii, Enumerated, Raw, UInt, Utf8
from hemsnet.devices.codecs.profile import InstallationLocationCodec
from hemsnet.devices.superclass import (
    FAULT_STATUS_CODEC,
    NS,
    PROPERTY_MAP_CODEC,
    O,
    device_class,
    row,
)
from hemsnet.devices.values import ConnectionStatus

__all__ = ["CONTROLLER", "CONTROLLER_CLASS"]

CONTROLLER_CLASS: Final = 0x05FF
_COUNT: Final = UInt(2, 0, 65533)

# fmt: off
_ROWS: Final = (
    #   EPC   name                                                   Get Set Anno codec
    row(0xC0, "Controller ID",                                       O,  NS, O,  Raw(1, 40)),
    row(0xC1, "Number of devices controlled",                        O,  NS, O,  _COUNT),
    row(0xC2, "Index",                                               O,  O,  O,  _COUNT),
    row(0xC3, "Device ID",                                           O,  NS, O,  Raw(1, 40)),
    row(0xC4, "Device type",                                         O,  NS, O,
        UInt(2, hex_digits=4)),
    row(0xC5, "Name",                                                O,  NS, O,  Utf8(1, 64)),
    row(0xC6, "Connection status",                                   O,  NS, O,
        Enumerated(ConnectionStatus)),
    row(0xC7, "Business code of the device to be controlled",        O,  NS, O,  Raw(3, 3)),
    row(0xC8, "Product code of the device to be controlled",         O,  NS, O,  Ascii(1, 12)),
    row(0xC9, "Manufacture date of the device to be controlled",     O,  NS, O,  DateCodec()),
    row(0xCA, "Registered information renewal date of the device to be controlled",
                                                                     O,  NS, O,  DateCodec()),
    row(0xCB, "Registered information renewal version information of the device to be "
              "controlled",                                          O,  NS, O,  _COUNT),
    row(0xCC, "Place to install device to be controlled",            O,  NS, O,
        InstallationLocationCodec(max_size=1)),
    row(0xCD, "Fault status of device to be controlled",             O,  NS, O,
        FAULT_STATUS_CODEC),
    row(0xCE, "Set property map for device to be controlled",        O,  NS, O,
        PROPERTY_MAP_CODEC),
    row(0xCF, "Get property map for device to be controlled",        O,  NS, O,
        PROPERTY_MAP_CODEC),
    row(0xE0, "Address of installation location",                    O,  NS, O,  Raw(1, 255)),
)
# fmt: on

CONTROLLER: Final = device_class(CONTROLLER_CLASS, "Controller", _ROWS)
