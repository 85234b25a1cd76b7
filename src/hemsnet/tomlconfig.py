"""Strict reading of TOML configuration files.

:class:`TomlTable` checks every key of a table against the known ones and the type and range of
each value; a :class:`~hemsnet.errors.ConfigError` names the file and the key path, e.g.
``meter.toml: meter.fixed_date: 32 is out of range (expected 1..31)``. The meter's config, its
fault plan and the controller's config all read through it.
"""

from __future__ import annotations

import difflib
import math
import tomllib
from collections.abc import Collection, Mapping
from datetime import date, datetime, time
from enum import Enum
from pathlib import Path
from typing import Any, Final, TypeVar

from hemsnet.errors import ConfigError

__all__ = ["TomlTable", "kind_of", "read_toml"]

_E = TypeVar("_E", bound=Enum)

# Most specific first: bool is an int, datetime is a date.
_TYPE_NAMES: Final[tuple[tuple[type, str], ...]] = (
    (bool, "a boolean"),
    (int, "an integer"),
    (float, "a float"),
    (str, "a string"),
    (datetime, "a date-time"),
    (date, "a date"),
    (time, "a time"),
    (Mapping, "a table"),
    (list, "an array"),
)


def kind_of(value: object) -> str:
    """What ``value`` is, in TOML words, with the value itself when it is a scalar."""
    for kind, name in _TYPE_NAMES:
        if not isinstance(value, kind):
            continue
        if isinstance(value, Mapping | list):
            return name
        if isinstance(value, bool):
            return f"{name} {str(value).lower()}"
        return f"{name} {value!r}" if isinstance(value, str) else f"{name} {value}"
    return type(value).__name__


def _span(lo: float, hi: float | None, *, above: bool = False) -> str:
    low = f"> {lo:g}" if above else f">= {lo:g}"
    if hi is None:
        return low
    return f"{low} and <= {hi:g}" if above else f"{lo:g}..{hi:g}"


class TomlTable:
    """A table of a parsed TOML document, read strictly.

    Every key must be one of ``known`` (checked at once, with a close match suggested); each
    getter checks the type and range of one key and returns ``default`` when it is absent.
    Errors read ``<source>: <key path>: <reason>``.
    """

    __slots__ = ("_data", "path", "source")

    def __init__(
        self, data: Mapping[str, Any], source: str, path: str, known: Collection[str]
    ) -> None:
        self._data = data
        self.source = source
        self.path = path
        for key, value in data.items():
            if key not in known:
                noun = "table" if isinstance(value, Mapping) else "key"
                close = difflib.get_close_matches(key, list(known), n=1)
                hint = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(known)}"
                raise self.error(key, f"unknown {noun} ({hint})")

    def where(self, key: str | None = None) -> str:
        """The dotted path of ``key`` (of the table itself when ``None``)."""
        if key is None:
            return self.path
        return f"{self.path}.{key}" if self.path else key

    def error(self, key: str | None, reason: str) -> ConfigError:
        """A ConfigError for ``key`` of this table, naming the source and the path."""
        return ConfigError(f"{self.source}: {self.where(key)}: {reason}")

    def raw(self, key: str, types: type | tuple[type, ...], expected: str) -> Any:
        """The value of ``key`` if it is one of ``types`` (booleans are no integers), or None."""
        if key not in self._data:
            return None
        value = self._data[key]
        wanted = types if isinstance(types, tuple) else (types,)
        if isinstance(value, bool) and bool not in wanted:
            wanted = ()  # TOML true is no number, though Python's bool is an int
        if not isinstance(value, wanted):
            raise self.error(key, f"expected {expected}, got {kind_of(value)}")
        return value

    def boolean(self, key: str, default: bool) -> bool:
        value = self.raw(key, bool, "a boolean")
        return default if value is None else bool(value)

    def integer(self, key: str, default: int, lo: int, hi: int | None = None) -> int:
        value = self.raw(key, int, "an integer")
        if value is None:
            return default
        if value < lo or (hi is not None and value > hi):
            raise self.error(key, f"{value} is out of range (expected {_span(lo, hi)})")
        return int(value)

    def number(
        self, key: str, default: float, lo: float, hi: float | None = None, *, above: bool = False
    ) -> float:
        """A float or an integer, finite, ``lo <= value <= hi`` (``lo < value`` if ``above``)."""
        value = self.raw(key, (int, float), "a number")
        if value is None:
            return default
        number = float(value)
        if not math.isfinite(number):
            raise self.error(key, f"{value} is not a finite number")
        if number < lo or (above and number == lo) or (hi is not None and number > hi):
            span = _span(lo, hi, above=above)
            raise self.error(key, f"{value} is out of range (expected {span})")
        return number

    def choice(self, key: str, default: _E) -> _E:
        """A string naming a member of ``default``'s enum by its value."""
        value = self.raw(key, str, "a string")
        if value is None:
            return default
        members = {str(member.value): member for member in type(default)}
        if value not in members:
            raise self.error(key, f"{value!r} is not one of {', '.join(members)}")
        return members[value]

    def array(self, key: str) -> list[Any]:
        value = self.raw(key, list, "an array")
        return [] if value is None else list(value)

    def table(self, key: str, known: Collection[str]) -> TomlTable:
        """The sub-table ``key`` (empty when absent)."""
        value = self.raw(key, Mapping, "a table")
        return TomlTable(value or {}, self.source, self.where(key), known)

    def tables(self, key: str, known: Collection[str]) -> list[TomlTable]:
        """The array of tables ``[[key]]`` (empty when absent)."""
        found = []
        items = self.raw(key, list, f"an array of tables ([[{key}]])") or []
        for index, item in enumerate(items):
            path = f"{self.where(key)}[{index}]"
            if not isinstance(item, Mapping):
                raise ConfigError(f"{self.source}: {path}: expected a table, got {kind_of(item)}")
            found.append(TomlTable(item, self.source, path, known))
        return found


def read_toml(path: Path) -> dict[str, Any]:
    """The parsed TOML file ``path``; a ConfigError names the file (and the line, for syntax)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:  # its message ends "(at line L, column C)"
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
