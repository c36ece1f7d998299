from django.db import models


class Role(models.TextChoices):
    CITIZEN = "citizen", "Citizen"
    HANDLER = "handler", "Handler"
    HEAD_OF_UNIT = "head_of_unit", "Head of unit"
    HEAD_OF_AGENCY = "head_of_agency", "Head of agency"
    REGISTRY_CLERK = "registry_clerk", "Registry clerk"
    ARCHIVIST = "archivist", "Archivist"
    ADMINISTRATOR = "administrator", "Administrator"


# Roles held inside an agency (through a membership of one of its units).
OFFICIAL_ROLES = frozenset(Role) - {Role.CITIZEN}


class Script(models.TextChoices):
    LATIN = "sr-latn", "Latinica"
    CYRILLIC = "sr-cyrl", "Ћирилица"
    ENGLISH = "en", "English"
