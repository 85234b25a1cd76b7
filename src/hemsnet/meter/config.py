"""The meter emulator's configuration: what a ``meter.toml`` sets.

A ``[meter]`` table (identity, history depth, optional properties, scaling) and a ``[load]``
table (the load model), both optional. Parsing is strict: an unknown key, a wrong type or a
value out of range is a :class:`~hemsnet.errors.ConfigError` that names the file and the key
path, e.g. ``meter.toml: meter.fixed_date: 32 is out of range (expected 1..31)``.

The strict reader is :class:`hemsnet.tomlconfig.TomlTable`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import Enum
from pathlib import Path
from typing import Any, Final

from hemsnet.devices.codecs.readings import HISTORY_DAY_MAX
from hemsnet.devices.hv_meter_bidir import HV_METER_BIDIR, HV_METER_BIDIR_CLASS
from hemsnet.devices.lv_meter import LV_METER_CLASS
from hemsnet.devices.model import Access
from hemsnet.devices.nodes import DEFAULT_MANUFACTURER
from hemsnet.devices.units import COEFFICIENT_MAX, MULTIPLIER_CODES, UNIT_CODES_BIDIR
from hemsnet.errors import ConfigError
from hemsnet.meter.faults import window_of
from hemsnet.physics.load import SURGE_FACTOR_MAX, LoadSettings, Profile, Surge
from hemsnet.tomlconfig import TomlTable, kind_of, read_toml

__all__ = [
    "OPTIONAL_EPCS",
    "MeterConfig",
    "MixedHistory",
    "load_config",
    "parse_config",
]

#: The optional properties of AIF Tables 2-3 and 2-4 the emulator can switch on or off.
OPTIONAL_EPCS: Final = frozenset({0x8D, 0xC2, 0xC7, 0xCA, 0xCB, 0xCC, 0xCD, 0xCE, 0xCF, 0xE4})


class MixedHistory(Enum):
    """What the meter does with a request that mixes a history EPC with others [AIF 2.4.4]."""

    REFUSE = "refuse"  # answered with an SNA: the AIF does not require serving it
    SERVE = "serve"


@dataclass(frozen=True, slots=True)
class MeterConfig:
    """Everything a ``meter.toml`` sets; the defaults are a Japanese Route B meter, the
    bidirectional high-voltage one (0x028F) or, with :meth:`low_voltage`, a home's (0x0288)."""

    meter_class: int = HV_METER_BIDIR_CLASS  # 0x028F, or 0x0288 [MRA]
    manufacturer: bytes = DEFAULT_MANUFACTURER  # 0x8A, 3 bytes
    unique_id: bytes = bytes(13)  # the 13 bytes after FE + manufacturer in 0x83
    production_number: str = "HEMSNET00001"  # 0x8D, 12 ASCII characters
    route_b_id: bytes | None = None  # None: 0x00 + manufacturer + 12 zero bytes
    location: int = 0x00  # 0x81, 1-byte form; 0x00 = not set
    fixed_date: int = 1  # 0xE0, day of the month 1..31
    retained_days: int = 45  # days of 30-minute history; 0xE1 may select 0..retained_days
    minute_history_days: int = 1  # days of 1-minute history behind 0xEF/0xED
    reverse_measurement: bool = True  # False: reverse values read 0xFFFFFFFF [AIF 2.3 *2, *3]
    companion_028a: bool = False  # also install 0x028A, listed after 0x028F [AIF 3.1.1]
    optional: frozenset[int] = OPTIONAL_EPCS  # optional EPCs installed (and listed in 0x9F)
    coefficient: int = 1  # 0xD3
    multiplier_code: int = 0x00  # 0xD4
    energy_unit: int = 0x01  # 0xE6
    demand_unit: int = 0x01  # 0xC5
    max_demand_unit: int = 0x01  # 0xC7
    reactive_unit: int = 0x01  # 0xCD
    energy_digits: int = 8  # 0xE5
    demand_digits: int = 8  # 0xC4
    reactive_digits: int = 8  # 0xCC
    mixed_history: MixedHistory = MixedHistory.REFUSE
    max_controllers: int = 1  # controllers served at once [AIF 2.4.1 note: up to three]
    controllers: tuple[str, ...] = ()  # addresses, parsed by the runner
    load: LoadSettings = field(default_factory=LoadSettings)

    @classmethod
    def low_voltage(cls) -> MeterConfig:
        """A home's low-voltage meter (0x0288): 100/200 V single-phase three-wire, a peak of
        4 kW and 3 kW of rooftop PV, 0.1 kWh with six digits (M21)."""
        return cls(
            meter_class=LV_METER_CLASS,
            energy_unit=0x01,
            energy_digits=6,
            load=LoadSettings(
                profile=Profile.HOUSEHOLD,
                peak_kw=4.0,
                pv_kw=3.0,
                power_factor=0.95,
                voltage_v=200.0,
            ),
        )

    @property
    def low_voltage_meter(self) -> bool:
        return self.meter_class == LV_METER_CLASS

    @property
    def effective_route_b_id(self) -> bytes:
        """0xC0: ``route_b_id``, or 0x00 + manufacturer + 12 zero bytes [AIF Annex 1(1)]."""
        if self.route_b_id is not None:
            return self.route_b_id
        return b"\x00" + self.manufacturer + bytes(12)


# --- the strict TOML reader ----------------------------------------------------------------

# --- [meter] and [load] --------------------------------------------------------------------

_DEFAULT: Final = MeterConfig()
_DEFAULT_LOAD: Final = LoadSettings()

_METER_KEYS: Final = (
    "class",
    "manufacturer",
    "unique_id",
    "production_number",
    "route_b_id",
    "location",
    "fixed_date",
    "retained_days",
    "minute_history_days",
    "reverse_measurement",
    "companion_028a",
    "optional",
    "coefficient",
    "multiplier",
    "energy_unit",
    "demand_unit",
    "max_demand_unit",
    "reactive_unit",
    "energy_digits",
    "demand_digits",
    "reactive_digits",
    "mixed_history",
    "max_controllers",
    "controllers",
)
_SURGE_KEYS: Final = ("start", "end", "minutes", "factor")
_LOAD_KEYS: Final = (
    "profile",
    "peak_kw",
    "noise",
    "pv_kw",
    "power_factor",
    "pv_power_factor",
    "voltage_v",
    "surge",
)

_PRODUCTION_NUMBER_SIZE: Final = 12  # 0x8D [MRA 0x0000]
_MAX_DIGITS: Final = 8  # 0xE5/0xC4/0xCC range [MRA 0x028F]
_MAX_CONTROLLERS: Final = 3  # [AIF 2.4.1 note]
_POSITION_CODE: Final = 0x01
_LAST_RESERVED_LOCATION: Final = 0x07
_MAX_LOAD_KW: Final = 100_000.0  # a 6.6 kV customer is far below 100 MW
_MIN_POWER_FACTOR: Final = 0.5
_MAX_NOISE: Final = 0.5

#: Readings that a controller cannot interpret without other optional EPCs [reference §8.1].
_NEEDS: Final[tuple[tuple[frozenset[int], frozenset[int]], ...]] = (
    (frozenset({0xC2}), frozenset({0xC7})),
    (frozenset({0xCA, 0xCB, 0xCE, 0xCF}), frozenset({0xCC, 0xCD})),
)
_ROLE: Final = {0xC7: "its unit", 0xCC: "its effective digits", 0xCD: "its unit"}


def _hex(table: TomlTable, key: str, size: int, default: bytes) -> bytes:
    """``size`` bytes written as hex; spaces, colons and a 0x prefix are allowed."""
    value = table.raw(key, str, f"a hex string of {size} bytes")
    if value is None:
        return default
    digits = "".join(value.strip().removeprefix("0x").removeprefix("0X").replace(":", " ").split())
    try:
        data = bytes.fromhex(digits)
    except ValueError:
        raise table.error(key, f"{value!r} is not hexadecimal bytes") from None
    if len(data) != size:
        raise table.error(key, f"{value!r} is {len(data)} bytes, expected {size}")
    return data


def _code_ranges(codes: Iterable[int]) -> str:
    """``0x00..0x04, 0x0A..0x0E``: the codes as runs of consecutive values."""
    runs: list[list[int]] = []
    for code in sorted(codes):
        if runs and code == runs[-1][-1] + 1:
            runs[-1].append(code)
        else:
            runs.append([code])
    return ", ".join(
        f"0x{run[0]:02X}" if len(run) == 1 else f"0x{run[0]:02X}..0x{run[-1]:02X}" for run in runs
    )


def _scale_code(
    table: TomlTable, key: str, codes: Mapping[int, Decimal], what: str, default: int
) -> int:
    """The code of a scale factor given by value (``0.1``, ``"100000"``) or as code ``"0x01"``.

    Values compare as Decimal, so ``0.1`` matches exactly, not as the binary float.
    """
    value = table.raw(key, (int, float, str), "a number or a string")
    if value is None:
        return default
    if isinstance(value, str) and value.strip().lower().startswith("0x"):
        try:
            code = int(value, 16)
        except ValueError:
            raise table.error(key, f"{value!r} is not a hex code") from None
        if code not in codes:
            known = _code_ranges(codes)
            raise table.error(key, f"0x{code:02X} is not a {what} code (known: {known})")
        return code
    try:
        wanted = Decimal(repr(value) if isinstance(value, float) else value)
    except InvalidOperation:
        wanted = Decimal("NaN")
    if wanted.is_finite():
        for code, factor in codes.items():
            if factor == wanted:
                return code
    known = ", ".join(str(factor) for factor in codes.values())
    raise table.error(key, f"{value!r} is not a {what} (known: {known})")


def _location(table: TomlTable) -> int:
    code = table.integer("location", _DEFAULT.location, 0x00, 0xFF)
    if code == _POSITION_CODE:
        raise table.error("location", "0x01 needs 16 bytes of position, use a 1-byte code")
    if _POSITION_CODE < code <= _LAST_RESERVED_LOCATION:
        raise table.error("location", f"0x{code:02X} is reserved (0x02..0x07) [reference §7.1]")
    return code


def _production_number(table: TomlTable) -> str:
    value = table.raw("production_number", str, "a string")
    if value is None:
        return _DEFAULT.production_number
    if not (value.isascii() and value.isprintable()) or len(value) != _PRODUCTION_NUMBER_SIZE:
        raise table.error(
            "production_number",
            f"{value!r} is not {_PRODUCTION_NUMBER_SIZE} printable ASCII characters",
        )
    return str(value)


def _optional(meter: TomlTable) -> frozenset[int]:
    """The ``[meter.optional]`` switches applied to the default (all installed)."""
    switches = meter.raw("optional", Mapping, "a table of EPC = true/false")
    if switches is None:
        return _DEFAULT.optional
    # Any key may appear here: _epc_name judges each one.
    table = TomlTable(switches, meter.source, meter.where("optional"), list(switches))
    installed = set(_DEFAULT.optional)
    seen: dict[int, str] = {}
    for key in switches:
        epc = _epc_name(table, key)
        if epc in seen:
            raise table.error(key, f"the same EPC as {seen[epc]!r}")
        seen[epc] = key
        if table.boolean(key, default=True):
            installed.add(epc)
        else:
            installed.discard(epc)
    for readings, needed in _NEEDS:
        for epc in sorted(readings & installed):
            missing = sorted(needed - installed)
            if missing:
                names = " and ".join(f"0x{code:02X} ({_ROLE[code]})" for code in missing)
                raise table.error(
                    None,
                    f"0x{epc:02X} needs {names} on too, or a controller cannot interpret "
                    "its readings [reference §8.1]",
                )
    return frozenset(installed)


def _epc_name(table: TomlTable, key: str) -> int:
    """The EPC of an ``optional`` key such as ``0xC2``; only OPTIONAL_EPCS may be switched."""
    switchable = ", ".join(f"0x{epc:02X}" for epc in sorted(OPTIONAL_EPCS))
    digits = key[2:] if key[:2] in ("0x", "0X") else ""
    if len(digits) != 2 or not all(c in "0123456789abcdefABCDEF" for c in digits):
        raise table.error(key, f"not an EPC name like 0xC2 (switchable: {switchable})")
    epc = int(digits, 16)
    if epc in OPTIONAL_EPCS:
        return epc
    prop = HV_METER_BIDIR.get(epc)
    if prop is not None and prop.get is Access.MANDATORY:
        reason = f"{prop.name} is mandatory [AIF Tables 2-3, 2-4] and cannot be switched"
    elif prop is not None:
        reason = f"{prop.name} is not implemented by the emulator"
    else:
        reason = "unknown EPC for class 0x028F"
    raise table.error(key, f"{reason} (switchable: {switchable})")


def _controllers(meter: TomlTable, max_controllers: int) -> tuple[str, ...]:
    addresses = meter.array("controllers")
    for index, address in enumerate(addresses):
        if not isinstance(address, str) or not address.strip():
            raise meter.error(
                f"controllers[{index}]", f"expected a non-empty string, got {kind_of(address)}"
            )
    if len(addresses) > max_controllers:
        raise meter.error(
            "controllers",
            f"{len(addresses)} addresses, more than max_controllers ({max_controllers})",
        )
    return tuple(addresses)


def _load(table: TomlTable, d: LoadSettings = _DEFAULT_LOAD) -> LoadSettings:
    return LoadSettings(
        profile=table.choice("profile", d.profile),
        peak_kw=table.number("peak_kw", d.peak_kw, 0.0, _MAX_LOAD_KW, above=True),
        noise=table.number("noise", d.noise, 0.0, _MAX_NOISE),
        pv_kw=table.number("pv_kw", d.pv_kw, 0.0, _MAX_LOAD_KW),
        power_factor=table.number("power_factor", d.power_factor, _MIN_POWER_FACTOR, 1.0),
        pv_power_factor=table.number("pv_power_factor", d.pv_power_factor, _MIN_POWER_FACTOR, 1.0),
        voltage_v=table.number("voltage_v", d.voltage_v, 0.0, above=True),
        surges=tuple(_surge(surge) for surge in table.tables("surge", _SURGE_KEYS)),
    )


def _surge(table: TomlTable) -> Surge:
    window = window_of(table)
    factor = table.number("factor", 1.0, 0.0, SURGE_FACTOR_MAX, above=True)
    return Surge(window.start, window.end, factor)


def parse_config(data: Mapping[str, Any], source: str = "config") -> MeterConfig:
    """The configuration a parsed ``meter.toml`` describes; ConfigError if it is not valid."""
    for key in data:  # a forgotten table header is the likely mistake
        for name, keys in (("meter", _METER_KEYS), ("load", _LOAD_KEYS)):
            if key in keys:
                raise ConfigError(f"{source}: {key}: belongs in the [{name}] table")
    root = TomlTable(data, source, "", ("meter", "load"))
    meter = root.table("meter", _METER_KEYS)
    meter_class = _meter_class(meter)
    d = MeterConfig.low_voltage() if meter_class == LV_METER_CLASS else _DEFAULT
    manufacturer = _hex(meter, "manufacturer", 3, d.manufacturer)
    unique_id = _hex(meter, "unique_id", 13, d.unique_id)
    production_number = _production_number(meter)
    route_b_id = _hex(meter, "route_b_id", 16, b"") or None  # absent: derived, see the property
    location = _location(meter)
    fixed_date = meter.integer("fixed_date", d.fixed_date, 1, 31)
    retained_days = meter.integer("retained_days", d.retained_days, 0, HISTORY_DAY_MAX)
    minute_days = meter.integer("minute_history_days", d.minute_history_days, 1, HISTORY_DAY_MAX)
    if minute_days > max(retained_days, 1):
        raise meter.error(
            "minute_history_days",
            f"{minute_days} is more than retained_days ({retained_days}): the 1-minute "
            "history cannot reach further back than the 30-minute one",
        )
    max_controllers = meter.integer("max_controllers", d.max_controllers, 1, _MAX_CONTROLLERS)
    return MeterConfig(
        meter_class=meter_class,
        manufacturer=manufacturer,
        unique_id=unique_id,
        production_number=production_number,
        route_b_id=route_b_id,
        location=location,
        fixed_date=fixed_date,
        retained_days=retained_days,
        minute_history_days=minute_days,
        reverse_measurement=meter.boolean("reverse_measurement", d.reverse_measurement),
        companion_028a=meter.boolean("companion_028a", d.companion_028a),
        optional=_optional(meter),
        # 0 would make every reading scale to 0 kWh.
        coefficient=meter.integer("coefficient", d.coefficient, 1, COEFFICIENT_MAX),
        multiplier_code=_scale_code(
            meter, "multiplier", MULTIPLIER_CODES, "coefficient multiplier", d.multiplier_code
        ),
        energy_unit=_scale_code(meter, "energy_unit", UNIT_CODES_BIDIR, "unit", d.energy_unit),
        demand_unit=_scale_code(meter, "demand_unit", UNIT_CODES_BIDIR, "unit", d.demand_unit),
        max_demand_unit=_scale_code(
            meter, "max_demand_unit", UNIT_CODES_BIDIR, "unit", d.max_demand_unit
        ),
        reactive_unit=_scale_code(
            meter, "reactive_unit", UNIT_CODES_BIDIR, "unit", d.reactive_unit
        ),
        energy_digits=meter.integer("energy_digits", d.energy_digits, 1, _MAX_DIGITS),
        demand_digits=meter.integer("demand_digits", d.demand_digits, 1, _MAX_DIGITS),
        reactive_digits=meter.integer("reactive_digits", d.reactive_digits, 1, _MAX_DIGITS),
        mixed_history=meter.choice("mixed_history", d.mixed_history),
        max_controllers=max_controllers,
        controllers=_controllers(meter, max_controllers),
        load=_load(root.table("load", _LOAD_KEYS), d.load),
    )


def _meter_class(meter: TomlTable) -> int:
    """``class = "028F"`` (the default) or ``"0288"``."""
    value = meter.raw("class", str, "a string")
    if value is None:
        return HV_METER_BIDIR_CLASS
    text = str(value).strip().upper().removeprefix("0X")
    if text not in ("028F", "0288"):
        raise meter.error("class", f"{value!r} is not a meter class hemsnet emulates (028F, 0288)")
    return int(text, 16)


def load_config(path: Path) -> MeterConfig:
    """The configuration in the TOML file ``path``; ConfigError names the file on any error."""
    return parse_config(read_toml(path), str(path))
