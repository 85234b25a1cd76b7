"""The HEMS provider's service (``hemsnet provider``): consumes the homes' Route C batches from
the provider's MQTT broker into PostgreSQL, acknowledges them, and serves the fleet API and
page (docs/provider.md; the contract: docs/route-c.md)."""
