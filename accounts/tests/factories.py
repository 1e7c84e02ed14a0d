"""factory-boy factories for portal users."""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from accounts.models import User


class UserFactory(DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.ru")
    esia_oid = factory.Sequence(lambda n: str(1_000_500_000 + n))
    password = factory.django.Password(None)
