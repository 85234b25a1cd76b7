"""HEMS-managed appliance emulators (G.9958 HEMS network), without I/O.

:class:`~hemsnet.appliances.engine.ApplianceEngine` is a node with one device object per
:class:`~hemsnet.appliances.base.Appliance`; each appliance module models one class's
behaviour over time (see ``docs/appliances.md``).
"""
