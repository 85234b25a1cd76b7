"""The bidirectional high-voltage smart electric energy meter emulator (class 0x028F).

A sans-I/O engine (:mod:`hemsnet.meter.engine`) with time as an input, its registers
(:mod:`~hemsnet.meter.registers`) stepped by the shared load and PV model (:mod:`hemsnet.physics`),
its configuration and fault plan. The asyncio runner that serves it over UDP is
:mod:`hemsnet.aio.meter`.
"""
