"""The controller's storage: readings, attributes, gaps, faults and counters in SQLite.

``Store.open(path)`` creates or opens the database; see docs/storage.md for the schema and the
rules (last arrival wins [AIF 2.5.1], a void never replaces a value, durability).
"""

from hemsnet.store.energy import Register, RegisterHistory, interval_energy
from hemsnet.store.model import (
    Appliance,
    ApplianceReading,
    AttributeVersion,
    Fault,
    Gap,
    GapStatus,
    Meter,
    Reading,
    RequestStats,
    Series,
    SeriesSummary,
    Source,
)
from hemsnet.store.store import Store

__all__ = [
    "Appliance",
    "ApplianceReading",
    "AttributeVersion",
    "Fault",
    "Gap",
    "GapStatus",
    "Meter",
    "Reading",
    "Register",
    "RegisterHistory",
    "RequestStats",
    "Series",
    "SeriesSummary",
    "Source",
    "Store",
    "interval_energy",
]
