"""Uplinks: what the controller reads, sent beyond the house (MQTT, Home Assistant)."""
