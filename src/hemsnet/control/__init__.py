"""Energy management, sans I/O: the half-hour forecast and demand control.

(docs/energy-management.md)
The controller keeps the 30-minute demand of a high-voltage customer under a target by
commanding the HEMS-managed appliances it reads [G.9958 3.2.1, 6.3-6.4]. This package decides;
:mod:`hemsnet.aio.demand_service` carries its commands over the appliance monitors.
"""
