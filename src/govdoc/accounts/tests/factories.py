from __future__ import annotations

import datetime as dt

import factory

from govdoc.accounts.constants import Role
from govdoc.accounts.models import Agency, Membership, Person, Unit


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"agency{n}")
    name = factory.LazyAttribute(lambda o: f"Agencija {o.code}")


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    agency = factory.SubFactory(AgencyFactory)
    code = factory.Sequence(lambda n: f"unit{n}")
    name = factory.LazyAttribute(lambda o: f"Jedinica {o.code}")


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"person{n}")
    first_name = "Ana"
    last_name = factory.Sequence(lambda n: f"Petrović{n}")
    password = factory.django.Password("correct-horse-battery")


def grant(person: Person, unit: Unit, role: Role, position: str = "") -> Membership:
    return Membership.objects.create(
        person=person, unit=unit, role=role, position=position, valid_from=dt.date(2020, 1, 1)
    )
