"""Call pages under ``/calls/`` (namespace ``calls``), one module per concept: the list and a
call's page (``calls``), the call form — new, edit, HCP search (``form``), follow-up tasks
(``tasks``) and the admin's settings and key messages (``admin``).

Every member reads the calls they see (``visibility.call_visible_q``: own, co-visited,
their territories'; tenant-wide roles all); reps and managers log calls and change only
their own; admins set the settings and key messages. Another tenant's code is 404.
"""
