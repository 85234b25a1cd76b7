"""The generated Lua dissector in the real tshark, on frames of hemsnet's own engines: every
meter and appliance property each engine serves, the reference vectors, and mutations of
them. Every frame decodes as ``hemsnet decode --json`` decodes it, field by field; a frame
hemsnet refuses is flagged malformed, a valid one never; nothing crashes the dissector."""

from __future__ import annotations

import json
import random
import subprocess
from collections.abc import Hashable, Iterator
from pathlib import Path

from hemsnet.appliances.catalogue import KINDS
from hemsnet.appliances.engine import ApplianceEngine
from hemsnet.devices.registry import class_def
from hemsnet.echonet.eoj import CONTROLLER, NODE_PROFILE, Eoj
from hemsnet.echonet.esv import Esv
from hemsnet.echonet.frame import Frame, Property, decode_frame, encode_frame
from hemsnet.echonet.propmap import decode_property_map
from hemsnet.echonet.send import Send
from tests.tshark import compare, dissect, need_tshark, write_lua
from tests.unit.conformance.harness import START, hemsnet_meter

VECTORS = Path(__file__).parents[2] / "vectors" / "spec_examples.json"
PEER: Hashable = "controller"


def _ask(engine: object, eoj: Eoj, esv: Esv, props: tuple[Property, ...]) -> Iterator[bytes]:
    request = encode_frame(Frame(1, CONTROLLER, eoj, esv, props))
    yield request
    sends: list[Send] = engine.receive(request, PEER, START)  # type: ignore[attr-defined]
    yield from (send.data for send in sends)


def _every_property(engine: object, eoj: Eoj) -> Iterator[bytes]:
    """Get 0x9F, then every EPC it lists, alone; the node profile's too."""
    yield from (send.data for send in engine.announce(START))  # type: ignore[attr-defined]
    for obj in (NODE_PROFILE, eoj):
        answers = list(_ask(engine, obj, Esv.GET, (Property(0x9F),)))
        yield from answers
        frame = decode_frame(answers[-1])
        assert isinstance(frame, Frame)
        for epc in sorted(decode_property_map(frame.properties[0].edt)):
            yield from _ask(engine, obj, Esv.GET, (Property(epc),))
    table = class_def(eoj.class_id)
    assert table is not None
    yield from _ask(engine, eoj, Esv.SETC, (Property(0x80, b"\x00"),))  # a refused Set
    yield from _ask(engine, eoj, Esv.GET, (Property(0x80), Property(0x9D), Property(0xFF)))


def own_frames() -> list[bytes]:
    frames: list[bytes] = []
    frames += _every_property(hemsnet_meter(), Eoj(0x02, 0x8F, 0x01))
    frames += _every_property(hemsnet_meter(class_id=0x0288), Eoj(0x02, 0x88, 0x01))
    for kind in KINDS.values():
        engine = ApplianceEngine([kind.build(START, 3)], now=START)
        frames += _every_property(engine, Eoj.of(kind.class_id, 0x01))
    return frames


def mutations(frames: list[bytes], seed: int, count: int) -> list[bytes]:
    """Frames with a byte changed, cut short or grown: structure and EDTs both hit."""
    draw = random.Random(seed)
    out = []
    for _ in range(count):
        data = bytearray(draw.choice(frames))
        how = draw.randrange(4)
        if how == 0 and len(data) > 14:  # an EDT byte: a value changes or stops fitting
            data[draw.randrange(14, len(data))] = draw.randrange(256)
        elif how == 1:
            data = data[: draw.randrange(len(data))]
        elif how == 2:
            data += bytes([draw.randrange(256)])
        else:
            data[draw.randrange(len(data))] = draw.randrange(256)
        if data:
            out.append(bytes(data))
    return out


def to_pcap(frames: list[bytes], path: Path) -> Path:
    """The frames as IPv6/UDP 3610 datagrams, by Wireshark's text2pcap."""
    text = path.with_suffix(".txt")
    text.write_text(
        "".join("000000 " + " ".join(f"{b:02x}" for b in data) + "\n" for data in frames),
        encoding="ascii",
    )
    subprocess.run(
        ["text2pcap", "-q", "-6", "fe80::1,fe80::2", "-u", "3610,3610", str(text), str(path)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return path


def test_every_own_frame_decodes_as_hemsnet_decode_does(tmp_path: Path) -> None:
    need_tshark()
    frames = own_frames()
    vectors = [bytes.fromhex(v["hex"]) for v in json.loads(VECTORS.read_text())]
    capture = to_pcap([*frames, *vectors], tmp_path / "own.pcap")
    dissected = dissect(capture, write_lua(tmp_path))
    assert len(dissected) == len(frames) + len(vectors)
    assert not any(f.malformed for f in dissected)
    compared = compare(dissected)
    # Every class's every served property: the meters' and the six appliances'.
    assert compared > 400
    epcs = {(f.one("seoj"), p["epc"]) for f in dissected for p in f.properties if "value" in p}
    assert ("028F01", "0xe7") in epcs and ("028801", "0xee") in epcs
    assert ("027D01", "0xd3") in epcs  # a signed battery power
    assert ("027901", "0xe1") in epcs  # PV energy, 0.001 kWh


def test_mutated_frames_are_flagged_as_hemsnet_decode_judges_them(tmp_path: Path) -> None:
    need_tshark()
    frames = mutations(own_frames(), seed=18, count=1500)
    frames += [
        bytes.fromhex("1081"),
        bytes.fromhex("2081000105FF01028F0162018000"),
        bytes.fromhex("1081000205FF01028F0162028000"),
        bytes.fromhex("1081000305FF01028F016F018000"),
        bytes.fromhex("1081000405FF01028F0162018005"),
        bytes.fromhex("1081000505FF01028F016E0000"),
        bytes.fromhex("10820006DEADBEEF"),
    ]
    capture = to_pcap(frames, tmp_path / "mutated.pcap")
    dissected = dissect(capture, write_lua(tmp_path))
    assert len(dissected) == len(frames)
    compare(dissected)  # flagged exactly when hemsnet refuses; values equal otherwise
    flagged = sum(f.malformed for f in dissected)
    invalid = sum(1 for f in dissected for p in f.properties if "invalid" in p)
    assert flagged > 100 and invalid > 20  # both kinds of trouble were exercised
