"""The OpenADR staff pages, under /staff/openadr/."""

from django.urls import path

from settlement.openadr import staff

app_name = "openadr-staff"

urlpatterns = [path("clients/", staff.clients, name="clients")]
