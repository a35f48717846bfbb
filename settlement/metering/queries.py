"""Reads for metering: who may upload where, channel facts for validation, summaries."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from accounts import access
from accounts import queries as account_queries
from accounts.models import Channel, Enrollment, Site, User
from settlement.errors import DomainError, NotFound, PermissionDenied
from settlement.metering import problem_groups
from settlement.metering.formats.base import Flow
from settlement.metering.models import (
    DEFAULT_PRECEDENCE,
    DEFAULT_SITE_MAX_KW,
    Aggregator,
    ProgramMeteringSettings,
    Upload,
    UploadProblem,
)
from settlement.metering.vee import ChannelFacts

SUMMARY_ERRORS = 50


def access_site_for_upload(*, user: User, site_id: int) -> Site:
    """Return the site `user` may upload meter data for.

    Staff may upload for any site; an owner or manager only for their participants' sites.
    Raises NotFound when the site does not exist or is not the user's (its existence is not
    revealed), MayNotAct (403) for a member who may only view.
    """
    if account_queries.is_staff_user(user=user):
        site = Site.objects.filter(pk=site_id).first()
    else:
        site = account_queries.sites_of(user=user).filter(pk=site_id).first()
    if site is None:
        raise NotFound(f"no site {site_id} you can upload meter data for")
    if not account_queries.is_staff_user(user=user):
        access.require_may_act_for(user=user, participant=site.participant)
    return site


class SiteRequired(DomainError):
    """An owner's upload names neither a site nor a meter of theirs.

    403: staff may send this very request (the file's meters then decide); leaving the site
    open is what an owner's role does not allow, not a malformed request.
    """

    code = "site_required"
    http_status = 403

    def __init__(self) -> None:
        reason = "give site_id, or meter_id naming one of your meters"
        super().__init__(reason, details={"site_id": [reason]})


def site_for_upload(*, user: User, site_id: int | None, meter_id: str | None) -> Site | None:
    """Return the site an upload by `user` is for; None when staff leave it open.

    Staff may omit both (the file's meters then decide, at any site). An owner or manager
    gives `site_id`, or only `meter_id` when that meter is at one of their sites. Raises
    SiteRequired when an owner gives neither, NotFound when the site or meter is not theirs,
    MayNotAct (403) for a member who may only view.
    """
    if site_id is not None:
        return access_site_for_upload(user=user, site_id=site_id)
    if account_queries.is_staff_user(user=user):
        return None
    if meter_id is None:
        raise SiteRequired
    channel = account_queries.channels_of(user=user).filter(meter_id=meter_id).first()
    if channel is None:
        raise NotFound(f"no meter {meter_id!r} you can upload meter data for")
    return access_site_for_upload(user=user, site_id=channel.site_id)


def access_aggregator_for_user(*, user: User) -> Aggregator:
    """Return the aggregator `user` posts readings for.

    Raises PermissionDenied when the user belongs to no aggregator, or to several (a token
    must say for whom it writes).
    """
    aggregators = list(Aggregator.objects.filter(users=user).order_by("pk")[:2])
    if len(aggregators) != 1:
        raise PermissionDenied(
            "this endpoint is for aggregator accounts"
            if not aggregators
            else "the account belongs to several aggregators; use one account per aggregator"
        )
    return aggregators[0]


def access_upload(*, user: User, upload_id: int) -> Upload:
    """Return the upload `user` may see: staff any, owners their sites', aggregators theirs.

    Raises NotFound otherwise (whether it exists is not revealed).
    """
    uploads = Upload.objects.filter(pk=upload_id)
    if not account_queries.is_staff_user(user=user):
        own_sites = account_queries.sites_of(user=user).values("pk")
        uploads = uploads.filter(site__in=own_sites) | uploads.filter(aggregator__users=user)
    upload = uploads.distinct().first()
    if upload is None:
        raise NotFound(f"no upload {upload_id}")
    return upload


def upload_problems(*, upload: Upload) -> QuerySet[UploadProblem]:
    """Return the upload's report in file order."""
    return upload.problems.order_by("seq")


def uploads_for_staff() -> QuerySet[Upload]:
    """Return every upload, newest first."""
    return Upload.objects.select_related("site", "sent_by", "aggregator").order_by(
        "-received_at", "-pk"
    )


@dataclass(frozen=True)
class Scope:
    """Which channels an upload may write: any, one site's, or an aggregator's."""

    site_id: int | None = None
    aggregator_id: int | None = None

    def describe(self) -> str:
        """Return words for the scope, for messages."""
        if self.site_id is not None:
            return " at this upload's site"
        if self.aggregator_id is not None:
            return " at the aggregator's participants' sites"
        return ""


def channels_in_scope(*, scope: Scope) -> QuerySet[Channel]:
    """Return the channels an upload with `scope` may write."""
    channels = Channel.objects.all()
    if scope.site_id is not None:
        channels = channels.filter(site_id=scope.site_id)
    if scope.aggregator_id is not None:
        channels = channels.filter(
            site__participant__aggregator_links__aggregator=scope.aggregator_id
        )
    return channels


@dataclass(frozen=True)
class SiteFacts:
    """What validation needs about a site: enrollments, estimation limit, bound, source ranks."""

    # Half-open [start, end) UTC windows of the site's enrollments (end None: open).
    enrolled: tuple[tuple[dt.datetime, dt.datetime | None], ...]
    interpolate_up_to_s: int
    # The revenue meter's bound: the site's service capacity, else its programs' default.
    max_kw: Decimal
    # Sources, most trusted first.
    precedence: tuple[str, ...]


def site_facts(*, site: Site) -> SiteFacts:
    """Return a site's enrollment windows in UTC, estimation limit, bound and source ranks."""
    enrollments = list(Enrollment.objects.filter(site_id=site.pk))
    zone = ZoneInfo(site.timezone)
    windows = tuple(
        (_utc_midnight(e.starts_on, zone), _utc_midnight(e.ends_on, zone) if e.ends_on else None)
        for e in enrollments
    )
    program_settings = list(
        ProgramMeteringSettings.objects.filter(
            program_id__in=[e.program_id for e in enrollments]
        ).order_by("program_id")
    )
    by_program = {s.program_id: s.interpolate_gaps_up_to_minutes for s in program_settings}
    # Every program the site is in must allow the estimate: the most careful one decides.
    minutes = min((by_program.get(e.program_id, 0) for e in enrollments), default=0)
    max_kw = site.max_kw or min(
        (s.site_max_kw for s in program_settings), default=DEFAULT_SITE_MAX_KW
    )
    orders = {tuple(s.source_precedence) for s in program_settings}
    # Programs that rank sources differently leave no one order to apply: use the default.
    precedence = orders.pop() if len(orders) == 1 else tuple(map(str, DEFAULT_PRECEDENCE))
    return SiteFacts(
        enrolled=windows,
        interpolate_up_to_s=minutes * 60,
        max_kw=Decimal(max_kw),
        precedence=precedence,
    )


def outranking(*, precedence: tuple[str, ...], source: str) -> tuple[str, ...]:
    """Return the sources ranked above `source` in `precedence` (most trusted first)."""
    return precedence[: precedence.index(source)] if source in precedence else precedence


class ChannelDirectory:
    """Resolve (meter, flow) to what validation needs: one query for every channel in scope.

    One directory serves one file: a file of a thousand meters costs one channel query and
    one query per site, not a query per meter.
    """

    def __init__(self, *, scope: Scope, source: str) -> None:
        self._scope = scope
        # The upload's source: which stored values outrank it. Set before the first lookup.
        self.source = source
        self._sites: dict[int, SiteFacts] = {}
        self._channels: dict[tuple[str, str], list[Channel]] | None = None
        self.outranked: dict[int, tuple[str, ...]] = {}

    def facts(self, meter_id: str, flow: Flow) -> ChannelFacts | str:
        """Return the facts of the channel of (meter, flow), or why there is none."""
        if self._channels is None:
            self._channels = {}
            for channel in channels_in_scope(scope=self._scope).select_related("site", "charger"):
                self._channels.setdefault((channel.meter_id, channel.kind), []).append(channel)
        candidates = [
            *self._channels.get((meter_id, f"SITE_{flow}"), []),
            *self._channels.get((meter_id, f"EVSE_{flow}"), []),
        ]
        direction = str(flow).lower()
        if not candidates:
            return f"no {direction} channel for meter {meter_id[:64]!r}{self._scope.describe()}"
        if len(candidates) > 1:
            return f"meter {meter_id!r} has both a site and a charger {direction} channel"
        channel = candidates[0]
        site = self._sites.get(channel.site_id)
        if site is None:
            site = self._sites[channel.site_id] = site_facts(site=channel.site)
        stronger = outranking(precedence=site.precedence, source=self.source)
        if stronger:
            self.outranked[channel.pk] = stronger
        return ChannelFacts(
            channel_id=channel.pk,
            meter_id=channel.meter_id,
            kind=channel.kind,
            max_kw=channel.charger.max_discharge_kw if channel.charger else site.max_kw,
            enrolled=site.enrolled,
            interpolate_up_to_s=site.interpolate_up_to_s,
            zone=ZoneInfo(channel.site.timezone),
        )


def meter_timezone(*, meter_id: str, scope: Scope) -> str | None:
    """Return the IANA zone of the site of a meter in scope, or None if it is not known."""
    channel = channels_in_scope(scope=scope).filter(meter_id=meter_id).select_related("site")
    first = channel.order_by("pk").first()
    return first.site.timezone if first else None


def channel_names(*, channel_ids: list[int]) -> dict[int, tuple[str, str]]:
    """Return (meter id, kind) of each channel id."""
    return {
        pk: (meter_id, kind)
        for pk, meter_id, kind in Channel.objects.filter(pk__in=channel_ids).values_list(
            "pk", "meter_id", "kind"
        )
    }


def channels_with_zones(*, upload: Upload) -> list[dict[str, object]]:
    """Return the upload's channel tallies, each with `zone`: its site's IANA zone.

    One query whatever the number of channels; an upload sent for no site (staff may leave
    it out) still shows each channel's times in the zone its own site keeps.
    """
    listed = list(upload.channels or [])
    pairs = {(str(channel["meter_id"]), str(channel["channel"])) for channel in listed}
    zones = {
        (meter_id, kind): zone
        for meter_id, kind, zone in Channel.objects.filter(
            meter_id__in={meter_id for meter_id, _ in pairs}
        ).values_list("meter_id", "kind", "site__timezone")
    }
    fallback = upload.site.timezone if upload.site_id and upload.site else "UTC"
    return [
        {**channel, "zone": zones.get((channel["meter_id"], channel["channel"]), fallback)}
        for channel in listed
    ]


def summary(*, upload: Upload, duplicate_upload: bool = False) -> dict[str, object]:
    """Return the JSON summary of an upload (the command's output and the API's body)."""
    errors = [
        {"kind": p.kind, "location": p.location, "field": p.field, "reason": p.reason}
        for p in upload_problems(upload=upload).exclude(kind=UploadProblem.Kind.GAP)[
            :SUMMARY_ERRORS
        ]
    ]
    return {
        "upload_id": upload.pk,
        "format": upload.format or upload.requested_format,
        "status": upload.status,
        "duplicate_upload": duplicate_upload,
        "accepted": upload.accepted,
        "duplicates": upload.duplicates,
        "revised": upload.revised,
        "rejected": upload.rejected,
        "estimated": upload.estimated,
        "gaps": upload.gaps,
        "rejection": (
            {"code": upload.rejection_code, "reason": upload.rejection_reason}
            if upload.status in (Upload.Status.REJECTED, Upload.Status.FAILED)
            else None
        ),
        "errors": errors,
        # Every problem, gaps too, grouped by kind, field and reason, counting rows (the
        # CSV has each problem).
        "problem_groups": [
            group.as_dict()
            for group in problem_groups.group_problems(
                upload_problems(upload=upload)
                .values_list("kind", "location", "field", "reason", "interval_start")
                .iterator()
            )
        ],
        "channels": upload.channels,
        "progress": {"rows_done": upload.rows_done, "rows_total": upload.rows_total},
        "sha256": upload.sha256,
        "size_bytes": upload.size_bytes,
    }


def _utc_midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    """Return the UTC instant of local midnight starting `day` in `zone`."""
    return dt.datetime.combine(day, dt.time(0), tzinfo=zone).astimezone(dt.UTC)
