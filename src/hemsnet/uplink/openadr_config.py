"""``[openadr]``: where the controller's OpenADR 2.0b VEN finds the provider's VTN, and how an
event's signal becomes a target for the demand plan (docs/energy-management.md E11, E12).

::

    [openadr]
    vtn_url = "http://[fd00:1::2]:8081/OpenADR2/Simple/2.0b"
    ven_name = "hemsnet"
    opt = "in"                  # take part in events ("in") or decline them ("out")

This module imports no OpenADR library, so that reading a config stays cheap; the VEN
(:mod:`hemsnet.uplink.openadr`) loads openleadr only when a VTN is configured.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from hemsnet.errors import ConfigError
from hemsnet.tomlconfig import TomlTable

__all__ = ["LEVEL_SHARE", "OpenAdrConfig", "dr_target", "parse_openadr"]

_KEYS: Final = ("vtn_url", "ven_name", "opt")
#: SIMPLE levels 0-3 (normal, moderate, high, special) as the share of the plan's target kept.
LEVEL_SHARE: Final = (1.0, 0.9, 0.8, 0.7)


@dataclass(frozen=True, slots=True)
class OpenAdrConfig:
    vtn_url: str | None = None
    ven_name: str = "hemsnet"
    opt: str = "in"


def parse_openadr(data: Mapping[str, Any], source: str = "config") -> OpenAdrConfig:
    """The ``[openadr]`` table (no VEN when absent)."""
    value = data.get("openadr", {})
    if not isinstance(value, Mapping):
        raise ConfigError(f"{source}: openadr: expected a table ([openadr])")
    table = TomlTable(value, source, "openadr", _KEYS)
    url = table.raw("vtn_url", str, "a URL") or None
    if url is not None and not url.startswith(("http://", "https://")):
        raise table.error("vtn_url", f"{url!r} is not an http:// or https:// URL")
    name = table.raw("ven_name", str, "a string") or "hemsnet"
    opt = table.raw("opt", str, '"in" or "out"') or "in"
    if opt not in ("in", "out"):
        raise table.error("opt", f'{opt!r}: "in" takes part in events, "out" declines them')
    return OpenAdrConfig(url, name, opt)


def dr_target(signal_name: str, signal_type: str, payload: float, plan_kw: float) -> float | None:
    """The demand target an event's signal sets (E11), ``None`` for a signal the controller
    cannot act on (it then opts out):

    * ``LOAD_DISPATCH`` ``setpoint``: the payload is the target in kW;
    * ``SIMPLE`` ``level`` 0-3: the plan's target times :data:`LEVEL_SHARE`;
    * ``LOAD_CONTROL`` ``x-loadControlCapacity``: the payload is the share of the plan's
      target (0-1, or 0-100 %) the load may reach.
    """
    name, kind = signal_name.upper(), signal_type
    if name == "LOAD_DISPATCH" and kind == "setpoint":
        return payload if payload > 0 else None
    if name == "SIMPLE" and kind == "level" and plan_kw > 0:
        level = round(payload)
        return plan_kw * LEVEL_SHARE[level] if 0 <= level < len(LEVEL_SHARE) else None
    if name == "LOAD_CONTROL" and kind == "x-loadControlCapacity" and plan_kw > 0:
        share = payload / 100 if payload > 1 else payload
        return plan_kw * share if 0 < share <= 1 else None
    return None
