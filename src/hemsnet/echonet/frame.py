"""ECHONET Lite frames: frozen values and a strict, total codec [EL spec §3.2, AIF 2].

``decode_frame`` returns a :class:`Frame` or :class:`Format2Frame`, or raises
:class:`~hemsnet.errors.FrameError` with a reason; no other exception escapes it for any input.
``encode_frame`` refuses, with :class:`~hemsnet.errors.EncodeError`, every frame that
``decode_frame`` would reject, so ``decode_frame(encode_frame(f)) == f`` and
``encode_frame(decode_frame(b)) == b`` for every valid frame.

The codec is structural: it checks the header, the ESV, the property counts and lengths.
Whether an EDT makes sense for its EPC is the device tables' business (``hemsnet.devices``).
The hot paths are written for speed (bound locals, one ``struct`` call for the header, objects
built with ``tuple.__new__``); keep them that way, ``bench/codec.py`` measures them.

The pure-Python codec here (``_decode_frame_py``, ``_encode_frame_py``) is the reference. The
optional C accelerator ``hemsnet.echonet._speedups``, built by the install when a compiler is
there, takes a fast path for valid frames and hands every other input back to it, so the
accepted frames, the values built and the error reasons are the same. ``decode_frame`` and
``encode_frame`` are the accelerated functions when the module imported, the pure-Python ones
otherwise or when the environment variable ``HEMSNET_PURE_PYTHON=1`` is set at import;
:data:`ACCELERATED` says which. ``tests/property/test_speedups.py`` checks the two agree.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable
from typing import Final, NamedTuple

from hemsnet.echonet.eoj import Eoj
from hemsnet.echonet.esv import Esv
from hemsnet.errors import EncodeError, FrameError

__all__ = [
    "ACCELERATED",
    "EHD1_ECHONET_LITE",
    "EHD2_FORMAT1",
    "EHD2_FORMAT2",
    "Format2Frame",
    "Frame",
    "Property",
    "decode_frame",
    "encode_frame",
]

EHD1_ECHONET_LITE: Final = 0x10
EHD2_FORMAT1: Final = 0x81
EHD2_FORMAT2: Final = 0x82
_MAX_U8: Final = 0xFF


class Property(NamedTuple):
    """One EPC with its EDT. The PDC on the wire is ``len(edt)``; a Get request has no EDT."""

    epc: int
    edt: bytes = b""

    @property
    def pdc(self) -> int:
        return len(self.edt)


class Frame(NamedTuple):
    """A Format 1 (specified message format) frame.

    For the SetGet family, ``properties`` is the OPCSet part and ``get_properties`` the OPCGet
    part; every other service carries only ``properties``.
    """

    tid: int
    seoj: Eoj
    deoj: Eoj
    esv: Esv
    properties: tuple[Property, ...]
    get_properties: tuple[Property, ...] = ()

    def edt_of(self, epc: int) -> bytes | None:
        """The EDT of the first property with this EPC, or None if the frame has none."""
        for prop in self.properties:
            if prop.epc == epc:
                return prop.edt
        return None


class Format2Frame(NamedTuple):
    """A Format 2 (arbitrary message format) frame: the EDATA is opaque to ECHONET Lite."""

    tid: int
    payload: bytes


_ESV_BY_CODE: Final[dict[int, Esv]] = {esv.value: esv for esv in Esv}
_SETGET_CODES: Final = frozenset(esv.value for esv in Esv if esv.is_setget)
# Requests and notifications exist to carry properties; a response or SNA with OPC = 0 is
# structurally valid (useless, and the request matcher rejects it).
_NEEDS_PROPERTIES: Final = frozenset(
    esv.value for esv in Esv if esv.is_request or esv in (Esv.INF, Esv.INFC)
)

_HEADER: Final = struct.Struct(">HH3s3sBB")
_HEADER_SIZE: Final = _HEADER.size  # 12: EHD1 EHD2 TID SEOJ DEOJ ESV OPC
_FORMAT1: Final = (EHD1_ECHONET_LITE << 8) | EHD2_FORMAT1
_FORMAT2: Final = (EHD1_ECHONET_LITE << 8) | EHD2_FORMAT2
_pack_header: Final = struct.Struct(">BBH7BB").pack
_pack_format2: Final = struct.Struct(">BBH").pack

# EOJs repeat in every frame; interning them saves an allocation per field. The cache is
# bounded so that a flood of random bytes cannot grow it without limit.
_EOJ_CACHE: Final[dict[bytes, Eoj]] = {}
_EOJ_CACHE_LIMIT: Final = 4096
_new: Final = tuple.__new__


def _intern_eoj(raw: bytes) -> Eoj:
    eoj = _new(Eoj, (raw[0], raw[1], raw[2]))
    if len(_EOJ_CACHE) < _EOJ_CACHE_LIMIT:
        _EOJ_CACHE[raw] = eoj
    return eoj


def _decode_frame_py(data: bytes) -> Frame | Format2Frame:
    """Decode one ECHONET Lite frame, strictly; raise :class:`FrameError` for anything else."""
    if type(data) is not bytes:
        data = _as_bytes(data)
    try:
        ehd, tid, seoj_raw, deoj_raw, esv_code, opc = _HEADER.unpack_from(data)
    except struct.error:
        return _decode_short(data)
    if ehd != _FORMAT1:
        if ehd == _FORMAT2:
            return _new(Format2Frame, (tid, data[4:]))
        raise _header_error(data)
    esv = _ESV_BY_CODE.get(esv_code)
    if esv is None:
        raise FrameError(f"ESV 0x{esv_code:02X} is reserved")
    seoj = _EOJ_CACHE.get(seoj_raw) or _intern_eoj(seoj_raw)
    deoj = _EOJ_CACHE.get(deoj_raw) or _intern_eoj(deoj_raw)
    size = len(data)
    if esv_code in _SETGET_CODES:
        return _decode_setget(data, tid, seoj, deoj, esv, opc)
    if opc == 1:  # the common case, without the loop
        if size < 14:
            raise FrameError("truncated property 1: EPC/PDC missing")
        end = 14 + data[13]
        if end != size:
            raise _length_error(end, size, 1)
        return _new(Frame, (tid, seoj, deoj, esv, (_new(Property, (data[12], data[14:end])),), ()))
    if opc == 0:
        if esv_code in _NEEDS_PROPERTIES:
            raise FrameError(f"OPC = 0 in {esv.symbol}, which must carry properties")
        if size != _HEADER_SIZE:
            raise FrameError(f"{size - _HEADER_SIZE} trailing bytes after the last property")
        return _new(Frame, (tid, seoj, deoj, esv, (), ()))
    properties, end = _decode_properties(data, _HEADER_SIZE, opc, size)
    if end != size:
        raise _length_error(end, size, opc)
    return _new(Frame, (tid, seoj, deoj, esv, properties, ()))


def _decode_properties(
    data: bytes, pos: int, count: int, size: int
) -> tuple[tuple[Property, ...], int]:
    """Decode ``count`` properties from ``pos``; return them and the offset after the last."""
    props: list[Property] = []
    append = props.append
    for index in range(1, count + 1):
        pdc_at = pos + 1
        if pdc_at >= size:
            raise FrameError(f"truncated property {index} of {count}: EPC/PDC missing")
        end = pdc_at + 1 + data[pdc_at]
        if end > size:
            raise FrameError(
                f"truncated property {index} of {count}: PDC {data[pdc_at]} "
                f"but {size - pdc_at - 1} bytes left"
            )
        append(_new(Property, (data[pos], data[pdc_at + 1 : end])))
        pos = end
    return tuple(props), pos


def _decode_setget(data: bytes, tid: int, seoj: Eoj, deoj: Eoj, esv: Esv, opc_set: int) -> Frame:
    size = len(data)
    set_props, pos = _decode_properties(data, _HEADER_SIZE, opc_set, size)
    if pos >= size:
        raise FrameError(f"truncated {esv.symbol}: OPCGet missing")
    opc_get = data[pos]
    get_props, end = _decode_properties(data, pos + 1, opc_get, size)
    if end != size:
        raise FrameError(f"{size - end} trailing bytes after the last property")
    if esv is Esv.SETGET and opc_set + opc_get == 0:
        raise FrameError("OPCSet = OPCGet = 0 in SetGet, which must carry properties")
    return _new(Frame, (tid, seoj, deoj, esv, set_props, get_props))


def _as_bytes(data: object) -> bytes:
    """Accept any bytes-like input; decoded values always hold immutable ``bytes``."""
    if isinstance(data, bytes | bytearray | memoryview):
        return bytes(data)
    raise FrameError(f"expected bytes, got {type(data).__name__}")


def _decode_short(data: bytes) -> Format2Frame:
    """Frames shorter than a Format 1 header: valid only as Format 2, else an error."""
    size = len(data)
    if size >= 1 and data[0] != EHD1_ECHONET_LITE:
        raise _header_error(data)
    if size >= 2 and data[1] == EHD2_FORMAT2:
        if size >= 4:
            return _new(Format2Frame, ((data[2] << 8) | data[3], data[4:]))
        raise FrameError(f"truncated header: {size} bytes, a Format 2 header needs 4")
    if size >= 2 and data[1] != EHD2_FORMAT1:
        raise _header_error(data)
    raise FrameError(f"truncated header: {size} bytes, a Format 1 header needs 12")


def _header_error(data: bytes) -> FrameError:
    if data[0] != EHD1_ECHONET_LITE:
        return FrameError(f"EHD1 0x{data[0]:02X} is not ECHONET Lite (0x10)")
    return FrameError(f"unknown EHD2 0x{data[1]:02X} (0x81 Format 1, 0x82 Format 2)")


def _length_error(end: int, size: int, opc: int) -> FrameError:
    if end > size:
        return FrameError(f"truncated property {opc} of {opc}: EDT ends past the frame")
    return FrameError(f"{size - end} trailing bytes after the last property")


def _encode_frame_py(frame: Frame | Format2Frame) -> bytes:
    """Encode a frame; raise :class:`EncodeError` for one the protocol cannot carry."""
    if type(frame) is Format2Frame:
        return _encode_format2(frame)
    if type(frame) is not Frame:
        raise EncodeError(f"not a Frame: {frame!r}")
    tid, seoj, deoj, esv, props, get_props = frame
    if esv not in _ESV_BY_CODE:
        raise EncodeError(f"ESV {esv!r} is not a defined service code")
    try:
        if len(seoj) != 3 or len(deoj) != 3:  # indexing alone would cut a longer tuple
            raise ValueError("an EOJ is three bytes")
        out = [
            _pack_header(
                EHD1_ECHONET_LITE, EHD2_FORMAT1, tid,
                seoj[0], seoj[1], seoj[2], deoj[0], deoj[1], deoj[2],
                esv, len(props),
            )
        ]  # fmt: skip
        for epc, edt in props:
            out.append(bytes((epc, len(edt))))
            out.append(edt)
        if esv in _SETGET_CODES:
            out.append(bytes((len(get_props),)))
            for epc, edt in get_props:
                out.append(bytes((epc, len(edt))))
                out.append(edt)
        encoded = b"".join(out)
    except (struct.error, ValueError, TypeError, IndexError) as exc:
        raise EncodeError(_diagnose(frame, exc)) from None
    if get_props and esv not in _SETGET_CODES:
        raise EncodeError(f"only the SetGet family carries a Get part, not ESV 0x{esv:02X}")
    if not props and not get_props and esv in _NEEDS_PROPERTIES:
        raise EncodeError(f"{Esv(esv).symbol} must carry at least one property")
    return encoded


def _encode_format2(frame: Format2Frame) -> bytes:
    payload = frame.payload
    if not isinstance(payload, bytes | bytearray | memoryview):  # bytes(3) would be 3 zeros
        raise EncodeError(f"Format 2 payload must be bytes, got {type(payload).__name__}")
    try:
        return _pack_format2(EHD1_ECHONET_LITE, EHD2_FORMAT2, frame.tid) + bytes(payload)
    except (struct.error, TypeError) as exc:
        raise EncodeError(_diagnose(frame, exc)) from None


def _diagnose(frame: Frame | Format2Frame, exc: Exception) -> str:
    """Name the field that made the encoder fail (slow path, errors only).

    The frame may hold anything at all here, so every check is guarded.
    """
    tid = frame.tid
    if not isinstance(tid, int) or not 0 <= tid <= 0xFFFF:
        return f"TID {tid!r} is outside 0..65535"
    if isinstance(frame, Frame):
        fault = _eoj_fault("SEOJ", frame.seoj) or _eoj_fault("DEOJ", frame.deoj)
        fault = fault or _properties_fault("OPC", frame.properties)
        fault = fault or _properties_fault("OPCGet", frame.get_properties)
        if fault:
            return fault
    return f"cannot encode {frame!r}: {exc}"


def _is_byte(value: object) -> bool:
    return isinstance(value, int) and 0 <= value <= _MAX_U8


def _eoj_fault(name: str, eoj: object) -> str | None:
    if isinstance(eoj, tuple) and len(eoj) == 3 and all(_is_byte(b) for b in eoj):
        return None
    return f"{name} {eoj!r} is not three bytes"


def _properties_fault(part: str, props: object) -> str | None:
    if not isinstance(props, tuple):
        return f"{part}: properties must be a tuple, got {type(props).__name__}"
    if len(props) > _MAX_U8:
        return f"{part} {len(props)} exceeds 255 properties"
    for prop in props:
        if not isinstance(prop, tuple) or len(prop) != 2:
            return f"{part}: {prop!r} is not a Property(epc, edt)"
        epc, edt = prop
        if not _is_byte(epc):
            return f"EPC {epc!r} is not a byte"
        if not isinstance(edt, bytes | bytearray):
            return f"EPC 0x{epc:02X}: EDT must be bytes, got {type(edt).__name__}"
        if len(edt) > _MAX_U8:
            return f"EPC 0x{epc:02X}: PDC {len(edt)} exceeds 255"
    return None


def _load_speedups() -> bool:
    """Hand the types and rules to the C accelerator; False if it is off or not built."""
    if os.environ.get("HEMSNET_PURE_PYTHON", "") not in ("", "0"):
        return False
    try:
        from hemsnet.echonet import _speedups
    except ImportError:
        return False
    _speedups.setup(
        Frame, Property, Eoj, _ESV_BY_CODE, _SETGET_CODES, _NEEDS_PROPERTIES,
        _decode_frame_py, _encode_frame_py,
    )  # fmt: skip
    return True


ACCELERATED: Final = _load_speedups()
"""Whether ``decode_frame`` and ``encode_frame`` are the C accelerator's."""

decode_frame: Callable[[bytes], Frame | Format2Frame]
encode_frame: Callable[[Frame | Format2Frame], bytes]
if ACCELERATED:
    from hemsnet.echonet._speedups import decode_frame, encode_frame
else:
    decode_frame, encode_frame = _decode_frame_py, _encode_frame_py
