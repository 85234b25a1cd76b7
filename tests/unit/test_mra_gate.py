"""The MRA checks skip where shared/spec/mra is absent, except in CI, where they fail."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import MRA_DIR, mra_missing


def test_present_runs(tmp_path: Path) -> None:
    (tmp_path / "definitions").mkdir()
    (tmp_path / "definitions" / "definitions.json").write_text("{}")
    assert mra_missing(tmp_path, {"CI": "true"}) is None


def test_absent_skips_outside_ci_and_fails_in_ci(tmp_path: Path) -> None:
    outside = mra_missing(tmp_path, {})
    assert outside is not None and not outside.startswith("CI:")
    inside = mra_missing(tmp_path, {"CI": "true"})
    assert inside is not None and inside.startswith("CI:") and str(tmp_path) in inside


def test_this_checkout_sees_the_mra_or_says_where_it_looked() -> None:
    reason = mra_missing()
    assert reason is None or str(MRA_DIR) in reason
