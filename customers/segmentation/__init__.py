"""Segmentation (issue 7; R6, R8, R9): value tiers per product line, target lists, and the
nightly re-classification of channel customers and distributors.

A Django app inside the customers package (label ``segmentation``): it depends on the
customer master and the catalogue, never the reverse; calls, sales, events and expenses
feed it through the measures registry (``measures.register_measure`` in their
``AppConfig.ready()``), so it imports none of them.

Map of the package:

* ``measures`` — the registry of measures (``(customer_id, value)`` SQL per kind) and the
  built-in attribute measures (``measures_builtin``);
* ``definition`` — the rule definition (matrix or score) and its pure-Python validator;
* ``sql`` — the set-based SQL that bands and tiers a whole population in one statement;
* ``models`` — settings, rules, current tiers (with pins), tier history, runs, target lists;
* ``services`` — rule save, recompute and runs (locks, progress), preview, pins, channel
  classification (notifications), target lists, settings;
* ``selectors`` — the reads pages and the API use; ``tasks`` — Celery entry points and the
  nightly fan-out; ``api`` / ``api_urls`` — ``/api/v1/segmentation/``; ``demo`` — the demo step.
"""
