"""The Route B controller for a bidirectional high-voltage smart meter (0x028F), sans I/O.

:class:`ControllerEngine` runs the standard operation of the interface specification's
chapter 3 in controller time; :mod:`hemsnet.aio.controller` serves it over UDP and writes its
events to the store (:mod:`hemsnet.aio.recorder`).
"""

from hemsnet.controller.config import ControllerConfig, load_config, parse_config
from hemsnet.controller.coverage import Held
from hemsnet.controller.engine import ControllerEngine, ControllerStatus

__all__ = [
    "ControllerConfig",
    "ControllerEngine",
    "ControllerStatus",
    "Held",
    "load_config",
    "parse_config",
]
