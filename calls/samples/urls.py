"""Pages of calls.samples under ``/samples/`` (namespace ``samples``).

The call's page links to ``samples:give`` with ``code=<call code>``.
"""

from django.urls import path

from .views import give, inventory, orders, reconcile, stock

app_name = "samples"

urlpatterns = [
    path("", inventory.inventory, name="inventory"),
    path("ledger/", inventory.ledger, name="ledger"),
    path("calls/<uuid:code>/give/", give.give, name="give"),
    path("orders/", orders.order_list, name="order_list"),
    path("orders/new/", orders.order_new, name="order_new"),
    path("orders/<uuid:code>/", orders.order_detail, name="order_detail"),
    path("orders/<uuid:code>/receive/", orders.order_receive, name="order_receive"),
    path("reconcile/", reconcile.reconcile, name="reconcile"),
    path("receive/", stock.receive, name="receive"),
    path("stock/<uuid:rep_code>/<uuid:lot_code>/adjust/", stock.adjust, name="adjust"),
]
