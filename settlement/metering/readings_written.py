"""Who hears that an upload's readings were written: apps above metering follow it.

Metering sits beneath events in the layers, so it may not call them; instead an app that
needs to act on new readings (events measures the deliveries those readings complete)
registers a follower in its `AppConfig.ready`, and every ingestion path announces what it
wrote. Followers are called once the readings commit (`transaction.on_commit`), never for
readings that were rolled back, and should only queue work (a Celery task), not do it.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction


@dataclass(frozen=True)
class Span:
    """The instants [start, end) of one channel an upload wrote (UTC)."""

    channel_id: int
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Written:
    """What one upload wrote: its id and, per channel, the span of its readings."""

    upload_id: int
    spans: tuple[Span, ...]


Follower = Callable[[Written], None]
_followers: list[Follower] = []


def follow(follower: Follower) -> None:
    """Call `follower` after every upload's readings commit (once, however often asked)."""
    if follower not in _followers:
        _followers.append(follower)


def announce(*, written: Written) -> None:
    """Tell every follower, once the current transaction commits, what `written` holds."""
    if not written.spans:
        return
    followers = list(_followers)
    transaction.on_commit(lambda: _tell(followers, written))


def _tell(followers: list[Follower], written: Written) -> None:
    for follower in followers:
        follower(written)
