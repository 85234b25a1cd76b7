"""The provider's Route A tables in PostgreSQL (created by the importer when missing).

* ``route_a_reading``: one row per meter and half-hour, as the head-end shared it: the
  30-minute cumulative energies in kWh (``energy_normal``, ``energy_reverse``; either may be
  missing until it arrives), keyed by home, the utility's meter ID and meter time.
* ``route_a_meter``: which Route B meter key (the meter's address, as the home's controller
  stores it in ``reading.meter``) a home's utility meter ID is: what the reconciliation joins
  on (A9).
* ``route_a_cursor``: per head-end and meter, the last sequence number stored, committed with
  the rows, so an interrupted import resumes where it stopped and repeats nothing.
"""

from __future__ import annotations

from typing import Final

__all__ = ["DDL"]

DDL: Final = (
    """CREATE TABLE IF NOT EXISTS route_a_reading (
        home text NOT NULL,
        meter text NOT NULL,
        measured_at timestamp NOT NULL,
        energy_normal numeric,
        energy_reverse numeric,
        received_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (home, meter, measured_at)
    )""",
    """CREATE TABLE IF NOT EXISTS route_a_meter (
        home text NOT NULL,
        meter text NOT NULL,
        route_b_meter text NOT NULL,
        PRIMARY KEY (home, meter)
    )""",
    """CREATE TABLE IF NOT EXISTS route_a_cursor (
        headend text NOT NULL,
        meter text NOT NULL,
        after_seq bigint NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (headend, meter)
    )""",
)
