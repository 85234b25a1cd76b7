"""Exact scaling of raw readings and counter wrap [reference §8.1]."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hemsnet.devices.units import UNIT_CODES, UNIT_CODES_BIDIR, Scale, delta, physical


def test_worked_example_493824_kwh() -> None:
    # raw 0x0001E240, E6 = 0x01 (0.1 kWh), D3 = 40, D4 = 0x00 [reference §8.1]
    assert physical(0x0001E240, 0x01, 40, 0x00) == Decimal(493824)


def test_arithmetic_is_exact_decimal() -> None:
    result = physical(1, 0x04, 3, 0x03)  # 1 * 0.0001 * 3 * 0.001
    assert isinstance(result, Decimal)
    assert result == Decimal("0.0000003")
    assert physical(99_999_999, 0x0E, 999_999, 0x00) == Decimal(99_999_999) * 100000 * 999_999


@pytest.mark.parametrize(
    ("code", "multiplier"),
    [(0x00, "1"), (0x01, "0.1"), (0x02, "0.01"), (0x03, "0.001"), (0x04, "0.0001"),
     (0x0A, "10"), (0x0B, "100"), (0x0C, "1000"), (0x0D, "10000"), (0x0E, "100000")],
)  # fmt: skip
def test_unit_codes(code: int, multiplier: str) -> None:
    assert physical(1, code) == Decimal(multiplier)


def test_code_0x0e_only_in_the_bidirectional_table() -> None:
    assert 0x0E in UNIT_CODES_BIDIR
    assert 0x0E not in UNIT_CODES


@pytest.mark.parametrize(
    ("args", "message"),
    [((1, 0x05), "unit code 0x05"), ((1, 0x00, 1, 0x04), "multiplier code 0x04"),
     ((1, 0x00, 1_000_000), "coefficient 1000000")],
)  # fmt: skip
def test_bad_scale_is_refused(args: tuple[int, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        physical(*args)


def test_scale_applies_and_keeps_no_data() -> None:
    scale = Scale(unit_code=0x02, coefficient=5, multiplier_code=0x01)
    assert scale.apply(1000) == Decimal("5.00")
    assert scale.apply(None) is None
    with pytest.raises(ValueError, match="unit code"):
        Scale(unit_code=0x07)


def test_delta_without_and_with_wrap() -> None:
    assert delta(100, 250, 8) == 150
    assert delta(99_999_990, 5, 8) == 15  # rolled over at 10**8
    assert delta(950, 20, 3) == 70


@pytest.mark.parametrize(("previous", "current", "digits"), [(0, 1000, 3), (-1, 0, 8), (0, 0, 9)])
def test_delta_refuses_values_beyond_the_digits(previous: int, current: int, digits: int) -> None:
    with pytest.raises(ValueError):
        delta(previous, current, digits)
