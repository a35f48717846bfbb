"""The admin is an interface: it reads the clock for the rows it creates, as every other one."""

from typing import Any

from django.contrib import admin
from django.db import models
from django.forms import BaseModelForm, BaseModelFormSet
from django.http import HttpRequest
from django.utils import timezone


def _stamp(instance: models.Model) -> None:
    # `created_at` (or a user's `date_joined`) has no database default: the caller says when.
    field = "date_joined" if hasattr(instance, "date_joined") else "created_at"
    if instance.pk is None and getattr(instance, field, None) is None:
        setattr(instance, field, timezone.now())


class StampedAdmin(admin.ModelAdmin):
    """A model admin that stamps rows created on its page and in its inlines."""

    def save_model(
        self, request: HttpRequest, obj: Any, form: BaseModelForm[Any], change: bool
    ) -> None:
        _stamp(obj)
        super().save_model(request, obj, form, change)

    def save_formset(
        self,
        request: HttpRequest,
        form: BaseModelForm[Any],
        formset: BaseModelFormSet[Any, Any],
        change: bool,
    ) -> None:
        instances = formset.save(commit=False)
        for instance in instances:
            _stamp(instance)
            instance.save()
        for deleted in formset.deleted_objects:
            deleted.delete()
        formset.save_m2m()
