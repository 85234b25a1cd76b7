"""Hypothesis profiles for the property suite.

``HYPOTHESIS_PROFILE`` picks one: ``dev`` (the default), ``ci`` (same budget, no example
database, failures print a reproduction blob) or ``thorough`` (a long local run before a
release). Tests that set ``max_examples`` themselves do so because their examples are costly.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=500, deadline=None)
settings.register_profile("ci", max_examples=500, deadline=None, database=None, print_blob=True)
settings.register_profile(
    "thorough",
    max_examples=20_000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))
