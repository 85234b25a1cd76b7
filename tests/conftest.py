"""Shared test fixtures and paths."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
VECTORS = Path(__file__).resolve().parent / "vectors"
SHARED = REPO.parent / "shared"
MRA_DIR = SHARED / "spec" / "mra"


def load_vectors(name: str) -> list[dict[str, Any]]:
    with (VECTORS / name).open() as fh:
        data: list[dict[str, Any]] = json.load(fh)
    return data
