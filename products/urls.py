from django.urls import path

from . import views

app_name = "products"

urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("lines/new/", views.line_create, name="line_create"),
    path("lines/<uuid:code>/edit/", views.line_edit, name="line_edit"),
    path("brands/new/", views.brand_create, name="brand_create"),
    path("brands/<uuid:code>/edit/", views.brand_edit, name="brand_edit"),
    path("skus/new/", views.sku_create, name="sku_create"),
    path("skus/<uuid:code>/edit/", views.sku_edit, name="sku_edit"),
]
