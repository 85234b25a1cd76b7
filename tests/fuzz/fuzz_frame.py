"""atheris target for the ECHONET Lite decoders.

Run it by hand with libFuzzer options and, optionally, corpus directories::

    .venv/bin/python tests/fuzz/fuzz_frame.py -max_total_time=60 [CORPUS_DIR ...]

The seeds (every frame of ``tests/vectors/spec_examples.json`` and the EDTs they carry) are
written at start-up into the first corpus directory given, or into a fresh temporary directory
when none is; nothing binary is kept in the repository.

Per input the target checks the decode contract: ``decode_frame`` returns a ``Frame`` or a
``Format2Frame`` or raises ``FrameError``, nothing else; a decoded frame re-encodes to the same
bytes and decodes to the same value. The same input, and every EDT of a decoded frame, goes to
``decode_property_map``, ``decode_instance_list`` and ``decode_class_list``: a value or
``ValueError``, and a canonical encoding re-encodes exactly. Any other exception or a failed
assertion is a crash: libFuzzer stops and writes the input to a ``crash-*`` file.

The hemsnet modules are instrumented for coverage. Under the C accelerator only the Python
paths are instrumented; set ``HEMSNET_PURE_PYTHON=1`` to fuzz the pure-Python codec alone.
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["hemsnet"]):
    from hemsnet.echonet.frame import Format2Frame, Frame, decode_frame, encode_frame
    from hemsnet.echonet.instance_list import (
        MAX_CLASSES,
        MAX_INSTANCES,
        decode_class_list,
        decode_instance_list,
        encode_class_list,
        encode_instance_list,
    )
    from hemsnet.echonet.propmap import decode_property_map, encode_property_map
    from hemsnet.errors import FrameError

VECTORS = Path(__file__).resolve().parent.parent / "vectors" / "spec_examples.json"


def check_frame(data: bytes) -> Frame | Format2Frame | None:
    try:
        frame = decode_frame(data)
    except FrameError as exc:
        if not exc.reason:
            raise AssertionError("FrameError without a reason") from exc
        return None
    if type(frame) not in (Frame, Format2Frame):
        raise AssertionError(f"decode_frame returned {frame!r}")
    again = encode_frame(frame)
    if again != data:
        raise AssertionError(f"decoded to {frame!r}, which re-encodes as {again.hex()}")
    if decode_frame(again) != frame:
        raise AssertionError(f"{frame!r} does not survive a second round trip")
    return frame


def check_property_map(edt: bytes) -> None:
    try:
        epcs = decode_property_map(edt)
    except ValueError:
        return
    if type(epcs) is not frozenset or len(epcs) != edt[0]:
        raise AssertionError(f"property map {edt.hex()} decoded to {epcs!r}")
    canonical = edt[0] >= 16 or (list(edt[1:]) == sorted(epcs) and min(epcs, default=0x80) >= 0x80)
    if canonical and encode_property_map(epcs) != edt:
        raise AssertionError(f"property map {edt.hex()} re-encodes differently")


def check_instance_list(edt: bytes) -> None:
    try:
        decoded = decode_instance_list(edt)
    except ValueError:
        return
    if not edt[0] == decoded.total >= len(decoded.instances) <= MAX_INSTANCES:
        raise AssertionError(f"instance list {edt.hex()} decoded to {decoded!r}")
    if decoded.total == len(decoded.instances) and encode_instance_list(decoded.instances) != edt:
        raise AssertionError(f"instance list {edt.hex()} re-encodes differently")


def check_class_list(edt: bytes) -> None:
    try:
        decoded = decode_class_list(edt)
    except ValueError:
        return
    if not edt[0] == decoded.total >= len(decoded.class_ids) <= MAX_CLASSES:
        raise AssertionError(f"class list {edt.hex()} decoded to {decoded!r}")
    if decoded.total == len(decoded.class_ids) and encode_class_list(decoded.class_ids) != edt:
        raise AssertionError(f"class list {edt.hex()} re-encodes differently")


def check_edt(edt: bytes) -> None:
    check_property_map(edt)
    check_instance_list(edt)
    check_class_list(edt)


def test_one_input(data: bytes) -> None:
    frame = check_frame(data)
    check_edt(data)
    if isinstance(frame, Frame):
        for prop in (*frame.properties, *frame.get_properties):
            check_edt(prop.edt)


def seeds() -> list[bytes]:
    """Every spec example frame, and every EDT it carries."""
    found: list[bytes] = []
    for vector in json.loads(VECTORS.read_text()):
        found.append(bytes.fromhex(vector["hex"]))
        for _, edt in (*vector["properties"], *vector["get_properties"]):
            if edt:
                found.append(bytes.fromhex(edt))
    return found


def write_seeds(directory: Path) -> int:
    directory.mkdir(parents=True, exist_ok=True)
    unique = set(seeds())
    for seed in unique:
        (directory / f"seed-{hashlib.sha1(seed).hexdigest()}").write_bytes(seed)
    return len(unique)


def main(argv: list[str]) -> None:
    corpora = [arg for arg in argv[1:] if not arg.startswith("-")]
    if not corpora:
        corpora = [tempfile.mkdtemp(prefix="hemsnet-fuzz-corpus-")]
        argv = [*argv, corpora[0]]
    count = write_seeds(Path(corpora[0]))
    print(f"fuzz_frame: {count} seeds in {corpora[0]}", file=sys.stderr, flush=True)
    atheris.Setup(argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
