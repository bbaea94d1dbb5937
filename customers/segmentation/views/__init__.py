"""Segmentation pages under ``/segmentation/`` (namespace ``segmentation``), one module per
concept: rules and settings (``rules``), runs (``runs``), pins (``pins``), target lists
(``lists``). Analysts and admins manage rules, runs and pins; every member reads target
lists (members filtered by what they see); analysts, admins and managers create them (a
manager changes only their own)."""
