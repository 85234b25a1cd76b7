"""ECHONET device class tables and value codecs, without I/O."""
