"""The MDMS's consent registry and its audit, on a real SQLite file (A3, A5, A7)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from hemsnet.devices.lv_meter import LV_METER_CLASS
from hemsnet.routea.headend import store as store_module
from hemsnet.routea.headend.store import ConsentError, MdmsStore, ShareRefused, StoredReading

T0 = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


def half_hours(count: int, start: datetime = datetime(2026, 12, 3)) -> list[StoredReading]:
    return [
        StoredReading("energy_normal", start + timedelta(minutes=30 * i), 1000 + i,
                      Decimal(1000 + i) / 10)
        for i in range(count)
    ]  # fmt: skip


@pytest.fixture
def mdms(tmp_path: Path) -> MdmsStore:
    store = MdmsStore(tmp_path / "headend.db")
    store.register_meters([("UM-1", LV_METER_CLASS), ("UM-2", LV_METER_CLASS)])
    store.add_readings("UM-1", half_hours(5), T0)
    return store


def test_consent_on_shares_and_every_share_is_audited(mdms: MdmsStore) -> None:
    mdms.grant("UM-1", "h1", "acme", "customer h1", T0)
    first = mdms.share("acme", "127.0.0.1", "UM-1", 0, 3, T0)
    assert (first.home, len(first.readings), first.more) == ("h1", 3, True)
    rest = mdms.share("acme", "127.0.0.1", "UM-1", first.through, 3, T0)
    assert (len(rest.readings), rest.more) == (2, False)
    assert [r.measured_at for r in first.readings + rest.readings] == [
        f"2026-12-03T0{h}:{m}:00" for h, m in ((0, "00"), (0, 30), (1, "00"), (1, 30), (2, "00"))
    ]
    audit = mdms.audit()
    assert [(a.allowed, a.meter_id, a.home, a.rows) for a in audit] == [
        (True, "UM-1", "h1", 3), (True, "UM-1", "h1", 2)
    ]  # fmt: skip
    assert (audit[0].after_seq, audit[0].through_seq) == (0, first.through)
    assert audit[1].first_measured == "2026-12-03T01:30:00"
    assert audit[1].last_measured == "2026-12-03T02:00:00"


def test_consent_off_refuses_and_audits_why(mdms: MdmsStore) -> None:
    with pytest.raises(ShareRefused) as no_consent:
        mdms.share("acme", "10.0.0.9", "UM-1", 0, 10, T0)
    assert (no_consent.value.status, no_consent.value.reason) == (403, "no consent on record")
    mdms.grant("UM-1", "h1", "other", "customer h1", T0)  # consent to another provider only
    with pytest.raises(ShareRefused):
        mdms.share("acme", "10.0.0.9", "UM-1", 0, 10, T0)
    with pytest.raises(ShareRefused) as unknown:
        mdms.share("acme", "10.0.0.9", "UM-\x00" + "x" * 100, 0, 10, T0)
    assert unknown.value.status == 404
    audit = mdms.audit()
    assert [(a.allowed, a.reason) for a in audit] == [
        (False, "no consent on record"), (False, "no consent on record"),
        (False, "unknown meter"),
    ]  # fmt: skip
    assert audit[2].meter_id is not None and len(audit[2].meter_id) <= 65
    assert "\x00" not in audit[2].meter_id


def test_revocation_stops_sharing_at_once_and_a_new_grant_resumes(mdms: MdmsStore) -> None:
    mdms.grant("UM-1", "h1", "acme", "customer h1", T0)
    page = mdms.share("acme", "p", "UM-1", 0, 2, T0)
    # Another process (the CLI) revokes: the next share, through this connection, is refused.
    with MdmsStore(mdms.path) as cli:
        cli.revoke("UM-1", "acme", "customer h1", T0 + timedelta(minutes=1))
    with pytest.raises(ShareRefused) as refused:
        mdms.share("acme", "p", "UM-1", page.through, 2, T0 + timedelta(minutes=2))
    assert refused.value.reason == "consent revoked at 2026-12-04T09:01:00+00:00 by customer h1"
    mdms.grant("UM-1", "h1", "acme", "customer h1", T0 + timedelta(minutes=3))
    assert len(mdms.share("acme", "p", "UM-1", page.through, 10, T0).readings) == 3
    consents = mdms.consents()
    assert [(c.on, c.revoked_by) for c in consents] == [(False, "customer h1"), (True, None)]


def test_consent_errors_are_one_line(mdms: MdmsStore) -> None:
    with pytest.raises(ConsentError, match="not one of the head-end's meters"):
        mdms.grant("UM-9", "h1", "acme", "x", T0)
    with pytest.raises(ConsentError, match="is not 1 to 64"):
        mdms.grant("UM-1", "h 1", "acme", "x", T0)
    with pytest.raises(ConsentError, match="no consent"):
        mdms.revoke("UM-1", "acme", "x", T0)
    mdms.grant("UM-1", "h1", "acme", "x", T0)
    with pytest.raises(ConsentError, match="already on record"):
        mdms.grant("UM-1", "h1", "acme", "x", T0)
    with pytest.raises(ConsentError, match="--by"):
        mdms.revoke("UM-1", "acme", " ", T0)


def test_refused_attempts_cannot_fill_the_disk(
    mdms: MdmsStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "REFUSED_ROWS_PER_HOUR", 3)
    for _ in range(10):
        mdms.refuse(T0, None, "10.0.0.9", "readings", "missing or bad token")
    refused = mdms.audit()
    assert len(refused) == 3
    assert refused[-1].repeats == 7
    mdms.refuse(T0 + timedelta(hours=2), None, "10.0.0.9", "meters", "missing or bad token")
    assert len(mdms.audit()) == 4  # a new hour records again


def test_a_reading_held_is_kept(mdms: MdmsStore) -> None:
    again = [StoredReading("energy_normal", datetime(2026, 12, 3), 5, Decimal("0.5"))]
    assert mdms.add_readings("UM-1", again, T0) == 0
    assert mdms.add_readings("UM-1", half_hours(6), T0) == 1
    assert mdms.readings_on("UM-1", datetime(2026, 12, 3).date()) == 6


def test_half_hours_counts_one_meters_normal_series(mdms: MdmsStore) -> None:
    """What the testbed's live check reports (H23): reverse readings and other meters'
    do not count."""
    reverse = [StoredReading("energy_reverse", datetime(2026, 12, 3, 5), 7, Decimal("0.7"))]
    mdms.add_readings("UM-1", reverse, T0)
    assert mdms.half_hours("UM-1") == (5, datetime(2026, 12, 3, 2, 0))
    assert mdms.half_hours("UM-2") == (0, None)
