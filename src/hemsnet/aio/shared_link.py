"""One UDP 3610 socket for the Route B engine and an appliance monitor on the same network.

In G.9958 6.3.2 the meter, the controller and the HEMS-managed appliances share one
HEMS-dedicated network, and in 6.4.1 the general-purpose home network. Two sockets on one
interface and port cannot both receive, so :class:`SharedLink` holds the one socket and gives
each of the two runners a share of it (:attr:`SharedLink.route_b`,
:attr:`SharedLink.appliances`), each a :class:`~hemsnet.aio.udp.DatagramLink`.

Every datagram goes to exactly one share:

* from the meter's address, once the engine knows it (found, or given by ``--meter``): Route B;
* before that, a frame that can only be the meter's: from a 0x028F object (the answer to the
  search [AIF 3.1.2]), or from a node profile that lists a 0x028F object (its 0xD5
  announcement, or its answer to the monitor's 0xD6 discovery): Route B;
* anything else: the appliance monitor, which reads every node but the meter.

So the Route B engine sees only the meter, as over Route B proper, and never counts the
appliances' traffic as ``foreign_dropped``; the monitor never lists the meter among the
appliances. The monitor's discovery goes through the Route B engine's lane, since the meter
hears it too [AIF 2.4.1]: the meter's answer is the engine's, every other node's the monitor's
(C24, C25).
"""

from __future__ import annotations

import asyncio
from typing import Final

from hemsnet.aio.udp import Address, DatagramHandler, DatagramLink, Interface
from hemsnet.controller.engine import ControllerEngine
from hemsnet.controller.plan import PLANS
from hemsnet.echonet.esv import Esv
from hemsnet.echonet.frame import Frame, decode_frame
from hemsnet.echonet.instance_list import decode_instance_list
from hemsnet.errors import FrameError

__all__ = ["LinkShare", "SharedLink", "from_a_meter"]

_INSTANCE_LISTS: Final = (0xD5, 0xD6)  # announced, and the self-node list S


class LinkShare:
    """One runner's view of the shared socket."""

    def __init__(self, link: SharedLink, *, ipv4_multicast: bool) -> None:
        self._link = link
        self._ipv4_multicast = ipv4_multicast
        self.handler: DatagramHandler | None = None
        self.closed = False

    @property
    def iface(self) -> Interface | None:
        return self._link.transport.iface

    @property
    def port(self) -> int:
        return self._link.transport.port

    def set_handler(self, handler: DatagramHandler) -> None:
        self.handler = handler

    def start(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self._link.start(loop)

    def close(self) -> None:
        self.closed = True
        self._link.close_if_unused()

    def send(self, data: bytes, addr: Address) -> bool:
        return self._link.transport.send(data, addr)

    def send_multicast(self, data: bytes, *, ipv4: bool = True) -> bool:
        # The appliance discovery stays on IPv6, also when the Route B engine sends it (C26).
        ipv4 = ipv4 and self._ipv4_multicast and not _is_discovery(data)
        return self._link.transport.send_multicast(data, ipv4=ipv4)


class SharedLink:
    """The Route B engine's socket, shared with an appliance monitor on the same network."""

    def __init__(self, transport: DatagramLink, engine: ControllerEngine) -> None:
        self.transport = transport
        self.engine = engine
        self.route_b = LinkShare(self, ipv4_multicast=True)
        # IPv6 only, as on a HEMS network of its own: a dual-stack appliance answering the
        # discovery on both would be listed twice.
        self.appliances = LinkShare(self, ipv4_multicast=False)
        self._started = False
        transport.set_handler(self._on_datagram)

    def start(self, loop: asyncio.AbstractEventLoop | None) -> None:
        if not self._started:
            self._started = True
            self.transport.start(loop)

    def close_if_unused(self) -> None:
        if self.route_b.closed and self.appliances.closed:
            self.transport.close()

    def for_route_b(self, data: bytes, source: Address) -> bool:
        """Whether the datagram is the Route B engine's (see the module docstring)."""
        if self.engine.meter.address is not None:
            return self.engine.from_meter(source)
        return from_a_meter(data)

    def _on_datagram(self, data: bytes, source: Address) -> None:
        share = self.route_b if self.for_route_b(data, source) else self.appliances
        if share.handler is not None:  # a runner not yet started hears nothing, as on a socket
            share.handler(data, source)


def _is_discovery(data: bytes) -> bool:
    """Whether a datagram is a Get of 0xD6 to every node profile: the appliance discovery."""
    try:
        frame = decode_frame(data)
    except FrameError:
        return False
    return (
        isinstance(frame, Frame)
        and frame.deoj.is_node_profile
        and frame.esv is Esv.GET
        and [p.epc for p in frame.properties] == [0xD6]
    )


def from_a_meter(data: bytes) -> bool:
    """Whether a frame comes from a meter object (0x028F, 0x0288), or from a node profile
    listing one."""
    try:
        frame = decode_frame(data)
    except FrameError:
        return False
    if not isinstance(frame, Frame):
        return False
    if frame.seoj.class_id in PLANS:
        return True
    if not frame.seoj.is_node_profile:
        return False
    for epc in _INSTANCE_LISTS:
        edt = frame.edt_of(epc)
        if not edt:
            continue
        try:
            listed = decode_instance_list(edt).instances
        except ValueError:
            continue
        if any(eoj.class_id in PLANS for eoj in listed):
            return True
    return False
