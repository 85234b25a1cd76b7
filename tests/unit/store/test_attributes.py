"""Meter attributes: a version per change, absent optional properties [AIF 3.1.4]."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hemsnet.metering.attributes import AttributeVersion
from hemsnet.store import Store
from tests.unit.store.builders import ARRIVED

HOUR = timedelta(hours=1)


def test_a_version_is_added_only_when_the_edt_changes(store: Store) -> None:
    meter_id = store.meter("m", "fe80::1", ARRIVED)
    assert store.record_attribute(meter_id, 0xD3, b"\x00\x00\x00\x28", ARRIVED)
    assert not store.record_attribute(meter_id, 0xD3, b"\x00\x00\x00\x28", ARRIVED + HOUR)
    assert store.record_attribute(meter_id, 0xD3, b"\x00\x00\x00\x50", ARRIVED + 2 * HOUR)
    assert not store.record_attribute(meter_id, 0xD3, b"\x00\x00\x00\x50", ARRIVED + 3 * HOUR)
    assert store.record_attribute(meter_id, 0xD3, b"\x00\x00\x00\x28", ARRIVED + 4 * HOUR)
    assert store.attribute_history(meter_id, 0xD3) == [
        AttributeVersion(ARRIVED, b"\x00\x00\x00\x28"),
        AttributeVersion(ARRIVED + 2 * HOUR, b"\x00\x00\x00\x50"),
        AttributeVersion(ARRIVED + 4 * HOUR, b"\x00\x00\x00\x28"),
    ]
    assert store.attributes(meter_id) == {0xD3: b"\x00\x00\x00\x28"}


def test_current_attributes_are_the_latest_version_of_each_epc(store: Store) -> None:
    meter_id = store.meter("m", "fe80::1", ARRIVED)
    other = store.meter("n", "fe80::2", ARRIVED)
    store.record_attribute(meter_id, 0xE6, b"\x01", ARRIVED)
    store.record_attribute(meter_id, 0xE5, b"\x06", ARRIVED)
    store.record_attribute(meter_id, 0xE6, b"\x02", ARRIVED + HOUR)
    store.record_attribute(other, 0xE6, b"\x03", ARRIVED)
    assert store.attributes(meter_id) == {0xE5: b"\x06", 0xE6: b"\x02"}
    assert store.attributes(other) == {0xE6: b"\x03"}


def test_an_absent_optional_property_is_recorded_as_such(store: Store) -> None:
    meter_id = store.meter("m", "fe80::1", ARRIVED)
    assert store.mark_absent(meter_id, 0xCC, ARRIVED)
    assert not store.mark_absent(meter_id, 0xCC, ARRIVED + HOUR)
    assert store.absent(meter_id) == {0xCC}
    assert store.attributes(meter_id) == {}
    # A firmware update that adds the property supersedes the absence.
    assert store.record_attribute(meter_id, 0xCC, b"\x08", ARRIVED + 2 * HOUR)
    assert store.absent(meter_id) == set()
    assert store.attributes(meter_id) == {0xCC: b"\x08"}
    assert store.attribute_history(meter_id, 0xCC) == [
        AttributeVersion(ARRIVED, None),
        AttributeVersion(ARRIVED + 2 * HOUR, b"\x08"),
    ]


def test_the_history_only_moves_forward(store: Store) -> None:
    meter_id = store.meter("m", "fe80::1", ARRIVED)
    store.record_attribute(meter_id, 0xE6, b"\x01", ARRIVED)
    with pytest.raises(ValueError, match="not after its current version"):
        store.record_attribute(meter_id, 0xE6, b"\x02", ARRIVED)
    with pytest.raises(ValueError, match="not after its current version"):
        store.mark_absent(meter_id, 0xE6, ARRIVED - HOUR)
    # The same value at an earlier time is no change and no error.
    assert not store.record_attribute(meter_id, 0xE6, b"\x01", ARRIVED - HOUR)
    assert store.attributes(meter_id) == {0xE6: b"\x01"}


def test_an_epc_outside_the_property_range_is_refused(store: Store) -> None:
    meter_id = store.meter("m", "fe80::1", ARRIVED)
    with pytest.raises(ValueError, match="CHECK constraint"):
        store.record_attribute(meter_id, 0x7F, b"\x00", ARRIVED)
