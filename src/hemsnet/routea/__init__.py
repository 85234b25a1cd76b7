"""Route A [G.9958 I.1(1)]: the meter's data through the utility's head-end system and MDMS,
shared with the HEMS provider only with the customer's consent.

:mod:`hemsnet.routea.headend` is the utility's side (collection over the utility network, the
consent registry, the audited sharing API); :mod:`hemsnet.routea.provider_side` is the
provider's (the importer into PostgreSQL and the reconciliation with Route B). See
docs/route-a.md.
"""
