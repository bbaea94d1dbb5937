"""Planning pages under ``/plan/`` (namespace ``planning``), one module per concept: the day
plan (``today``), the calendar and planned visits (``calendar``), cycle plans (``plans``),
frequency targets, cycles and limits (``admin``)."""
