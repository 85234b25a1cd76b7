"""A datagram an engine wants sent: what the sans-I/O engines return to their runners."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime

from hemsnet.echonet.frame import Frame, decode_frame, encode_frame

__all__ = ["Send"]


@dataclass(frozen=True, slots=True)
class Send:
    """A datagram to send: to ``to`` (None: multicast to every node), not before ``at``."""

    data: bytes
    to: Hashable | None = None
    at: datetime | None = None

    @classmethod
    def of(cls, frame: Frame, to: Hashable | None = None, at: datetime | None = None) -> Send:
        return cls(encode_frame(frame), to, at)

    @property
    def frame(self) -> Frame:
        """The frame sent, decoded again (for logs and tests)."""
        frame = decode_frame(self.data)
        assert isinstance(frame, Frame)
        return frame
