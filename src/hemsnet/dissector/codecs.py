"""Each EDT codec of the class tables as a Lua table the runtime decodes by (``runtime.lua``).

One emitter per codec class: the Lua table names the kind (``k``) and carries the codec's
parameters, or, for codes, every code's text as Python describes it, so the dissector shows a
value exactly as ``hemsnet decode`` does. A codec without an emitter is an error at generation
time, never a silent hex dump.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from enum import IntEnum
from typing import Any, Final

from hemsnet.devices.appliance_codecs import LengthPrefixed, UIntTuple
from hemsnet.devices.codecs.dates import DateCodec, DateTimeCodec, TimeCodec
from hemsnet.devices.codecs.primitives import (
    Ascii,
    CodeTable,
    Enumerated,
    OrNone,
    Raw,
    Scaled,
    SInt,
    UInt,
    Utf8,
)
from hemsnet.devices.codecs.profile import (
    ClassListCodec,
    IdentificationNumberCodec,
    InstallationLocationCodec,
    InstanceListCodec,
    OperatingTimeCodec,
    PropertyMapCodec,
    ProtocolVersionCodec,
    RouteBIdCodec,
    StandardVersionCodec,
)
from hemsnet.devices.codecs.readings import (
    Currents,
    DayHistory,
    ReadingPair,
    Segments,
    Selector,
    SingleReading,
    TimedPair,
    TimedSingle,
)
from hemsnet.devices.model import Quantity
from hemsnet.devices.units import scale_label

__all__ = ["lua_codec", "lua_string"]


def lua_string(text: str | bytes) -> str:
    """A Lua string literal of ``text`` (UTF-8) or raw bytes, every byte escaped as needed."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    out = []
    for byte in data:
        char = chr(byte)
        if char in '"\\' or not 0x20 <= byte < 0x7F:
            out.append(f"\\{byte}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _table(**fields: object) -> str:
    parts = []
    for key, value in fields.items():
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, str):
            text = lua_string(value)
        elif isinstance(value, float):
            text = repr(value)
        else:
            text = str(value)
        parts.append(f"{key}={text}")
    return "{" + ", ".join(parts) + "}"


def _per(quantity: Quantity) -> str:
    return f"(\N{MULTIPLICATION SIGN} {scale_label(quantity)})"


def _labels(texts: Mapping[int, str]) -> str:
    body = ", ".join(f"[{code}]={lua_string(text)}" for code, text in sorted(texts.items()))
    return '{k="labels", labels={' + body + "}}"


def _uint(c: UInt) -> str:
    hi = (1 << (8 * c.size)) - 1 if c.hi is None else c.hi
    return _table(k="uint", size=c.size, lo=c.lo, hi=hi, unit=c.unit, hex=c.hex_digits)


def _sint(c: SInt) -> str:
    return _table(k="sint", size=c.size, lo=c.lo, hi=c.hi, unit=c.unit)


def _scaled(c: Scaled) -> str:
    exponent = c.step.as_tuple().exponent
    if c.step != Decimal(1).scaleb(exponent if isinstance(exponent, int) else 0):
        raise ValueError(f"step {c.step} is not a power of ten")
    assert isinstance(exponent, int)
    return (
        '{k="scaled", inner='
        + lua_codec(c.inner)
        + f", places={-exponent}, unit={lua_string(c.unit)}}}"
    )


def _or_none(c: OrNone[Any]) -> str:
    codes = ", ".join(lua_string(code) for code in c.codes)
    return (
        '{k="ornone", inner='
        + lua_codec(c.inner)
        + ", codes={"
        + codes
        + f"}}, label={lua_string(c.label)}}}"
    )


def _enumerated(c: Enumerated[IntEnum]) -> str:
    return _labels({int(m): c.describe(m) for m in c.enum})


def _code_table(c: CodeTable) -> str:
    return _labels({code: c.describe(code) for code in c.table})


_EMITTERS: Final[dict[type, Callable[[Any], str]]] = {
    UInt: _uint,
    SInt: _sint,
    Scaled: _scaled,
    OrNone: _or_none,
    Enumerated: _enumerated,
    CodeTable: _code_table,
    Raw: lambda c: _table(k="raw", min=c.min_size, max=c.max_size),
    Ascii: lambda c: _table(k="ascii", min=c.min_size, max=c.max_size),
    Utf8: lambda c: _table(k="utf8", min=c.min_size, max=c.max_size),
    DateTimeCodec: lambda c: _table(k="datetime", seconds=c.seconds),
    DateCodec: lambda c: _table(k="date"),
    TimeCodec: lambda c: _table(k="time"),
    PropertyMapCodec: lambda c: _table(k="propmap"),
    InstanceListCodec: lambda c: _table(k="instances"),
    ClassListCodec: lambda c: _table(k="classes"),
    InstallationLocationCodec: lambda c: _table(k="location", max=c.max_size),
    StandardVersionCodec: lambda c: _table(k="stdversion"),
    ProtocolVersionCodec: lambda c: _table(k="protoversion"),
    IdentificationNumberCodec: lambda c: _table(k="idnumber"),
    RouteBIdCodec: lambda c: _table(k="routebid"),
    OperatingTimeCodec: lambda c: _table(k="optime"),
    SingleReading: lambda c: _table(k="single", per=_per(c.quantity)),
    ReadingPair: lambda c: _table(k="pair", per=_per(c.quantity)),
    TimedPair: lambda c: _table(k="timedpair", per=_per(c.quantity)),
    TimedSingle: lambda c: _table(k="timedsingle", per=_per(c.quantity)),
    DayHistory: lambda c: _table(k="day48", per=_per(c.quantity)),
    Segments: lambda c: _table(
        k="segments", per=_per(c.quantity), max_count=c.max_count, step=c.minute_step
    ),
    Selector: lambda c: _table(k="selector", max_count=c.max_count, step=c.minute_step),
    Currents: lambda c: _table(k="currents", width=c.width),
    UIntTuple: lambda c: _table(
        k="tuple", size=c.size, count=c.count, hi=c.hi, unit=c.unit, step=float(c.step)
    ),
    LengthPrefixed: lambda c: _table(k="prefixed", limit=c.limit),
}


def lua_codec(codec: object) -> str:
    """The Lua table of ``codec``; ``ValueError`` for a codec the runtime cannot decode."""
    emit = _EMITTERS.get(type(codec))
    if emit is None:
        raise ValueError(f"no Lua decoder for {type(codec).__name__}: add one to runtime.lua")
    return emit(codec)
