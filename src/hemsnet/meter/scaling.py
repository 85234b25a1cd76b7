"""From the meter's exact physical registers to the raw counts its properties carry.

The registers hold energy in joules (active) and var-seconds (reactive), exact integers. A raw
reading is that energy divided by the reading's scale, the product the controller multiplies
back [reference §8.1]::

    kWh = raw * unit(0xE6) * coefficient(0xD3) * multiplier(0xD4)

rounded down, and wrapped at 10**digits (0xE5/0xCC), as a counter with that many digits rolls
over (reference §8.1; the AIF does not say so). Fractions keep every step exact.

Demand is derived from the active-energy readings themselves, so that a controller can check
it: the demand of a half-hour is twice its energy, the difference of the two readings that
bound it, expressed in the demand unit (0xC5) and rounded down.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Final

from hemsnet.devices.units import MULTIPLIER_CODES, UNIT_CODES_BIDIR
from hemsnet.meter.config import MeterConfig

__all__ = ["JOULES_PER_KWH", "Counter", "MeterScaling", "power_of_ten"]

JOULES_PER_KWH: Final = 3_600_000
_HALF_HOURS_PER_HOUR: Final = 2
_SECONDS_PER_HALF_HOUR: Final = 1800


@dataclass(frozen=True, slots=True)
class Counter:
    """A raw counter: ``step`` joules (or var-seconds) per count, ``digits`` decimal digits."""

    step: Fraction
    digits: int

    @property
    def modulus(self) -> int:
        return power_of_ten(self.digits)

    def raw(self, amount: int) -> int:
        """The count for ``amount`` joules since installation, wrapped at 10**digits."""
        return (amount * self.step.denominator // self.step.numerator) % self.modulus


def power_of_ten(digits: int) -> int:
    """10**digits, the modulus of a counter with that many digits."""
    return int(10**digits)


class MeterScaling:
    """The scales a meter configuration announces, applied to its registers."""

    def __init__(self, config: MeterConfig) -> None:
        factor = Fraction(config.coefficient) * Fraction(MULTIPLIER_CODES[config.multiplier_code])
        self.energy_kwh = Fraction(UNIT_CODES_BIDIR[config.energy_unit]) * factor
        self.demand_kw = Fraction(UNIT_CODES_BIDIR[config.demand_unit]) * factor
        self.max_demand_kw = Fraction(UNIT_CODES_BIDIR[config.max_demand_unit]) * factor
        reactive_kvarh = Fraction(UNIT_CODES_BIDIR[config.reactive_unit]) * factor
        self.energy = Counter(self.energy_kwh * JOULES_PER_KWH, config.energy_digits)
        self.reactive = Counter(reactive_kvarh * JOULES_PER_KWH, config.reactive_digits)
        self.demand_digits = config.demand_digits
        # One energy count over a half-hour is this many demand counts.
        self._demand_per_count = _HALF_HOURS_PER_HOUR * self.energy_kwh / self.demand_kw
        self._max_demand_per_demand = self.demand_kw / self.max_demand_kw

    def demand(self, previous_raw: int, current_raw: int) -> int:
        """The demand count of a half-hour bounded by two energy readings (wrap handled)."""
        counts = (current_raw - previous_raw) % self.energy.modulus
        ratio = self._demand_per_count
        return counts * ratio.numerator // ratio.denominator

    def demand_fits(self, watts: int) -> bool:
        """Whether a steady ``watts`` over a half-hour gives a demand count below 10**digits.

        One more energy count than the physical energy allows for the readings' rounding; the
        energy counter must not wrap more than once in a half-hour either.
        """
        counts = watts * _SECONDS_PER_HALF_HOUR * self.energy.step.denominator
        most = counts // self.energy.step.numerator + 1
        if most >= self.energy.modulus:
            return False
        return self.demand(0, most) < power_of_ten(self.demand_digits)

    def to_max_demand(self, demand_raw: int) -> int:
        """A demand count (0xC5 unit) in counts of the cumulative-maximum unit (0xC7)."""
        ratio = self._max_demand_per_demand
        return demand_raw * ratio.numerator // ratio.denominator

    def fingerprint(self) -> str:
        """Identifies the scales, so that stored raw values are never read with others."""
        return (
            f"E {self.energy.step}/{self.energy.digits} R {self.reactive.step}/"
            f"{self.reactive.digits} D {self.demand_kw}/{self.demand_digits} "
            f"M {self.max_demand_kw}"
        )
