"""The physics the two emulators share, without I/O: time and seeds in, powers out.

The customer's load and the sun on a PV array (:mod:`~hemsnet.physics.load`) drive the meter's
registers and the PV appliance alike; both count meter time in whole minutes
(:mod:`~hemsnet.physics.timeline`) and draw their randomness from seeded splitmix64 streams
(:mod:`~hemsnet.physics.draws`), never a clock or :mod:`random`.
"""
