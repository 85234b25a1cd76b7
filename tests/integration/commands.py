"""The ``hemsnet`` command line run inside a test namespace, to its end."""

from __future__ import annotations

import asyncio
import sys

from hemsnet.testbed.netns import Link


async def hemsnet_in(link: Link, *args: str) -> tuple[int, str, str]:
    """``hemsnet ARGS`` in ``link``'s namespace: its exit code, stdout and stderr."""
    proc = await asyncio.create_subprocess_exec(
        "ip", "netns", "exec", link.netns, sys.executable, "-m", "hemsnet", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()
