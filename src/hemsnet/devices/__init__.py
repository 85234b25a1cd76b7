"""ECHONET device class tables and value codecs, without I/O.

``class_def(0x028F)`` gives a class table (:class:`ClassDef`, rows of :class:`PropertyDef`);
``decode_property(class_id, epc, edt)`` decodes and describes one EDT; ``to_jsonable`` gives a
decoded value's JSON form; ``physical`` scales a raw reading exactly.
"""

from hemsnet.devices.model import Access, ClassDef, Codec, PropertyDef, Quantity
from hemsnet.devices.registry import CLASSES, DecodedProperty, class_def, decode_property
from hemsnet.devices.units import Scale, delta, physical
from hemsnet.devices.values import to_jsonable

__all__ = [
    "CLASSES",
    "Access",
    "ClassDef",
    "Codec",
    "DecodedProperty",
    "PropertyDef",
    "Quantity",
    "Scale",
    "class_def",
    "decode_property",
    "delta",
    "physical",
    "to_jsonable",
]
