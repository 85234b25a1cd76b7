"""A local ECHONET Lite node that answers requests, without I/O [EL spec §4.2, reference §4].

:class:`Node` holds the node profile and the device objects. ``handle(frame)`` takes one
decoded frame and returns a :class:`Reaction`: the frames to send (each unicast back to the
sender or multicast to every node) and the events the application should see. Nothing a peer
sends can make it raise. Decoding the datagram, and reporting one that does not decode, is the
engine's part (:mod:`hemsnet.echonet.engine`).

Rules applied (and where the reference leaves a choice, the choice, see ``docs/decisions.md``):

* Responses copy the TID, swap the EOJs (SEOJ = the answering object's own EOJ) and list the
  properties in request order; one failing property turns the whole answer into an SNA.
* Instance code 0x00 fans out to every instance of the class; a node profile is matched
  whatever its instance code; a request for an object the node does not have is discarded.
* INF_REQ is answered by a multicast INF; INFC by a unicast INFC_Res. SetGet applies its Set
  part before its Get part.
* A Set that changes a property listed in the object's announcement map (0x9D) also emits a
  multicast INF of the new value.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from hemsnet.echonet.eoj import NODE_PROFILE, Eoj
from hemsnet.echonet.esv import Esv
from hemsnet.echonet.frame import Format2Frame, Frame, Property, encode_frame

__all__ = [
    "FrameIgnored",
    "LocalObject",
    "Node",
    "NodeStats",
    "Outgoing",
    "PropertiesWritten",
    "Reaction",
    "Received",
]


class LocalObject(Protocol):
    """An object this node hosts: its maps, and access to its property values."""

    @property
    def eoj(self) -> Eoj: ...

    @property
    def get_map(self) -> frozenset[int]: ...

    @property
    def set_map(self) -> frozenset[int]: ...

    @property
    def anno_map(self) -> frozenset[int]: ...

    def read(self, epc: int) -> bytes | None:
        """The current EDT, or None when the value cannot be given now (answered with SNA)."""
        ...

    def write(self, epc: int, edt: bytes) -> bool:
        """A remote Set of an EPC in the Set map: store it and return True, or refuse.

        Return True only once the value is stored [AIF 2.4.5].
        """
        ...


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A frame to send: unicast back to the sender of the request, or multicast."""

    frame: Frame
    multicast: bool = False

    def encode(self) -> bytes:
        return encode_frame(self.frame)


@dataclass(frozen=True, slots=True)
class Received:
    """A response or notification for the application (the node itself does not consume it)."""

    frame: Frame


@dataclass(frozen=True, slots=True)
class FrameIgnored:
    """A valid frame this node does not act on (no such object, Format 2)."""

    reason: str
    frame: Frame | Format2Frame


@dataclass(frozen=True, slots=True)
class PropertiesWritten:
    """A remote Set stored these properties of one local object."""

    eoj: Eoj
    properties: tuple[Property, ...]


Event = Received | FrameIgnored | PropertiesWritten


@dataclass(slots=True)
class Reaction:
    """What one datagram caused: frames to send and events for the application."""

    outgoing: list[Outgoing] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)


@dataclass(slots=True)
class NodeStats:
    received: int = 0
    ignored: int = 0
    answered: int = 0
    refused: int = 0


class Node:
    """The node profile and the device objects of one ECHONET Lite node."""

    def __init__(self, node_profile: LocalObject, objects: Sequence[LocalObject]) -> None:
        if not node_profile.eoj.is_node_profile:
            raise ValueError(f"{node_profile.eoj} is not a node profile object")
        self.node_profile = node_profile
        self.objects: tuple[LocalObject, ...] = tuple(objects)
        self._all: tuple[LocalObject, ...] = (node_profile, *objects)
        self.stats = NodeStats()
        self._tid = 0

    def object(self, eoj: Eoj) -> LocalObject:
        for obj in self._all:
            if obj.eoj == eoj:
                return obj
        raise KeyError(f"this node has no object {eoj}")

    def next_tid(self) -> int:
        """TIDs for frames this node originates (notifications)."""
        tid = self._tid
        self._tid = (tid + 1) & 0xFFFF
        return tid

    def notification(
        self, eoj: Eoj, epcs: Iterable[int], deoj: Eoj = NODE_PROFILE
    ) -> Outgoing | None:
        """A multicast INF of the current values of ``epcs`` of one object.

        Spontaneous notifications without a specific target carry the node profile class in
        DEOJ [EL spec §4.2.3.5]. Properties whose value cannot be read now are left out;
        None if none is left.
        """
        obj = self.object(eoj)
        props = []
        for epc in epcs:
            edt = obj.read(epc)
            if edt is not None:
                props.append(Property(epc, edt))
        if not props:
            return None
        frame = Frame(self.next_tid(), eoj, deoj, Esv.INF, tuple(props))
        return Outgoing(frame, multicast=True)

    def handle(self, frame: Frame | Format2Frame) -> Reaction:
        """Process one decoded frame; never raises because of its content."""
        self.stats.received += 1
        reaction = Reaction()
        if isinstance(frame, Format2Frame):
            self._ignore(reaction, "Format 2 frame", frame)
            return reaction
        esv = frame.esv
        if not esv.is_request and esv is not Esv.INFC:
            reaction.events.append(Received(frame))
            return reaction
        targets = [obj for obj in self._all if frame.deoj.addresses(obj.eoj)]
        if not targets:
            self._ignore(reaction, f"no object {frame.deoj} on this node", frame)
            return reaction
        if esv is Esv.INFC:
            reaction.events.append(Received(frame))
            reply = Frame(frame.tid, targets[0].eoj, frame.seoj, Esv.INFC_RES, _empty(frame))
            reaction.outgoing.append(Outgoing(reply))
            return reaction
        serve = self._answer_get if esv is Esv.GET else self._serve
        for obj in targets:
            serve(obj, frame, reaction)
        return reaction

    def _ignore(self, reaction: Reaction, reason: str, frame: Frame | Format2Frame) -> None:
        self.stats.ignored += 1
        reaction.events.append(FrameIgnored(reason, frame))

    def _answer_get(self, obj: LocalObject, request: Frame, reaction: Reaction) -> None:
        """A Get, the most frequent request, without the Set and announcement bookkeeping."""
        answer, ok = _read_all(obj, request.properties)
        if ok:
            self.stats.answered += 1
            esv = Esv.GET_RES
        else:
            self.stats.refused += 1
            esv = Esv.GET_SNA
        reply = Frame(request.tid, obj.eoj, request.seoj, esv, answer)
        reaction.outgoing.append(Outgoing(reply))

    def _serve(self, obj: LocalObject, request: Frame, reaction: Reaction) -> None:
        esv = request.esv
        writes = esv in (Esv.SETC, Esv.SETI, Esv.SETGET)
        announced = _announced(obj, request.properties) if writes else []
        announced_before = {epc: obj.read(epc) for epc in announced}
        # The reply's two parts, as in Frame: ``answer`` (OPC, or OPCSet for SetGet) and
        # ``get_answer`` (OPCGet, SetGet only).
        answer: tuple[Property, ...] = ()
        get_answer: tuple[Property, ...] = ()
        set_ok = get_ok = True
        if writes:
            answer, set_ok = self._apply_sets(obj, request.properties, reaction)
        if esv is Esv.SETGET:
            get_answer, get_ok = _read_all(obj, request.get_properties)
        elif esv in (Esv.GET, Esv.INF_REQ):
            answer, get_ok = _read_all(obj, request.properties)

        ok = set_ok and get_ok
        reply_esv = esv.success_response if ok else esv.sna_response
        if ok:
            self.stats.answered += 1
        else:
            self.stats.refused += 1
        if reply_esv is not None:
            multicast = reply_esv is Esv.INF  # INF_REQ is answered to every node
            deoj = NODE_PROFILE if multicast else request.seoj
            reply = Frame(request.tid, obj.eoj, deoj, reply_esv, answer, get_answer)
            reaction.outgoing.append(Outgoing(reply, multicast))
        changed = [
            epc for epc, before in announced_before.items() if obj.read(epc) != before
        ]  # fmt: skip
        if changed:
            notice = self.notification(obj.eoj, changed)
            if notice is not None:
                reaction.outgoing.append(notice)

    def _apply_sets(
        self, obj: LocalObject, props: tuple[Property, ...], reaction: Reaction
    ) -> tuple[tuple[Property, ...], bool]:
        answer = []
        stored = []
        ok = True
        for prop in props:
            if prop.epc in obj.set_map and obj.write(prop.epc, prop.edt):
                answer.append(Property(prop.epc))
                stored.append(prop)
            else:
                answer.append(prop)  # a refused Set echoes the request's PDC and EDT
                ok = False
        if stored:
            reaction.events.append(PropertiesWritten(obj.eoj, tuple(stored)))
        return tuple(answer), ok


def _read_all(obj: LocalObject, props: tuple[Property, ...]) -> tuple[tuple[Property, ...], bool]:
    answer = []
    ok = True
    for prop in props:
        edt = obj.read(prop.epc) if prop.epc in obj.get_map else None
        if edt is None:
            answer.append(Property(prop.epc))  # refused: PDC = 0
            ok = False
        else:
            answer.append(Property(prop.epc, edt))
    return tuple(answer), ok


def _announced(obj: LocalObject, props: tuple[Property, ...]) -> list[int]:
    return [p.epc for p in props if p.epc in obj.anno_map and p.epc in obj.set_map]


def _empty(frame: Frame) -> tuple[Property, ...]:
    return tuple(Property(p.epc) for p in frame.properties)
