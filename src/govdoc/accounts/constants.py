from django.db import models
from django.utils.functional import Promise as StrPromise
from django.utils.translation import pgettext_lazy


class Role(models.TextChoices):
    CITIZEN = "citizen", "Citizen"
    HANDLER = "handler", "Handler"
    HEAD_OF_UNIT = "head_of_unit", "Head of unit"
    HEAD_OF_AGENCY = "head_of_agency", "Head of agency"
    REGISTRY_CLERK = "registry_clerk", "Registry clerk"
    ARCHIVIST = "archivist", "Archivist"
    ADMINISTRATOR = "administrator", "Administrator"
    # An agency's own system (a counter application, a register) acting through the API only.
    SYSTEM = "system", "Agency system"


# Roles people hold inside an agency (through a membership of one of its units).
OFFICIAL_ROLES = frozenset(Role) - {Role.CITIZEN, Role.SYSTEM}

# A role as it reads inside a sentence ("... held by a head of unit of the agency"), in the
# reader's language: approval policies and procedures say who may act in these words.
_ROLE_IN_SENTENCE: dict[str, StrPromise] = {
    Role.HANDLER: pgettext_lazy("role in a sentence", "handler"),
    Role.HEAD_OF_UNIT: pgettext_lazy("role in a sentence", "head of unit"),
    Role.HEAD_OF_AGENCY: pgettext_lazy("role in a sentence", "head of agency"),
    Role.REGISTRY_CLERK: pgettext_lazy("role in a sentence", "registry clerk"),
    Role.ARCHIVIST: pgettext_lazy("role in a sentence", "archivist"),
    Role.ADMINISTRATOR: pgettext_lazy("role in a sentence", "administrator"),
}


def role_in_sentence(role: object) -> str:
    """'head_of_unit' → 'head of unit' in the reader's language (a code it does not know, as
    given)."""
    return str(_ROLE_IN_SENTENCE.get(str(role), str(role)))


class AccountKind(models.TextChoices):
    """A person logs in to pages; a system account calls the API with a token and nothing else."""

    PERSON = "person", "Person"
    SYSTEM = "system", "Agency system"


# A token scope that lets a system account issue one service's document directly.
SCOPE_ISSUE = "issue:"
# An IT security officer's rule: every token expires, at the latest a year and a day after issue.
TOKEN_MAX_DAYS = 366


class Script(models.TextChoices):
    LATIN = "sr-latn", "Latinica"
    CYRILLIC = "sr-cyrl", "Ћирилица"
    ENGLISH = "en", "English"


# Django's language code for each script (Django's ``sr`` catalogue is Cyrillic): pages follow
# the script of the request, e-mails the script of the person they go to.
DJANGO_LANGUAGE = {Script.LATIN: "sr-latn", Script.CYRILLIC: "sr", Script.ENGLISH: "en"}
