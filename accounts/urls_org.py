"""The organisation pages (namespace ``org``). Nodes and positions by their UUID code."""

from django.urls import path

from .views import org

urlpatterns = [
    path("", org.tree, name="tree"),
    path("settings/", org.settings, name="settings"),
    path("nodes/new/", org.root_create, name="root_create"),
    path("nodes/<uuid:code>/", org.node_detail, name="node_detail"),
    path("nodes/<uuid:code>/children/", org.node_create, name="node_create"),
    path("nodes/<uuid:code>/rename/", org.node_rename, name="node_rename"),
    path("nodes/<uuid:code>/move/", org.node_move, name="node_move"),
    path("nodes/<uuid:code>/retire/", org.node_retire, name="node_retire"),
    path("nodes/<uuid:code>/positions/", org.position_assign, name="position_assign"),
    path("positions/<uuid:code>/end/", org.position_end, name="position_end"),
]
