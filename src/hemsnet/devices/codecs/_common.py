"""What the codec modules share: the type and size checks, and raw bytes for people."""

from __future__ import annotations

__all__ = ["expect_size", "hex_text", "need"]


def need(value: object, kind: type | tuple[type, ...], what: str) -> None:
    """Refuse a ``value`` that is not a ``kind`` (a bool is no int here)."""
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ValueError(f"{what} must be {_kind_name(kind)}, got {value!r}")


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(k.__name__ for k in kinds)


def expect_size(edt: bytes, size: int) -> None:
    if len(edt) != size:
        raise ValueError(f"{len(edt)} bytes, expected {size}")


def hex_text(data: bytes) -> str:
    return data.hex(" ").upper() or "(empty)"
