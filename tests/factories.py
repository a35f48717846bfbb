"""factory_boy factories for the domain models."""

import datetime as dt
from decimal import Decimal
from typing import Any

import factory
from django.utils.timezone import now

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

TEST_PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name")
    date_joined = factory.LazyFunction(now)

    @factory.post_generation
    def password(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        self.set_password(extracted or TEST_PASSWORD)
        if create:
            self.save(update_fields=["password"])


class ParticipantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Participant

    kind = Participant.Kind.INDIVIDUAL
    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"participant{n}@example.com")
    created_at = factory.LazyFunction(now)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    participant = factory.SubFactory(ParticipantFactory)
    role = Membership.Role.OWNER


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program

    code = factory.Sequence(lambda n: f"program-{n}")
    name = factory.Sequence(lambda n: f"Program {n}")
    utility = "Pacific Test Electric"
    timezone = "America/Los_Angeles"
    created_at = factory.LazyFunction(now)


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    participant = factory.SubFactory(ParticipantFactory)
    account_number = factory.Sequence(lambda n: f"ACCT-{n:06d}")
    timezone = "America/Los_Angeles"
    created_at = factory.LazyFunction(now)


class ChargerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Charger

    site = factory.SubFactory(SiteFactory)
    external_id = factory.Sequence(lambda n: f"CP-{n:04d}")
    max_discharge_kw = Decimal("11.5")
    created_at = factory.LazyFunction(now)


class ChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Channel

    site = factory.SubFactory(SiteFactory)
    meter_id = factory.Sequence(lambda n: f"M-{n:06d}")
    kind = Channel.Kind.SITE_EXPORT
    charger = None
    created_at = factory.LazyFunction(now)


class EnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrollment

    site = factory.SubFactory(SiteFactory)
    participant = factory.SelfAttribute("site.participant")
    program = factory.SubFactory(ProgramFactory)
    starts_on = dt.date(2025, 1, 1)
    created_at = factory.LazyFunction(now)
