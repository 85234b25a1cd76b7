"""Conformance testing of third-party Route B meters and controllers against the interface
specification, clause by clause, over the engine contract (sans-I/O, time as input).

* :mod:`~hemsnet.conformance.report`: clauses, outcomes with evidence frames, the report.
* :mod:`~hemsnet.conformance.render`: the report as text, JSON and JUnit XML.
* :mod:`~hemsnet.conformance.exchange`: a script of requests driven as an engine, one
  outstanding, the response-wait timers [AIF 2.4.1, 2.4.2].
* :mod:`~hemsnet.conformance.meter_checks`: the checks of a meter, acting as a controller.
* :mod:`~hemsnet.conformance.controller_watch`: the checks of a controller, acting as a meter.
"""
