"""A script of requests run as an engine: the tester's side of the request discipline.

A check is a generator that yields what to do next (:class:`Ask` a request and wait for its
answer, send :class:`RawDatagram` bytes that no device may answer, :class:`AwaitDevice` for
what the device sends of its own accord) and receives what came of it (an :class:`AskResult`,
or what was heard). :class:`ScriptEngine` keeps the
engine contract (:mod:`hemsnet.echonet.engine`), so a runner drives it over UDP or a dongle and
a test in virtual time. The engine, not the script, keeps the discipline: one request
outstanding, a fresh TID for each, the next one only once the answer came or the response-wait
timer ran out [AIF 2.4.1-2.4.3].

Everything the device sends is hostile: an undecodable datagram, an answer under another TID,
from another object or late is kept as a :class:`Heard` for the checks to judge, never raised.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from hemsnet.conformance.report import Evidence
from hemsnet.echonet.engine import Discard, FrameDiscarded
from hemsnet.echonet.eoj import CONTROLLER, NODE_PROFILE
from hemsnet.echonet.esv import Esv
from hemsnet.echonet.frame import Frame, Property, decode_frame, encode_frame
from hemsnet.echonet.send import Send
from hemsnet.errors import FrameError

__all__ = [
    "Ask",
    "AskResult",
    "AwaitDevice",
    "Heard",
    "RawDatagram",
    "Script",
    "ScriptDone",
    "ScriptEngine",
    "Session",
    "Step",
]

_IDLE: Final = timedelta(days=3650)  # no wake-up wanted


@dataclass(frozen=True, slots=True)
class Heard:
    """A datagram from the device: ``frame`` is ``None`` when it did not decode."""

    at: datetime
    data: bytes
    frame: Frame | None

    @property
    def evidence(self) -> Evidence:
        return Evidence(self.at, False, self.data)


@dataclass(frozen=True, slots=True)
class Ask:
    """Send ``frame`` (its TID is replaced by a fresh one) and wait ``wait`` seconds at most."""

    frame: Frame
    wait: float
    multicast: bool = False


@dataclass(frozen=True, slots=True)
class RawDatagram:
    """Send bytes that are no request (a malformed datagram); nothing is awaited."""

    data: bytes


@dataclass(frozen=True, slots=True)
class AwaitDevice:
    """Wait ``seconds``, or until a datagram from the device makes ``until`` true."""

    seconds: float
    until: Callable[[Heard], bool] | None = None


@dataclass(frozen=True, slots=True)
class AskResult:
    """What came of an :class:`Ask`: the answer under its TID (``None``: the timer ran out)
    and whatever else the device sent meanwhile."""

    request: Evidence
    sent: Frame
    answer: Heard | None
    stray: tuple[Heard, ...]

    @property
    def frame(self) -> Frame | None:
        return self.answer.frame if self.answer is not None else None

    @property
    def evidence(self) -> tuple[Evidence, ...]:
        got = [self.answer] if self.answer is not None else []
        return (self.request, *(h.evidence for h in sorted([*got, *self.stray], key=_at)))


def _at(heard: Heard) -> datetime:
    return heard.at


Step = Ask | RawDatagram | AwaitDevice
Script = Generator[Step, AskResult | list[Heard] | None, None]


@dataclass(frozen=True, slots=True)
class ScriptDone:
    """The script ended (its checks are all judged)."""

    at: datetime


class Session:
    """What a script sees of the exchange: the time and everything the device sent."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.heard: list[Heard] = []
        self.sent: list[Evidence] = []


class ScriptEngine:
    """Runs one script against one device under the request discipline."""

    def __init__(
        self,
        script: Callable[[Session], Script],
        *,
        now: datetime,
        device: Hashable | None,
        identify: Callable[[Hashable], Hashable] = lambda source: source,
        endpoint: Callable[[Hashable], Hashable] = lambda source: source,
        tid_start: int = 1,
        announce_as: bool = True,
    ) -> None:
        self.session = Session(now)
        # Where requests go, and who the device is (its source port may vary, C31). None:
        # the first node heard, over a point-to-point link such as a dongle's Route B.
        self._device = device
        self._identity = identify(device) if device is not None else None
        self._identify = identify
        self._endpoint = endpoint
        self._tid = tid_start & 0xFFFF
        self._announce_as = announce_as
        self._script = script(self.session)
        self._started = False
        self._done = False
        self.failure: str | None = None  # the tester's own error, which ended the run
        self._pending: tuple[int, Ask, Evidence, Frame] | None = None
        self._listening: AwaitDevice | None = None
        self._collected: list[Heard] = []
        self._deadline: datetime | None = None
        self._events: list[ScriptDone | FrameDiscarded] = []

    @property
    def done(self) -> bool:
        """The script ran to its end (or failed: :attr:`failure`)."""
        return self._done or self.failure is not None

    @property
    def complete(self) -> bool:
        return self._done

    @property
    def device(self) -> Hashable | None:
        return self._device

    # --- the engine contract -------------------------------------------------------------

    def announce(self, now: datetime) -> list[Send]:
        """The tester's own instance list, as a controller announces it [AIF 3.1.1]."""
        self.session.now = now
        if not self._announce_as:
            return []
        edt = bytes([1]) + CONTROLLER.to_bytes()
        frame = Frame(0, NODE_PROFILE, NODE_PROFILE, Esv.INF, (Property(0xD5, edt),))
        return [Send.of(frame)]

    def receive(self, data: bytes, source: Hashable, now: datetime) -> list[Send]:
        self.session.now = now
        who = self._identify(source)
        if self._identity is None:
            self._identity, self._device = who, self._endpoint(source)
        if who != self._identity:
            self._events.append(FrameDiscarded(source, Discard.FOREIGN, "not the device", data))
            return []
        heard = Heard(now, bytes(data), _decode(data))
        self.session.heard.append(heard)
        if self._pending is not None:
            tid, _, request, sent = self._pending
            frame = heard.frame
            if frame is not None and _answers(frame, tid, sent):
                self._pending = None
                reply = AskResult(request, sent, heard, tuple(self._collected))
                self._collected = []
                return self._resume(reply)
            self._collected.append(heard)
            return []
        if self._listening is not None:
            self._collected.append(heard)
            until = self._listening.until
            if until is not None and until(heard):
                return self._end_listening()
        return []

    def advance(self, now: datetime) -> list[Send]:
        self.session.now = now
        if not self._started:
            self._started = True
            return self._resume(None)
        if self._deadline is None or now < self._deadline:
            return []
        if self._pending is not None:
            _, _, request, sent = self._pending
            self._pending = None
            reply = AskResult(request, sent, None, tuple(self._collected))
            self._collected = []
            return self._resume(reply)
        if self._listening is not None:
            return self._end_listening()
        return []

    def next_wakeup(self) -> datetime:
        if not self._started:
            return self.session.now
        return self._deadline if self._deadline is not None else self.session.now + _IDLE

    def take_events(self) -> Sequence[ScriptDone | FrameDiscarded]:
        if not self._events:
            return ()
        events, self._events = self._events, []
        return events

    # --- inside --------------------------------------------------------------------------

    def _end_listening(self) -> list[Send]:
        heard, self._collected = self._collected, []
        self._listening = None
        return self._resume(heard)

    def _resume(self, value: AskResult | list[Heard] | None) -> list[Send]:
        sends: list[Send] = []
        self._deadline = None
        while not self._done and self.failure is None:
            try:
                step = self._script.send(value)
            except StopIteration:
                self._done = True
                self._events.append(ScriptDone(self.session.now))
                break
            except Exception as exc:  # a bug of the tester's: end the run, incomplete, say why
                self.failure = f"{type(exc).__name__}: {exc}"
                self._events.append(ScriptDone(self.session.now))
                break
            now = self.session.now
            if isinstance(step, RawDatagram):
                self.session.sent.append(Evidence(now, True, step.data))
                sends.append(Send(step.data, self._device))
                value = None
                continue
            if isinstance(step, AwaitDevice):
                self._listening = step
                self._collected = []
                self._deadline = now + timedelta(seconds=step.seconds)
                break
            tid = self._next_tid()
            frame = step.frame._replace(tid=tid)
            data = encode_frame(frame)
            request = Evidence(now, True, data)
            self.session.sent.append(request)
            self._pending = (tid, step, request, frame)
            self._collected = []
            self._deadline = now + timedelta(seconds=step.wait)
            sends.append(Send(data, None if step.multicast else self._device))
            break
        return sends

    def _next_tid(self) -> int:
        tid = self._tid
        self._tid = (tid + 1) & 0xFFFF  # a fresh TID for every request [AIF 2.4.3]
        return tid


def _answers(frame: Frame, tid: int, sent: Frame) -> bool:
    """Whether ``frame`` is the answer to ``sent``: under its TID, and no request or
    notification of the device's own (an INF answers only an INF_REQ)."""
    if frame.tid != tid or frame.esv.is_request:
        return False
    return frame.esv is not Esv.INF or sent.esv is Esv.INF_REQ


def _decode(data: bytes) -> Frame | None:
    try:
        frame = decode_frame(bytes(data))
    except FrameError:
        return None
    return frame if isinstance(frame, Frame) else None
