"""Benchmark the ECHONET Lite frame codec against pychonet and uecho (not a test).

Run with ``make bench`` (installs the peers, the ``bench`` extras) or
``.venv/bin/python bench/codec.py``. Four figures: decode and encode of frame A (Get_Res from
the smart meter 0x028F01 with three properties) and of frame B (Get_Res carrying the 194-byte
0xE7 history). hemsnet is measured twice, with the C accelerator and in pure Python.

Method: every implementation's output is first checked against ours (same fields decoded, same
bytes built), so like is compared with like. Then rounds interleave all implementations and
figures, each measurement runs its call back to back for about ``--time`` seconds (the garbage
collector left on, as in a real program), and the best of ``--repeats`` rounds is kept, which
tames the noise of a shared machine. pychonet's builder always writes SEOJ 0x05FF01, so its
encode figures build frame A or B with SEOJ and DEOJ swapped: same size, same work.
The exit status is 1 when the accelerated codec misses the goal (or is not active).
"""

from __future__ import annotations

import argparse
import platform
import sys
from collections import deque
from collections.abc import Callable
from itertools import repeat
from time import perf_counter
from typing import Any

from hemsnet.echonet import frame as codec
from hemsnet.echonet.frame import Frame

try:
    from pychonet.lib.functions import buildEchonetMsg, decodeEchonetMsg
    from uecho.protocol.message import Message
    from uecho.protocol.property import Property as UechoProperty
except ImportError as exc:
    sys.exit(
        f"bench/codec.py needs the peer libraries ({exc.name} is missing): run `make bench`, "
        "or `uv pip install -e '.[bench]'` in .venv first"
    )

FRAME_A = bytes.fromhex(
    "1081 0001 028F01 05FF01 72 03 80 01 30 E2 0F 07E80B150A1E000012D687FFFFFFFF D3 04 00000001"
)
FRAME_B = bytes.fromhex("10810004028F0105FF017201E7C2 0001" + "0001E240" * 48)
GOAL = 1.5  # ours (accelerated) over the fastest peer, on every figure

Call = Callable[[Any], object]


def _fields(frame: Frame) -> tuple[object, ...]:
    """What every library decodes: TID, SEOJ, DEOJ, ESV and the (EPC, EDT) pairs."""
    eojs = tuple(frame.seoj), tuple(frame.deoj)
    return (frame.tid, *eojs, int(frame.esv), [(p.epc, bytes(p.edt)) for p in frame.properties])


def _pychonet_fields(msg: dict[str, Any]) -> tuple[object, ...]:
    seoj = (msg["SEOJGC"], msg["SEOJCC"], msg["SEOJCI"])
    deoj = (msg["DEOJGC"], msg["DEOJCC"], msg["DEOJCI"])
    props = [(p["EPC"], bytes(p["EDT"])) for p in msg["OPC"]]
    return (msg["TID"], seoj, deoj, msg["ESV"], props)


def _uecho_fields(msg: Message) -> tuple[object, ...]:
    seoj, deoj = tuple(msg.SEOJ.to_bytes(3, "big")), tuple(msg.DEOJ.to_bytes(3, "big"))
    return (msg.TID, seoj, deoj, msg.ESV, [(p.code, bytes(p.data)) for p in msg.properties])


def _uecho_decode(raw: bytes) -> Message:
    msg = Message()
    msg.parse_bytes(raw)
    return msg


def _uecho_message(frame: Frame) -> Message:
    msg = Message()
    msg.TID = frame.tid
    msg.SEOJ = int.from_bytes(bytes(frame.seoj), "big")
    msg.DEOJ = int.from_bytes(bytes(frame.deoj), "big")
    msg.ESV = int(frame.esv)
    msg.properties = [UechoProperty(p.epc, p.edt) for p in frame.properties]
    return msg


def _pychonet_payload(frame: Frame) -> dict[str, Any]:
    deoj = frame.deoj
    return {
        "TID": frame.tid,
        "DEOJGC": deoj[0],
        "DEOJCC": deoj[1],
        "DEOJCI": deoj[2],
        "ESV": int(frame.esv),
        # pychonet takes each EDT as a big-endian int and writes it over PDC bytes.
        "OPC": [
            {"EPC": p.epc, "PDC": p.pdc, "EDT": int.from_bytes(p.edt, "big")}
            for p in frame.properties
        ],
    }


def _expect(name: str, got: object, want: object) -> None:
    if got != want:
        sys.exit(f"{name} does not agree with hemsnet, so it cannot be compared:\n{got}\n{want}")


def build_cases() -> dict[str, dict[str, tuple[Call, object]]]:
    """figure -> implementation -> (function, argument), each checked against ours."""
    cases: dict[str, dict[str, tuple[Call, object]]] = {}
    for label, raw in (("A", FRAME_A), ("B", FRAME_B)):
        frame = codec._decode_frame_py(raw)
        assert isinstance(frame, Frame)
        want = _fields(frame)
        decoders: dict[str, tuple[Call, object]] = {
            "hemsnet py": (codec._decode_frame_py, raw),
            "pychonet": (decodeEchonetMsg, raw),
            "uecho": (_uecho_decode, raw),
        }
        if codec.ACCELERATED:
            decoders = {"hemsnet C": (codec.decode_frame, raw), **decoders}
            _expect("hemsnet C", codec.decode_frame(raw), frame)
        _expect("pychonet", _pychonet_fields(decodeEchonetMsg(raw)), want)
        _expect("uecho", _uecho_fields(_uecho_decode(raw)), want)
        cases[f"decode {label}"] = decoders

        swapped = frame._replace(seoj=frame.deoj, deoj=frame.seoj)
        uecho_msg = _uecho_message(frame)
        payload = _pychonet_payload(swapped)
        encoders: dict[str, tuple[Call, object]] = {
            "hemsnet py": (codec._encode_frame_py, frame),
            "pychonet": (buildEchonetMsg, payload),
            "uecho": (Message.to_bytes, uecho_msg),
        }
        if codec.ACCELERATED:
            encoders = {"hemsnet C": (codec.encode_frame, frame), **encoders}
            _expect("hemsnet C", codec.encode_frame(frame), raw)
        _expect("hemsnet py", codec._encode_frame_py(frame), raw)
        _expect("pychonet", bytes(buildEchonetMsg(payload)), codec._encode_frame_py(swapped))
        _expect("uecho", bytes(uecho_msg.to_bytes()), raw)
        cases[f"encode {label}"] = encoders
    return {figure: cases[figure] for figure in ("decode A", "decode B", "encode A", "encode B")}


def _run(function: Call, arg: object, number: int) -> float:
    """Seconds for ``number`` calls, looping in C so the loop costs next to nothing."""
    start = perf_counter()
    deque(map(function, repeat(arg, number)), maxlen=0)
    return perf_counter() - start


def _calibrate(function: Call, arg: object, seconds: float) -> int:
    number = 1
    while (elapsed := _run(function, arg, number)) < seconds / 10:
        number *= 10
    return max(1, int(number * seconds / elapsed))


def measure(
    cases: dict[str, dict[str, tuple[Call, object]]], repeats: int, seconds: float
) -> dict[str, dict[str, float]]:
    """figure -> implementation -> best frames/s over interleaved rounds."""
    numbers = {
        (figure, impl): _calibrate(function, arg, seconds)
        for figure, impls in cases.items()
        for impl, (function, arg) in impls.items()
    }
    best: dict[tuple[str, str], float] = dict.fromkeys(numbers, float("inf"))
    for round_ in range(repeats):
        order = list(numbers)
        # Rotate the order each round so no implementation always runs first or last.
        shift = round_ * 3 % len(order)
        for key in order[shift:] + order[:shift]:
            function, arg = cases[key[0]][key[1]]
            best[key] = min(best[key], _run(function, arg, numbers[key]))
    return {
        figure: {impl: numbers[figure, impl] / best[figure, impl] for impl in impls}
        for figure, impls in cases.items()
    }


def report(rates: dict[str, dict[str, float]], repeats: int, seconds: float) -> bool:
    """Print the table; return whether every accelerated figure meets the goal."""
    ours = ["hemsnet C", "hemsnet py"] if codec.ACCELERATED else ["hemsnet py"]
    columns = [*ours, "pychonet", "uecho"]
    print(
        f"ECHONET Lite codec, frames/s: best of {repeats} interleaved rounds of ~{seconds:g} s; "
        f"Python {platform.python_version()}, {platform.machine()}"
    )
    if not codec.ACCELERATED:
        print("the C accelerator is not active (not built, or HEMSNET_PURE_PYTHON is set)")
    header = ["figure", *columns, *(f"{name} / peer" for name in ours)]
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    met = codec.ACCELERATED
    for figure, impl_rates in rates.items():
        peer = max(impl_rates["pychonet"], impl_rates["uecho"])
        ratios = [impl_rates[name] / peer for name in ours]
        met = met and ratios[0] >= GOAL
        cells = [f"{impl_rates[name]:,.0f}" for name in columns]
        print("| " + " | ".join([figure, *cells, *(f"{r:.2f}x" for r in ratios)]) + " |")
    verdict = "met" if met else "NOT met"
    print(f"goal: hemsnet (C) >= {GOAL}x the fastest peer on every figure: {verdict}")
    return met


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="interleaved rounds (best kept)")
    parser.add_argument("--time", type=float, default=0.1, help="seconds per measurement")
    args = parser.parse_args()
    rates = measure(build_cases(), args.repeats, args.time)
    sys.exit(0 if report(rates, args.repeats, args.time) else 1)


if __name__ == "__main__":
    main()
