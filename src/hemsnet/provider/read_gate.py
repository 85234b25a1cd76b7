"""Flow control from a provider worker to the broker: stop reading the socket while full.

A worker that is behind (its database slow or away, or ten thousand homes' backlogs arriving
at once) must neither hold an unbounded number of messages nor discard them. MQTT 5's Receive
Maximum would say so in the protocol, but Debian 12's mosquitto 2.0.11 honours it only until
the first PUBACKs (fixed upstream in 2.0.13, "Various fixes around inflight quota
management"), so the worker uses TCP's own flow control instead, which every broker obeys:
while it holds enough, it stops reading; the socket's buffers fill and the broker keeps the
rest queued for the client (docs/provider.md P7).

aiomqtt drives paho from the event loop with a reader on the socket; :class:`ReadGate` takes
that reader off the loop and later puts an equivalent one back. A pause longer than the
keepalive ends the connection (paho reads no PINGRESP): the worker connects again, and what
the broker had sent on the old connection comes again from the homes.
"""

from __future__ import annotations

import asyncio
import logging
import ssl

import aiomqtt

__all__ = ["ReadGate"]

log = logging.getLogger(__name__)


class ReadGate:
    """Pauses and resumes the reading of one connected client's socket."""

    def __init__(self, client: aiomqtt.Client) -> None:
        self._paho = client._client  # aiomqtt has no pause; its paho client reads when told
        self._loop = asyncio.get_running_loop()
        self._fd: int | None = None  # the socket paused, while paused

    @property
    def paused(self) -> bool:
        return self._fd is not None

    def pause(self) -> None:
        sock = self._paho.socket()
        if self._fd is not None or sock is None:
            return
        self._fd = sock.fileno()
        self._loop.remove_reader(self._fd)

    def resume(self) -> None:
        fd, self._fd = self._fd, None
        sock = self._paho.socket()
        if fd is None or sock is None or sock.fileno() != fd:
            return  # the connection it paused is gone; a new one has its own reader
        self._loop.add_reader(fd, self._read)
        self._loop.call_soon(self._read)  # TLS may hold whole records already read

    def _read(self) -> None:
        """What aiomqtt's reader does: read, and drain what TLS has decrypted already."""
        try:
            while self._fd is None:
                sock = self._paho.socket()
                self._paho.loop_read()
                if not (isinstance(sock, ssl.SSLSocket) and sock.pending()):
                    return
        except Exception as exc:  # a broken connection: paho tells aiomqtt, which raises
            log.debug("MQTT: reading the broker's socket failed: %s", exc)
            self._paho.disconnect()
