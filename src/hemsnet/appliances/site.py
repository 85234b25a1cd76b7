"""The emulated appliances as part of the site's load: what the meter emulator adds to its own
load model when the two are co-simulated (docs/energy-management.md E10).

Each appliance may stand for ``units`` identical units commanded together (a floor of room
air conditioners behind one group controller), so that home-sized emulators weigh on a
high-voltage customer's demand. Power a battery or an EV charger feeds back (0xD3 < 0) and
what a PV system generates lower the draw.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hemsnet.appliances.base import Appliance
from hemsnet.appliances.solar import Solar

__all__ = ["SiteLoad", "grid_draw_w"]


def grid_draw_w(appliance: Appliance) -> int:
    """What ``appliance`` draws from the site's supply now, in W (negative: it feeds)."""
    power = appliance.power()
    return -power if isinstance(appliance, Solar) else power


@dataclass(frozen=True, slots=True)
class SiteLoad:
    """The appliances' draw, each times its units: a zero-argument callable in W."""

    members: Sequence[tuple[Appliance, int]]

    def __call__(self) -> int:
        return sum(grid_draw_w(appliance) * units for appliance, units in self.members)
