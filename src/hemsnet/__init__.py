"""hemsnet: ECHONET Lite over IPv6 for home and building energy management."""

__version__ = "0.1.0"
