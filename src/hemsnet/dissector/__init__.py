"""A Wireshark Lua dissector for ECHONET Lite, generated from hemsnet's class tables
(``hemsnet dissector > echonet-lite.lua``); see :mod:`~hemsnet.dissector.generate`."""
