"""Shared test fixtures and paths."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
VECTORS = Path(__file__).resolve().parent / "vectors"
SHARED = REPO.parent / "shared"
MRA_DIR = SHARED / "spec" / "mra"


def mra_missing(folder: Path = MRA_DIR, environ: Mapping[str, str] = os.environ) -> str | None:
    """Why the MRA checks cannot run, or ``None`` when they can. Outside CI a missing folder
    skips them; in CI (``CI=true``), where the folder is always there, it fails them."""
    if (folder / "definitions" / "definitions.json").is_file():
        return None
    reason = f"the MRA data files are not at {folder} (shared/spec/mra is outside the repo)"
    if environ.get("CI", "").lower() in ("true", "1", "yes"):
        return f"CI: {reason}; they must be there"
    return reason


@pytest.fixture
def mra() -> Path:
    """The MRA folder, for the tests that check the class tables against it."""
    reason = mra_missing()
    if reason is not None:
        if reason.startswith("CI:"):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return MRA_DIR


def counting(start: int = 0) -> Callable[[int], int]:
    """A TID draw for tests that need to know the next TID: start, start + 1, ... (wrapping)."""
    state = [start]

    def draw(limit: int) -> int:
        value = state[0] % limit
        state[0] += 1
        return value

    return draw


def load_vectors(name: str) -> list[dict[str, Any]]:
    with (VECTORS / name).open() as fh:
        data: list[dict[str, Any]] = json.load(fh)
    return data
