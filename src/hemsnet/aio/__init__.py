"""The I/O boundary: asyncio UDP transport and the drivers that pump the sans-I/O engines."""
