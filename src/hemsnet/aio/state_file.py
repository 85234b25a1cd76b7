"""The meter's state file: its registers and history across restarts.

Written atomically (a temporary file in the same directory, flushed to disk, then renamed over
the old one), so that a crash leaves either the previous state or the new one, never half.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from hemsnet.errors import ConfigError

__all__ = ["check_writable", "load_state", "save_state"]


def load_state(path: Path) -> dict[str, Any] | None:
    """The saved state, or None when there is none yet."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(f"cannot read the state file {path}: {exc.strerror}") from None
    try:
        state = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"the state file {path} is not valid JSON: {exc}") from None
    if not isinstance(state, dict):
        raise ConfigError(f"the state file {path} does not hold a meter state")
    return state


def _temporary(path: Path) -> Path:
    return path.with_name(f".{path.name}.tmp")


def check_writable(path: Path) -> None:
    """Refuse, before the meter starts, a state file it could not save: its folder must take
    the temporary file :func:`save_state` writes and renames (created, then removed; one a
    save cut short left behind is garbage)."""
    temporary = _temporary(path)
    try:
        os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT, 0o600))
        temporary.unlink()
    except OSError as exc:
        raise ConfigError(f"cannot write the state file {path}: {exc.strerror}") from None


def save_state(path: Path, state: dict[str, Any]) -> None:
    """Replace the state file with ``state``, atomically and durably."""
    temporary = _temporary(path)
    try:
        with temporary.open("w", encoding="utf-8") as out:
            json.dump(state, out, separators=(",", ":"))
            out.flush()
            os.fsync(out.fileno())
        temporary.replace(path)
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    except OSError as exc:
        raise ConfigError(f"cannot write the state file {path}: {exc.strerror}") from None
