"""ECHONET Lite over UDP port 3610 on one network interface [EL spec §1.2, AIF 1].

IPv6 is mandatory, IPv4 optional. The socket is bound to the named interface with
``SO_BINDTODEVICE`` so that Route B traffic stays on its link: nothing arriving on another
interface reaches the node, and nothing it sends leaves by another. Multicast goes to
``ff02::1`` with the interface's scope (and 224.0.23.0 for IPv4).

The socket is a plain non-blocking one watched with ``loop.add_reader``: asyncio's
``DatagramProtocol`` reads every datagram into a fresh 256 KiB buffer and costs extra system
calls, which caps a busy node well below what this loop reaches.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import logging
import socket
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Protocol

from hemsnet.errors import ConfigError

__all__ = [
    "ECHONET_PORT",
    "IPV4_MULTICAST",
    "IPV6_MULTICAST",
    "Address",
    "DatagramHandler",
    "DatagramLink",
    "Interface",
    "UdpTransport",
    "echonet_endpoint",
    "parse_address",
    "peer_identity",
    "peer_key",
]

ECHONET_PORT: Final = 3610
IPV6_MULTICAST: Final = "ff02::1"
IPV4_MULTICAST: Final = "224.0.23.0"
_MAX_DATAGRAM: Final = 1500  # an ECHONET Lite frame is far smaller; larger ones are truncated
_DRAIN_LIMIT: Final = 64  # datagrams read per wake-up before yielding to other callbacks
_SEND_QUEUE_LIMIT: Final = 1024
_SOURCE_CACHE_SIZE: Final = 1024

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Interface:
    name: str
    index: int

    @classmethod
    def lookup(cls, name: str) -> Interface:
        try:
            return cls(name, socket.if_nametoindex(name))
        except OSError:
            raise ConfigError(f"no network interface named {name!r}") from None

    def ipv6_addresses(self) -> list[str]:
        """The IPv6 addresses on this interface, as the kernel lists them (Linux)."""
        try:
            lines = Path("/proc/net/if_inet6").read_text().splitlines()
        except OSError:
            return []
        found = []
        for line in lines:
            fields = line.split()
            if len(fields) == 6 and fields[5] == self.name:
                found.append(str(ipaddress.IPv6Address(bytes.fromhex(fields[0]))))
        return found


@dataclass(frozen=True, slots=True)
class Address:
    """A peer: IP address (IPv6 link-local ones carry their interface scope) and port."""

    host: str
    port: int = ECHONET_PORT
    scope_id: int = 0

    @property
    def is_ipv6(self) -> bool:
        return ":" in self.host

    def sockaddr(self) -> tuple[str, int] | tuple[str, int, int, int]:
        if self.is_ipv6:
            return (self.host, self.port, 0, self.scope_id)
        return (self.host, self.port)

    def __str__(self) -> str:
        if self.is_ipv6:
            return f"[{self.host}]:{self.port}" if self.port != ECHONET_PORT else self.host
        return f"{self.host}:{self.port}" if self.port != ECHONET_PORT else self.host


def peer_identity(source: Hashable) -> Hashable:
    """A peer is its address and scope; its source port may change."""
    return (source.host, source.scope_id) if isinstance(source, Address) else source


def echonet_endpoint(source: Hashable) -> Hashable:
    """Where to send to a peer heard at ``source``: its address on UDP 3610, whatever port
    it sent from. Stacks that send from a throwaway port listen on 3610 only [EL spec §1.2]."""
    if isinstance(source, Address) and source.port != ECHONET_PORT:
        return Address(source.host, ECHONET_PORT, source.scope_id)
    return source


def peer_key(source: Hashable) -> str:
    """A peer's name in the store: its address without port or scope (the interface index
    may change across reboots, the address does not)."""
    return source.host if isinstance(source, Address) else str(source)


def parse_address(text: str, iface: Interface | None, port: int = ECHONET_PORT) -> Address:
    """Parse an IPv6 or IPv4 address typed by a person; link-local IPv6 takes the interface."""
    host, _, zone = text.strip().strip("[]").partition("%")
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        raise ConfigError(f"{text!r} is not an IPv6 or IPv4 address") from None
    scope = 0
    if isinstance(ip, ipaddress.IPv6Address) and (ip.is_link_local or ip.is_multicast):
        if zone:
            scope = Interface.lookup(zone).index
        elif iface is not None:
            scope = iface.index
        else:
            raise ConfigError(f"link-local address {host} needs an interface (--iface)")
    return Address(str(ip), port, scope)


def _from_sockaddr(sockaddr: tuple[object, ...]) -> Address:
    host = str(sockaddr[0]).partition("%")[0]
    port = int(str(sockaddr[1]))
    scope = int(str(sockaddr[3])) if len(sockaddr) == 4 else 0
    return Address(host, port, scope)


DatagramHandler = Callable[[bytes, Address], None]


class DatagramLink(Protocol):
    """What a runner needs of its endpoint: a :class:`UdpTransport`, or its share of one
    (:mod:`hemsnet.aio.shared_link`)."""

    @property
    def iface(self) -> Interface | None: ...

    @property
    def port(self) -> int: ...

    def set_handler(self, handler: DatagramHandler) -> None: ...

    def start(self, loop: asyncio.AbstractEventLoop | None = None) -> None: ...

    def close(self) -> None: ...

    def send(self, data: bytes, addr: Address) -> bool: ...

    def send_multicast(self, data: bytes, *, ipv4: bool = True) -> bool: ...


class UdpTransport:
    """One ECHONET Lite UDP endpoint: an IPv6 socket, and an IPv4 one when asked for."""

    def __init__(
        self,
        iface: Interface | None,
        *,
        port: int = ECHONET_PORT,
        ipv4: bool = False,
        handler: DatagramHandler | None = None,
        host: str = "::",
    ) -> None:
        self.iface = iface
        self.port = port
        self._host = host
        self._handler = handler
        self._sockets: list[socket.socket] = []
        self._pending: dict[int, deque[tuple[bytes, Address]]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self.send_errors = 0
        # Peers by the socket address the kernel reports: parsed once, not per datagram.
        self._sources: dict[tuple[object, ...], Address] = {}
        try:
            self._v6 = self._open(socket.AF_INET6)
            self._v4 = self._open(socket.AF_INET) if ipv4 else None
        except BaseException:
            self.close()
            raise

    @classmethod
    def loopback(cls, port: int = 0) -> UdpTransport:
        """An IPv6 endpoint on ``::1`` only, for nodes that share one host and no root (the
        demo): nothing outside the host reaches it. Loopback carries no multicast, so
        :meth:`send_multicast` skips the datagram and peers must be given by address."""
        return cls(None, port=port, host="::1")

    @property
    def is_loopback(self) -> bool:
        return self._host == "::1"

    def set_handler(self, handler: DatagramHandler) -> None:
        self._handler = handler

    def start(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        """Start delivering datagrams to the handler from the running event loop."""
        self._loop = loop or asyncio.get_running_loop()
        for sock in self._sockets:
            self._loop.add_reader(sock.fileno(), self._on_readable, sock)

    def close(self) -> None:
        for sock in self._sockets:
            if self._loop is not None and not self._loop.is_closed():
                self._loop.remove_reader(sock.fileno())
                self._loop.remove_writer(sock.fileno())
            sock.close()
        self._sockets.clear()

    def send(self, data: bytes, addr: Address) -> bool:
        """Send to one peer; a full send buffer queues, a network error is logged and counted.

        Returns whether the datagram was sent or queued.
        """
        sock = self._v6 if addr.is_ipv6 else self._v4
        if sock is None:
            raise ConfigError(f"cannot send to {addr}: IPv4 is not enabled (--ipv4)")
        queue = self._pending.get(sock.fileno())
        if queue:
            return self._enqueue(sock, queue, data, addr)
        return self._sendto(sock, data, addr)

    def send_multicast(self, data: bytes, *, ipv4: bool = True) -> bool:
        """Send to every node on the link: ff02::1 (and 224.0.23.0 when IPv4 is on, unless
        ``ipv4`` is false).

        Returns whether the IPv6 multicast was sent or queued.
        """
        if self.is_loopback:
            log.debug("loopback carries no multicast; skipped")
            return True
        scope = self.iface.index if self.iface else 0
        sent = self.send(data, Address(IPV6_MULTICAST, ECHONET_PORT, scope))
        if self._v4 is not None and ipv4:
            self.send(data, Address(IPV4_MULTICAST, ECHONET_PORT))
        return sent

    def _sendto(self, sock: socket.socket, data: bytes, addr: Address) -> bool:
        try:
            sock.sendto(data, addr.sockaddr())
        except BlockingIOError:
            queue = self._pending.setdefault(sock.fileno(), deque())
            return self._enqueue(sock, queue, data, addr)
        except OSError as exc:
            self.send_errors += 1
            log.warning("send to %s failed: %s", addr, exc.strerror or exc)
            return False
        return True

    def _enqueue(
        self, sock: socket.socket, queue: deque[tuple[bytes, Address]], data: bytes, addr: Address
    ) -> bool:
        if len(queue) >= _SEND_QUEUE_LIMIT:
            self.send_errors += 1
            log.warning("send queue full, dropping a datagram to %s", addr)
            return False
        if not queue and self._loop is not None:
            self._loop.add_writer(sock.fileno(), self._on_writable, sock)
        queue.append((data, addr))
        return True

    def _on_writable(self, sock: socket.socket) -> None:
        queue = self._pending.get(sock.fileno())
        while queue:
            data, addr = queue[0]
            try:
                sock.sendto(data, addr.sockaddr())
            except BlockingIOError:
                return
            except OSError as exc:
                self.send_errors += 1
                log.warning("send to %s failed: %s", addr, exc.strerror or exc)
            queue.popleft()
        if self._loop is not None:
            self._loop.remove_writer(sock.fileno())

    def _on_readable(self, sock: socket.socket) -> None:
        handler = self._handler
        for _ in range(_DRAIN_LIMIT):
            try:
                data, sockaddr = sock.recvfrom(_MAX_DATAGRAM)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # e.g. ICMP errors reported on the socket
                log.debug("receive error: %s", exc)
                continue
            if handler is not None:
                source = self._sources.get(sockaddr)
                if source is None:
                    if len(self._sources) >= _SOURCE_CACHE_SIZE:
                        self._sources.clear()
                    source = self._sources[sockaddr] = _from_sockaddr(sockaddr)
                handler(data, source)

    def _open(self, family: socket.AddressFamily) -> socket.socket:
        sock = socket.socket(family, socket.SOCK_DGRAM)
        self._sockets.append(sock)
        sock.setblocking(False)
        # No SO_REUSEADDR: a second node on the same port and interface is an error, not a
        # silent split of the unicast traffic. Nodes on different interfaces do not conflict.
        if self.iface is not None:
            self._bind_to_device(sock)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            # Our own multicasts must not come back to us as if another node had sent them.
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_LOOP, 0)
            if self.iface is not None:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, self.iface.index)
            self._bind(sock, (self._host, self.port))
        else:
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
            self._bind(sock, ("0.0.0.0", self.port))
            index = self.iface.index if self.iface else 0
            mreqn = socket.inet_aton(IPV4_MULTICAST) + bytes(4) + index.to_bytes(4, "little")
            try:
                sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreqn)
                if self.iface is not None:
                    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, mreqn)
            except OSError as exc:
                raise ConfigError(f"cannot join {IPV4_MULTICAST}: {exc.strerror}") from None
        return sock

    def _bind_to_device(self, sock: socket.socket) -> None:
        assert self.iface is not None
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, self.iface.name.encode())
        except PermissionError:
            raise ConfigError(
                f"binding to interface {self.iface.name} needs CAP_NET_RAW (or root) on "
                "Linux before 5.7"
            ) from None
        except OSError as exc:
            raise ConfigError(f"cannot bind to interface {self.iface.name}: {exc}") from None

    def _bind(self, sock: socket.socket, sockaddr: tuple[str, int]) -> None:
        try:
            sock.bind(sockaddr)
        except OSError as exc:
            reason = "already in use" if exc.errno == errno.EADDRINUSE else exc.strerror
            raise ConfigError(f"cannot bind UDP port {self.port}: {reason}") from None
        # Port 0 asks the kernel for a free port; the IPv4 socket then takes the same one.
        self.port = int(sock.getsockname()[1])
