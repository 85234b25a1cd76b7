"""What the subcommands share: exit codes, the CLI error, argument parsers for codes."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from datetime import datetime
from pathlib import Path
from typing import Final

from hemsnet import localtime
from hemsnet.aio.services import Service

__all__ = [
    "EXIT_BROKEN_PIPE",
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_USAGE",
    "CliError",
    "parse_epc",
    "parse_hex",
    "parse_local_time",
    "parse_seconds",
    "parse_speed",
    "read_secret",
    "run_until_signalled",
]

EXIT_OK: Final = 0
EXIT_FAILED: Final = 1
EXIT_USAGE: Final = 2
EXIT_BROKEN_PIPE: Final = 141  # 128 + SIGPIPE, as a shell reports a command whose reader left


class CliError(Exception):
    """A one-line message for the user and the exit code that goes with it."""

    def __init__(self, message: str, exit_code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def parse_hex(text: str, what: str = "hex") -> bytes:
    """Bytes typed as hex, with optional spaces, colons or a 0x prefix."""
    digits = text.strip().removeprefix("0x").removeprefix("0X")
    digits = "".join(digits.replace(":", " ").split())
    try:
        return bytes.fromhex(digits)
    except ValueError:
        raise CliError(f"{what} {text!r} is not hexadecimal bytes") from None


def parse_epc(text: str) -> int:
    """An EPC typed as ``80``, ``0x80`` or ``0X80``."""
    raw = parse_hex(text, "EPC")
    if len(raw) != 1:
        raise CliError(f"EPC {text!r} is not one byte")
    return raw[0]


def parse_speed(text: str) -> float:
    """``--speed``: how many times faster than real time a clock runs."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value <= 1_000_000:
        raise argparse.ArgumentTypeError(f"{text}: the speed must be in (0, 1000000]")
    return value


_SECONDS_MAX: Final = 86_400.0  # a day; the longest AIF timer is 180 s


def parse_seconds(text: str) -> float:
    """``--timeout``, ``--wait``: a number of seconds, more than 0 and at most a day."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value <= _SECONDS_MAX:  # also refuses nan
        raise argparse.ArgumentTypeError(f"{text}: seconds must be in (0, {_SECONDS_MAX:g}]")
    return value


def parse_local_time(text: str) -> datetime:
    """``--start``: an ISO date-time in local time (no UTC offset)."""
    try:
        return localtime.parse_local_time(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def read_secret(path: Path, option: str) -> str:
    """The secret in the file ``path`` given to ``option``, stripped; CliError (naming the
    option and the file, never the content) when it cannot be read or is empty."""
    try:
        value = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise CliError(f"{option} {path}: {exc.strerror}") from None
    if not value:
        raise CliError(f"{option} {path} is empty")
    return value


def run_until_signalled(run: Service) -> None:
    """Run ``run(stop)`` in a new event loop; SIGINT or SIGTERM sets ``stop``."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        logging.getLogger(__name__).info("running; Ctrl-C or SIGTERM stops")
        await run(stop)

    asyncio.run(main())
