"""``python -m hemsnet``: the same as the ``hemsnet`` command."""

from hemsnet.cli.main import main

raise SystemExit(main())
