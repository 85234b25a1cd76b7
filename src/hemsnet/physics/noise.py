"""Smooth value noise over minute indexes, from one splitmix64 stream.

Knot ``k``, every ``knot_minutes`` minutes, is draw ``k`` of the stream; between two knots the
value eases from one to the next with smoothstep, so it drifts without corners. The load's slow
variation (:mod:`hemsnet.physics.load`) and the passing clouds (:mod:`hemsnet.physics.sun`) are
such noise.
"""

from __future__ import annotations

from hemsnet.physics.draws import uniform

__all__ = ["ValueNoise"]


class ValueNoise:
    """Noise in [0, 1) at any minute index, a pure function of (key, knot spacing, index)."""

    __slots__ = ("_easing", "_key", "_knot_minutes")

    def __init__(self, key: int, knot_minutes: int) -> None:
        self._key = key
        self._knot_minutes = knot_minutes
        # Smoothstep weights of the next knot, for each minute between two knots.
        self._easing = tuple(
            3 * t * t - 2 * t * t * t for t in (s / knot_minutes for s in range(knot_minutes))
        )

    def at(self, index: int) -> float:
        """The noise during minute ``index``."""
        knot, step = divmod(index, self._knot_minutes)
        a = uniform(self._key, knot)
        return a + (uniform(self._key, knot + 1) - a) * self._easing[step]
