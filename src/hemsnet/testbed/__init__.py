"""Virtual networks for tests, benchmarks and the G.9958 testbed: namespaces joined by veth."""
