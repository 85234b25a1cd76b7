"""A fleet of simulated homes, each a meter and a controller in virtual time with its own store
and Route C uplink: the load for the provider (bench/provider.py, make provider-demo)."""
