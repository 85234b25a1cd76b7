"""The vendored chart library is exactly the release its README names (nothing drifts silently)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import hemsnet

VENDOR = Path(hemsnet.__file__).parent / "web" / "static" / "vendor"
ROW = re.compile(
    r"^\| `(?P<file>[^`]+)` \| `[^`]+` \| `(?P<sha256>[0-9a-f]{64})` \|$", re.MULTILINE
)


def _listed() -> dict[str, str]:
    return {m["file"]: m["sha256"] for m in ROW.finditer((VENDOR / "README.md").read_text())}


def test_every_vendored_file_is_listed_with_its_sha256() -> None:
    on_disk = {path.name for path in VENDOR.iterdir() if path.name != "README.md"}
    assert set(_listed()) == on_disk


def test_each_file_has_the_recorded_sha256() -> None:
    for name, expected in _listed().items():
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == expected, name


def test_the_library_banner_carries_the_recorded_version() -> None:
    readme = (VENDOR / "README.md").read_text()
    version = re.search(r"^\| Chart\.js \| (?P<v>[0-9.]+) \|", readme, re.MULTILINE)
    assert version is not None
    banner = (VENDOR / "chart.umd.min.js").read_text()[:200]
    assert f"Chart.js v{version['v']}" in banner
