"""EDT codecs, one module per concern.

Every codec has ``decode``/``encode``/``describe`` (the :class:`~hemsnet.devices.model.Codec`
protocol), raises ``ValueError`` with a reason for bytes or values that do not fit, and knows
its EDT size bounds (``min_size``/``max_size``, :class:`~hemsnet.devices.model.SizedCodec`) so
that a table row can take them from it. Codecs whose decodable values are not all writable
also have ``check_set`` (:class:`~hemsnet.devices.model.SetChecker`).

- :mod:`~hemsnet.devices.codecs.primitives`: numbers, enumerations, code tables, bytes, text;
- :mod:`~hemsnet.devices.codecs.dates`: dates, times and date-times;
- :mod:`~hemsnet.devices.codecs.profile`: the ECHONET profile structures (property maps,
  instance and class lists, installation location, versions, identification numbers,
  operating time);
- :mod:`~hemsnet.devices.codecs.readings`: meter readings, histories and selectors, and the
  codecs the meter classes share.

Import a codec from the module that defines it; this package re-exports nothing.
"""
