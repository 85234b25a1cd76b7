"""Seeded randomness without hidden state: splitmix64 streams.

Output ``n`` of stream ``key`` is a pure function of both, so any draw can be made again
(the load model computes any minute on its own) and a seed gives the same run every time.
:class:`Draws` walks one stream, for the meter's fault decisions and the controller's retry
jitter.
"""

from __future__ import annotations

from typing import Final

__all__ = ["MASK", "Draws", "mix", "uniform"]

MASK: Final = (1 << 64) - 1
_GOLDEN: Final = 0x9E3779B97F4A7C15
_TO_UNIT: Final = 2.0**-53


def mix(key: int, n: int) -> int:
    """Output number ``n`` of the splitmix64 stream ``key``: 64 well-mixed bits."""
    z = (key + n * _GOLDEN) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def uniform(key: int, n: int) -> float:
    """Output number ``n`` of the splitmix64 stream ``key``, as a float in [0, 1)."""
    return (mix(key, n) >> 11) * _TO_UNIT


class Draws:
    """Successive draws from one stream."""

    def __init__(self, key: int) -> None:
        self._key = key & MASK
        self._n = 0

    def random(self) -> float:
        """A float in [0, 1)."""
        self._n += 1
        return uniform(self._key, self._n)

    def below(self, limit: int) -> int:
        """An integer in [0, limit)."""
        return int(self.random() * limit)

    def between(self, low: float, high: float) -> float:
        """A float in [low, high]."""
        return low + (high - low) * self.random()
