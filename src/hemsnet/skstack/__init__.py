"""Route B over a Wi-SUN dongle that speaks the SKSTACK IP text command set, sans I/O.

G.9958 names IEEE 802.15.4g / Wi-SUN (TTC JJ-300.10) as a Route B medium [G.9958 Figure I.2];
the interface specification leaves the medium's connection processing out of its scope
[AIF 1]. A SKSTACK IP dongle (ROHM BP35A1/BP35C0/BP35C2, Tessera RL7023 Stick-D/IPS and
Stick-D/DSS) carries the IPv6/UDP stack itself and is driven over a serial port:

* :mod:`hemsnet.skstack.protocol`: the command set's lines, events, error codes and the
  reader that splits the dongle's byte stream into them;
* :mod:`hemsnet.skstack.stream`: the contract of an engine over a byte stream;
* :mod:`hemsnet.skstack.driver`: the host side, which scans, authenticates (PANA), sends and
  receives ECHONET Lite datagrams;
* :mod:`hemsnet.skstack.emulator`: the dongle side, joined over the air to a meter engine.

See docs/skstack.md.
"""
