"""The controller's own ECHONET Lite node, as every network it is on sees it, and what it
makes of a datagram that reaches it.

A node profile and one controller object 0x05FF01 (:func:`~hemsnet.devices.nodes.controller_node`):
its instance list goes to every node at start-up [AIF 3.1.1], and Gets of its properties are
answered. The Route B engine and each HEMS network's appliance monitor hold one each.
"""

from __future__ import annotations

from collections.abc import Hashable

from hemsnet.devices.nodes import controller_node
from hemsnet.echonet.engine import Discard, FrameDiscarded
from hemsnet.echonet.eoj import NODE_PROFILE
from hemsnet.echonet.frame import Frame, decode_frame
from hemsnet.echonet.responder import Node
from hemsnet.echonet.send import Send
from hemsnet.errors import FrameError

__all__ = ["OwnNode", "decode_datagram"]


def decode_datagram(data: bytes, source: Hashable) -> Frame | FrameDiscarded | None:
    """The Format 1 frame in a datagram; a :class:`FrameDiscarded` when it is malformed;
    ``None`` for a Format 2 frame, which a controller ignores."""
    try:
        frame = decode_frame(data)
    except FrameError as exc:
        return FrameDiscarded(source, Discard.MALFORMED, exc.reason, data)
    return frame if isinstance(frame, Frame) else None


class OwnNode:
    """Announces the controller's instance list and answers requests to its objects."""

    def __init__(self) -> None:
        self.node: Node = controller_node()

    def announcement(self) -> Send:
        """The controller's instance list (0xD5 INF), to every node [AIF 3.1.1]."""
        out = self.node.notification(NODE_PROFILE, [0xD5])
        assert out is not None  # a node profile always lists its instances
        return Send(out.encode())

    def serve(self, frame: Frame, source: Hashable) -> list[Send]:
        """The answers to a request for the node profile or 0x05FF01 (none for other objects)."""
        reaction = self.node.handle(frame)
        return [Send(out.encode(), None if out.multicast else source) for out in reaction.outgoing]
