"""The ``hemsnet`` command line."""
