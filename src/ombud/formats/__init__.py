"""How each language writes dates and times on Ombud's pages (FORMAT_MODULE_PATH).

Templates use the format names only: ``DATETIME_FORMAT`` (a moment, with the
year), ``SHORT_DATETIME_FORMAT`` (a moment this year: the weekday helps at an
event), ``DATE_FORMAT``, ``SHORT_DATE_FORMAT`` (weekday and day), ``MONTH_DAY_FORMAT``
and ``TIME_FORMAT``. Times are always shown in the event's time zone.
"""
