"""Django admin for raw editing of participants, sites, chargers, channels and programs."""

from typing import Any, ClassVar

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError

from accounts import rules
from accounts.admin_stamps import StampedAdmin
from accounts.models import (
    Channel,
    Charger,
    Enrollment,
    Membership,
    Participant,
    Program,
    Site,
    User,
)


def _refuse(broken: rules.RuleBroken, form_fields: object) -> ValidationError:
    # The error goes on the field at fault when the form shows it, else on the whole form.
    name = broken.field_name if broken.field_name in form_fields else None  # type: ignore[operator]
    return ValidationError({name: broken.reason} if name else broken.reason)


class ChannelForm(forms.ModelForm[Channel]):
    """The rules the enrollment import applies to a channel, applied to admin edits too."""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        site = data.get("site") or getattr(self.instance, "site", None)
        if site is None or site.pk is None or not data.get("meter_id") or not data.get("kind"):
            return data  # field errors are already reported
        try:
            rules.check_channel(
                site=site,
                meter_id=data["meter_id"],
                kind=data["kind"],
                charger=data.get("charger"),
                channel_id=self.instance.pk,
            )
        except rules.RuleBroken as broken:
            raise _refuse(broken, self.fields) from None
        return data


class SiteForm(forms.ModelForm[Site]):
    def clean_timezone(self) -> str:
        timezone = self.cleaned_data["timezone"]
        try:
            rules.check_site_timezone(site=self.instance, timezone=timezone)
        except rules.RuleBroken as broken:
            raise ValidationError(broken.reason) from None
        return timezone


class ProgramForm(forms.ModelForm[Program]):
    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not all(data.get(name) for name in ("code", "timezone", "currency")):
            return data
        try:
            rules.check_program(
                code=data["code"], timezone=data["timezone"], currency=data["currency"]
            )
        except rules.RuleBroken as broken:
            raise _refuse(broken, self.fields) from None
        return data


class EnrollmentForm(forms.ModelForm[Enrollment]):
    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not all(data.get(name) for name in ("participant", "site", "program", "starts_on")):
            return data
        try:
            rules.check_enrollment(
                participant=data["participant"],
                site=data["site"],
                program=data["program"],
                starts_on=data["starts_on"],
                ends_on=data.get("ends_on"),
                enrollment_id=self.instance.pk,
            )
        except rules.RuleBroken as broken:
            raise _refuse(broken, self.fields) from None
        return data


@admin.register(User)
class UserAdmin(StampedAdmin, DjangoUserAdmin):
    """Users sign in with their email; there is no username."""

    ordering = ("email",)
    list_display = ("email", "full_name", "is_staff", "is_active")
    search_fields = ("email", "full_name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("full_name",)}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


class MembershipInline(admin.TabularInline[Membership, Participant]):
    model = Membership
    extra = 0
    autocomplete_fields = ("user",)


class SiteInline(admin.TabularInline[Site, Participant]):
    model = Site
    extra = 0
    show_change_link = True


@admin.register(Participant)
class ParticipantAdmin(StampedAdmin):
    list_display = ("name", "email", "kind", "created_at")
    list_filter = ("kind",)
    search_fields = ("name", "email")
    inlines: ClassVar = [MembershipInline, SiteInline]


class ChargerInline(admin.TabularInline[Charger, Site]):
    model = Charger
    extra = 0


class ChannelInline(admin.TabularInline[Channel, Site]):
    model = Channel
    form = ChannelForm
    extra = 0


@admin.register(Site)
class SiteAdmin(StampedAdmin):
    form = SiteForm
    list_display = ("account_number", "participant", "timezone")
    search_fields = ("account_number", "participant__name", "participant__email")
    list_select_related = ("participant",)
    autocomplete_fields = ("participant",)
    inlines: ClassVar = [ChargerInline, ChannelInline]


@admin.register(Charger)
class ChargerAdmin(StampedAdmin):
    list_display = ("external_id", "site", "max_discharge_kw")
    search_fields = ("external_id", "site__account_number")
    list_select_related = ("site",)


@admin.register(Channel)
class ChannelAdmin(StampedAdmin):
    form = ChannelForm
    list_display = ("meter_id", "kind", "site", "charger")
    list_filter = ("kind",)
    search_fields = ("meter_id", "site__account_number")
    list_select_related = ("site", "charger")


@admin.register(Program)
class ProgramAdmin(StampedAdmin):
    form = ProgramForm
    list_display = ("code", "name", "utility", "timezone", "currency")
    search_fields = ("code", "name", "utility")
    filter_horizontal = ("exclusive_with",)


@admin.register(Enrollment)
class EnrollmentAdmin(StampedAdmin):
    form = EnrollmentForm
    list_display = ("participant", "site", "program", "starts_on", "ends_on", "status")
    list_filter = ("program", "status")
    search_fields = ("participant__email", "site__account_number")
    list_select_related = ("participant", "site", "program")
    autocomplete_fields = ("participant", "site")
