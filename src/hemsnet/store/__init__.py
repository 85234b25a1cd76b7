"""The controller's storage: readings, attributes, gaps, faults and counters in SQLite.

``Store.open(path)`` creates or opens the database; see docs/storage.md for the schema and the
rules (last arrival wins [AIF 2.5.1], a void never replaces a value, durability). The rows are
in :mod:`hemsnet.store.model`, the vocabulary they are made of in :mod:`hemsnet.metering`.
"""

from hemsnet.store.store import Store

__all__ = ["Store"]
