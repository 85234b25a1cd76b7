"""ECHONET Lite wire protocol, without I/O: frames, services, objects, property maps, TIDs."""
