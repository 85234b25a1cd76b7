"""An off-premises party of the testbed: the HEMS provider or the utility head-end.

Run as ``python -m hemsnet.testbed.endpoint --name NAME [--port 3610]``: it listens on UDP, logs
every datagram that reaches it (with the address it was sent to) and answers unicast ones with
a one-line acknowledgement. Multicast is logged but not answered, as a node must not answer
what it cannot tell apart from a flood. SIGTERM or SIGINT stops it.
"""

from __future__ import annotations

import argparse
import signal
import socket
import struct
import sys
from collections.abc import Sequence
from types import FrameType

__all__ = ["main"]

_PKTINFO_SIZE = 20  # struct in6_pktinfo: 16-byte address, 4-byte interface index


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hemsnet.testbed.endpoint")
    parser.add_argument("--name", required=True, help="who this endpoint plays (for the log)")
    parser.add_argument("--port", type=int, default=3610, help="UDP port to listen on (3610)")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _stop)
    sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVPKTINFO, 1)
    sock.bind(("::", args.port))
    print(f"hemsnet endpoint: {args.name} listening on UDP [::]:{args.port}", flush=True)
    received = 0
    try:
        while True:
            data, ancillary, _, source = sock.recvmsg(2048, socket.CMSG_SPACE(_PKTINFO_SIZE))
            received += 1
            destination = _destination(ancillary)
            print(
                f"hemsnet endpoint: {len(data)} bytes from [{source[0]}]:{source[1]} "
                f"to {destination}",
                flush=True,
            )
            if not destination.startswith("ff"):
                _answer(sock, f"hemsnet endpoint {args.name}: got {len(data)} bytes", source)
    except KeyboardInterrupt:
        pass
    finally:
        print(f"hemsnet endpoint: stopped; {received} datagrams received", flush=True)
    return 0


def _answer(sock: socket.socket, text: str, source: tuple[str, int, int, int]) -> None:
    try:
        sock.sendto(text.encode(), source)
    except OSError as exc:  # no way back (a one-way firewall, a missing route): log and go on
        print(f"hemsnet endpoint: cannot answer [{source[0]}]: {exc.strerror}", flush=True)


def _destination(ancillary: list[tuple[int, int, bytes]]) -> str:
    for level, kind, data in ancillary:
        if level == socket.IPPROTO_IPV6 and kind == socket.IPV6_PKTINFO:
            address, _ = struct.unpack("16sI", data[:_PKTINFO_SIZE])
            return socket.inet_ntop(socket.AF_INET6, address)
    return "?"


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
