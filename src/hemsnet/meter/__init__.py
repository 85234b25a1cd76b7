"""The bidirectional high-voltage smart electric energy meter emulator (class 0x028F).

A sans-I/O engine (:mod:`hemsnet.meter.engine`) with time as an input, the physics behind its
registers (:mod:`~hemsnet.meter.load`, :mod:`~hemsnet.meter.registers`), its configuration and
and fault plan. The asyncio runner that serves it over UDP is :mod:`hemsnet.aio.meter`.
"""
