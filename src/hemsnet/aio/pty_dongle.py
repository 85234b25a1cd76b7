"""The dongle emulator behind a pseudo-terminal: what a serial port shows a host.

:class:`PtyDongle` opens a pty in raw mode, keeps its own handle on the terminal side (so the
host may open and close it at will), and pumps a
:class:`~hemsnet.skstack.emulator.DongleEmulator` over the controlling side in the time of a
:class:`~hemsnet.aio.clock.ScaledClock`. ``link`` names a stable path (a symbolic link, as udev
makes under /dev/serial/by-id) for a host to open. :meth:`PtyDongle.unplug` closes the pty and
removes the link, as pulling the dongle out does; :meth:`PtyDongle.plug` makes a new one behind
the same link.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import tty
from collections.abc import Callable, Sequence
from pathlib import Path

from hemsnet.aio.clock import ScaledClock
from hemsnet.skstack.emulator import DongleEmulator

__all__ = ["PtyDongle"]

log = logging.getLogger(__name__)

_READ_SIZE = 4096


class PtyDongle:
    """A :class:`DongleEmulator` on a pseudo-terminal."""

    def __init__(
        self,
        emulator: DongleEmulator,
        clock: ScaledClock,
        *,
        link: Path | None = None,
        on_events: Callable[[Sequence[object]], None] | None = None,
    ) -> None:
        self.emulator = emulator
        self.clock = clock
        self.link = link
        self.on_events = on_events
        self.terminal = ""  # the pty's own path (/dev/pts/N)
        self._master = -1
        self._slave = -1
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._pending = bytearray()

    @property
    def path(self) -> str:
        """What a host opens: the link, or the pty itself."""
        return str(self.link) if self.link is not None else self.terminal

    @property
    def plugged(self) -> bool:
        return self._master >= 0

    def plug(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        """Open a new pty (behind the link) and serve it."""
        self._loop = loop or self._loop or asyncio.get_running_loop()
        master, slave = os.openpty()
        tty.setraw(slave)  # bytes as they are: no echo, no CR/LF translation
        os.set_blocking(master, False)
        self._master, self._slave = master, slave
        self.terminal = os.ttyname(slave)
        if self.link is not None:
            with contextlib.suppress(FileNotFoundError):
                self.link.unlink()
            self.link.symlink_to(self.terminal)
        self._loop.add_reader(master, self._readable)
        self._pending.clear()
        self._write(self.emulator.start(self.clock.now()))
        self._arm()

    def unplug(self) -> None:
        """Close the pty and remove the link, as pulling the dongle out does."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._master < 0:
            return
        assert self._loop is not None
        self._loop.remove_reader(self._master)
        self._loop.remove_writer(self._master)
        for fd in (self._master, self._slave):
            os.close(fd)
        self._master = self._slave = -1
        if self.link is not None:
            with contextlib.suppress(FileNotFoundError):
                self.link.unlink()

    async def run(self, stop: asyncio.Event) -> None:
        """Serve until ``stop``."""
        self.plug()
        try:
            await stop.wait()
        finally:
            self.unplug()

    # --- inside ------------------------------------------------------------------------------

    def _readable(self) -> None:
        try:
            data = os.read(self._master, _READ_SIZE)
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EIO):
                return
            raise
        if data:
            self._write(self.emulator.receive(data, self.clock.now()))
            self._arm()

    def _on_timer(self) -> None:
        self._timer = None
        if self._master < 0:
            return
        self._write(self.emulator.advance(self.clock.now()))
        self._arm()

    def _arm(self) -> None:
        events = self.emulator.take_events()
        if events and self.on_events is not None:
            self.on_events(events)
        if self._loop is None or self._master < 0:
            return
        if self._timer is not None:
            self._timer.cancel()
        delay = self.clock.delay_until(self.emulator.next_wakeup())
        self._timer = self._loop.call_later(max(delay, 0.0), self._on_timer)

    def _write(self, data: bytes) -> None:
        if not data or self._master < 0:
            return
        self._pending += data
        self._flush()

    def _flush(self) -> None:
        assert self._loop is not None
        while self._pending:
            try:
                written = os.write(self._master, self._pending)
            except BlockingIOError:
                self._loop.add_writer(self._master, self._flush)
                return
            del self._pending[:written]
        self._loop.remove_writer(self._master)
