"""The physics the two emulators share, without I/O: time and seeds in, powers out.

The customer's load (:mod:`~hemsnet.physics.load`) drives the meter's registers; the sun on a
PV system (:mod:`~hemsnet.physics.sun`) drives the meter's on-site PV and the PV appliance
alike. They count meter time in whole minutes (:mod:`~hemsnet.physics.timeline`) and draw their
randomness from seeded splitmix64 streams (:mod:`~hemsnet.physics.draws`,
:mod:`~hemsnet.physics.noise`), never a clock or :mod:`random`; the other appliances draw from
those streams too.
"""
