"""The HEMS provider's side of Route A: ``hemsnet route-a import`` and ``reconcile``
(docs/route-a.md). Needs psycopg 3 (``pip install 'hemsnet[provider]'``)."""
