"""``hemsnet ... | head``: the reader leaving is no error to show."""

from __future__ import annotations

import subprocess
import sys

FRAME = b"1081000105FF01028F016201E200\n"


def test_a_reader_that_leaves_early_gets_no_traceback() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "hemsnet", "decode", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    proc.stdin.write(FRAME)
    proc.stdin.flush()
    assert proc.stdout.readline().startswith(b"TID 0x0001")
    proc.stdout.close()  # as head does after its lines; the next frame's lines find no reader
    proc.stdin.write(FRAME)
    proc.stdin.close()
    assert proc.wait(timeout=30) == 141
    assert proc.stderr.read() == b""
