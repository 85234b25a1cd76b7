"""One entry point for the common work with a smart meter: find it, read it, scaled.

::

    from hemsnet import SmartMeter

    async with SmartMeter.connect("eth1") as meter:
        power = await meter.instantaneous_power()        # Measured(1234 W at ...)
        energy = await meter.cumulative_energy()         # kWh, with the meter's time stamp
        demand = await meter.demand_history(1)           # yesterday's 48 half-hours, kW

:meth:`SmartMeter.connect` finds the bidirectional high-voltage meter (class 0x028F) by a
multicast Get of 0x80 to 0x028F00 [AIF 3.1.2], or asks the address given, then reads the
attributes that scale its readings (0xD3 coefficient, 0xD4 multiplier, 0xE6/0xC5 units, 0xE5/
0xC4 digits [AIF 3.1.4]), three per request [AIF 2.4.4]. Each reading comes back as a
:class:`Measured`: an exact ``Decimal`` with its unit and the meter time it is of, decoded and
scaled by the same code as the Route B controller's (:func:`hemsnet.metering.samples.samples_of`).
Requests keep the controller's discipline (one outstanding, the AIF response-wait timers,
a fresh TID per attempt) through :class:`~hemsnet.aio.client.EchonetClient`.

The meter is reached over any :class:`~hemsnet.aio.udp.DatagramLink`: a UDP socket bound to an
interface (the usual case, ``connect("eth1")``, which needs ``CAP_NET_RAW``), or another link
given as ``link=`` (the IPv6 loopback in tests, a Wi-SUN dongle's link when there is one).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Final

from hemsnet.aio.client import EchonetClient
from hemsnet.aio.udp import Address, DatagramLink, Interface, UdpTransport, parse_address
from hemsnet.devices.hv_meter_bidir import HV_METER_BIDIR_CLASS
from hemsnet.echonet.eoj import Eoj
from hemsnet.echonet.esv import Esv
from hemsnet.echonet.frame import Property
from hemsnet.errors import RequestError, RequestRefused
from hemsnet.metering.attributes import MeterScales
from hemsnet.metering.samples import Sample, samples_of

__all__ = ["Measured", "SmartMeter"]

_ANY_METER: Final = Eoj.of(HV_METER_BIDIR_CLASS, 0)
#: What scales the readings [AIF 3.1.4]: coefficient, multiplier, units, digits.
_SCALING: Final = (0xD3, 0xD4, 0xE6, 0xC5, 0xE5, 0xC4)
_PER_REQUEST: Final = 3  # [AIF 2.4.4]
_DAY_SELECT: Final = 0xE1
_SEARCH_WINDOW: Final = 3.0


@dataclass(frozen=True, slots=True)
class Measured:
    """A reading: its exact value and unit, and the meter time it is of (for EA and EB, which
    carry none, the time they were read, on this computer's clock)."""

    value: Decimal
    unit: str
    at: datetime

    def __str__(self) -> str:
        return f"{format(self.value, 'f')} {self.unit} at {self.at.isoformat(' ')}"


def _measured(sample: Sample) -> Measured | None:
    if sample.value is None:  # the meter has no data [AIF 2.3]
        return None
    return Measured(sample.value, sample.series.unit, sample.measured_at)


class SmartMeter:
    """A bidirectional high-voltage smart meter (0x028F) found and ready to read."""

    def __init__(
        self, client: EchonetClient, address: Address, eoj: Eoj, attributes: dict[int, bytes]
    ) -> None:
        self.client = client
        self.address = address
        self.eoj = eoj
        self.attributes = attributes
        self._scales = MeterScales(attributes)

    @classmethod
    @contextlib.asynccontextmanager
    async def connect(
        cls,
        iface: str | None = None,
        *,
        address: str | Address | None = None,
        link: DatagramLink | None = None,
        timeout: float | None = None,
    ) -> AsyncIterator[SmartMeter]:
        """Find the meter on ``iface`` (or over ``link``), at ``address`` when given (text, port
        3610, or an :class:`Address`), and read its scaling attributes. ``timeout`` (seconds)
        replaces the AIF response-wait timers, 40 s and 180 s, for meters that answer faster.
        ``RequestError`` when none answers."""
        interface = Interface.lookup(iface) if iface is not None else None
        client = EchonetClient(link or UdpTransport(interface))
        client.start()
        try:
            found = await cls._find(client, address, interface, timeout)
            attributes = await cls._attributes(client, found, timeout)
            yield cls(client, found[0], found[1], attributes)
        finally:
            client.close()

    @staticmethod
    async def _find(
        client: EchonetClient,
        address: str | Address | None,
        interface: Interface | None,
        timeout: float | None,
    ) -> tuple[Address, Eoj]:
        if address is None:
            hits = await client.search(HV_METER_BIDIR_CLASS, window=_SEARCH_WINDOW, expect=1)
            if not hits:
                where = interface.name if interface else "the link"
                raise RequestError(
                    f"no smart meter (0x028F) answered a search on {where} within "
                    f"{_SEARCH_WINDOW:g} s; give its address"
                )
            return hits[0].address, hits[0].eoj
        peer = address if isinstance(address, Address) else parse_address(address, interface)
        reply = await client.request(peer, _ANY_METER, Esv.GET, (Property(0x80),), timeout=timeout)
        return peer, reply.seoj

    @staticmethod
    async def _attributes(
        client: EchonetClient, found: tuple[Address, Eoj], timeout: float | None
    ) -> dict[int, bytes]:
        attributes: dict[int, bytes] = {}
        for first in range(0, len(_SCALING), _PER_REQUEST):
            epcs = _SCALING[first : first + _PER_REQUEST]
            try:
                attributes |= await client.get(*found, epcs, timeout=timeout)
            except RequestRefused as refused:  # an optional one (0xC4, 0xC5) is absent
                attributes |= {epc: edt for epc, edt in refused.accepted.items() if edt}
        return attributes

    async def read(self, epc: int, *, day: date | None = None) -> list[Measured | None]:
        """The readings in 0x028F property ``epc`` (0xE2, 0xE3, 0xC3, 0xEA, 0xEB, a history
        after :meth:`demand_history`'s selection…), scaled; ``None`` where the meter has no
        data."""
        edt = (await self.client.get(self.address, self.eoj, [epc]))[epc]
        samples = samples_of(epc, edt, self._scales, read_at=datetime.now(), day=day)
        return [_measured(sample) for sample in samples]

    async def instantaneous_power(self) -> Measured | None:
        """0xEA, W (negative: exporting)."""
        (power,) = await self.read(0xEA)
        return power

    async def instantaneous_currents(self) -> tuple[Measured | None, Measured | None]:
        """0xEB: the R and T phase currents, A."""
        r, t = await self.read(0xEB)
        return r, t

    async def cumulative_energy(self, *, exported: bool = False) -> Measured | None:
        """0xE2: the cumulative active energy imported (normal) or ``exported`` (reverse), kWh,
        with the meter's time stamp."""
        imported, reverse = await self.read(0xE2)
        return reverse if exported else imported

    async def demand_history(self, day: int | date = 0) -> list[Measured | None]:
        """0xC6 of ``day`` (days before the meter's today, 0..99, or a date): 48 demands, kW,
        each stamped with the end of its half-hour from 00:00 [AIF 3.3.3]."""
        today = await self._meter_today()
        ago = (today - day).days if isinstance(day, date) else day
        if not 0 <= ago <= 99:
            raise ValueError(f"the meter keeps 0..99 days of history, not {ago} days ago")
        await self.client.set(self.address, self.eoj, {_DAY_SELECT: bytes([ago])})
        return await self.read(0xC6, day=today - timedelta(days=ago))

    async def _meter_today(self) -> date:
        """The meter's date, from its own clock (the time stamp of 0xE2)."""
        for reading in await self.read(0xE2):
            if reading is not None:
                return reading.at.date()
        raise RequestError("the meter gave no time stamp with 0xE2")
