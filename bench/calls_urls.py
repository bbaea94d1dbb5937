"""Bench-only URLconf (``bench.calls_settings``): every URL of the product, plus the two bare
baselines of ``bench/calls.py``, served by the same gunicorn, settings and middleware:

* ``/bench/fortunes/`` — a Django "fortunes" view (TechEmpower style): one query (all rows
  of ``bench_fortune``), one row added in Python, sorted, one template rendered;
* ``/bench/insert/`` — a POST that inserts one row into ``bench_insert`` in one transaction
  and redirects (as the call form does after a submit).

The tables are made (and dropped) by the bench as the owner role; they carry no tenant and
no row security. Nothing here is imported by the product.
"""

from __future__ import annotations

import uuid

from django.db import connection, transaction
from django.http import HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template import engines
from django.urls import path

from sfe.urls import urlpatterns as product_urlpatterns

FORTUNES_TEMPLATE = engines["django"].from_string(
    "<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table>"
    "<tr><th>id</th><th>message</th></tr>"
    "{% for id, message in fortunes %}<tr><td>{{ id }}</td><td>{{ message }}</td></tr>{% endfor %}"
    "</table></body></html>")


def fortunes(request):
    with connection.cursor() as cur:
        cur.execute("SELECT id, message FROM bench_fortune")
        rows = cur.fetchall()
    rows.append((0, "Additional fortune added at request time."))
    rows.sort(key=lambda row: row[1])
    return HttpResponse(FORTUNES_TEMPLATE.render({"fortunes": rows}))


def insert_one(request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    # One transaction: the signed-in request's own (the tenant middleware's), or a new one.
    with transaction.atomic(savepoint=False), connection.cursor() as cur:
        cur.execute("INSERT INTO bench_insert (code, at, body) VALUES (%s, now(), %s)",
                    [uuid.uuid4(), request.POST.get("notes", "")[:200]])
    return HttpResponseRedirect("/bench/fortunes/")


urlpatterns = [
    path("bench/fortunes/", fortunes, name="bench_fortunes"),
    path("bench/insert/", insert_one, name="bench_insert"),
    *product_urlpatterns,
]
