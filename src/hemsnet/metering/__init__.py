"""The vocabulary of meter readings, sans I/O: series and their grids, how a reading came,
gaps, billing months, and the one reading of a meter's attributes into scales.

The controller engine makes readings of it, the store keeps them, the dashboard and the
exports read them back; none of them has a copy of its own.
"""
