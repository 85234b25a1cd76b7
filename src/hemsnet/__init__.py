"""hemsnet: ECHONET Lite over IPv6 for home and building energy management.

``from hemsnet import SmartMeter`` is the library's entry point for reading a smart meter
(:mod:`hemsnet.aio.smart_meter`); it is imported on first use, so that the sans-I/O core,
which lives in this package too, never loads asyncio through it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # for type checkers only: at run time it is loaded on first use
    from hemsnet.aio.smart_meter import SmartMeter

__version__ = "0.1.0"
__all__ = ["SmartMeter", "__version__"]


def __getattr__(name: str) -> Any:
    if name == "SmartMeter":
        from hemsnet.aio.smart_meter import SmartMeter

        return SmartMeter
    raise AttributeError(f"module 'hemsnet' has no attribute {name!r}")
