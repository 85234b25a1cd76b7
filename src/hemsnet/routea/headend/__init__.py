"""The utility's head-end system / MDMS emulator: ``hemsnet headend`` (docs/route-a.md)."""
