"""Django admin for raw editing of participants, sites, chargers, channels and programs."""

from typing import ClassVar

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

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


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
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
class ParticipantAdmin(admin.ModelAdmin[Participant]):
    list_display = ("name", "email", "kind", "created_at")
    list_filter = ("kind",)
    search_fields = ("name", "email")
    inlines: ClassVar = [MembershipInline, SiteInline]


class ChargerInline(admin.TabularInline[Charger, Site]):
    model = Charger
    extra = 0


class ChannelInline(admin.TabularInline[Channel, Site]):
    model = Channel
    extra = 0


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin[Site]):
    list_display = ("account_number", "participant", "timezone")
    search_fields = ("account_number", "participant__name", "participant__email")
    list_select_related = ("participant",)
    autocomplete_fields = ("participant",)
    inlines: ClassVar = [ChargerInline, ChannelInline]


@admin.register(Charger)
class ChargerAdmin(admin.ModelAdmin[Charger]):
    list_display = ("external_id", "site", "max_discharge_kw")
    search_fields = ("external_id", "site__account_number")
    list_select_related = ("site",)


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin[Channel]):
    list_display = ("meter_id", "kind", "site", "charger")
    list_filter = ("kind",)
    search_fields = ("meter_id", "site__account_number")
    list_select_related = ("site", "charger")


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin[Program]):
    list_display = ("code", "name", "utility", "timezone", "currency")
    search_fields = ("code", "name", "utility")
    filter_horizontal = ("exclusive_with",)


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin[Enrollment]):
    list_display = ("participant", "site", "program", "starts_on", "ends_on", "status")
    list_filter = ("program", "status")
    search_fields = ("participant__email", "site__account_number")
    list_select_related = ("participant", "site", "program")
    autocomplete_fields = ("participant", "site")
