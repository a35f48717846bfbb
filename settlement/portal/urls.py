"""Routes of the owner portal."""

from django.urls import path

from settlement.portal import offers, views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("offers/", offers.offers, name="offers"),
    path("offers/<int:offer_id>/accept/", offers.accept, name="offer-accept"),
    path("offers/<int:offer_id>/decline/", offers.decline, name="offer-decline"),
]
