"""Demo services for the embedded default: three real-looking Serbian services (idempotent).

Agencies are taken by code (``mup``, ``beograd``, ``pravda``, created by ``cli/demo_data``); each
service is handled by the agency's first unit. Texts are in Serbian Latin, Cyrillic and English;
the Cyrillic is transliterated from the Latin.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from govdoc.accounts.models import Agency, Person
from govdoc.applications.models import Service
from govdoc.applications.services.catalogue import service_create
from govdoc.applications.specs import ApprovalPolicy, AttachmentRule, DefaultLineStep
from govdoc.core.transliteration import to_cyrillic
from govdoc.documents import content_types

SCAN = [content_types.PDF, content_types.JPEG, content_types.PNG]
FIVE_MB = 5 * 1024 * 1024


def _rule(key: str, label: str, label_en: str, *, required: bool, max_bytes: int = FIVE_MB) -> AttachmentRule:
    return AttachmentRule(
        key=key,
        label=label,
        label_cyrl=to_cyrillic(label),
        label_en=label_en,
        allowed=list(SCAN),
        max_bytes=max_bytes,
        required=required,
    )


_ID_CARD = _rule("licna_karta", "Skenirana lična karta", "Scanned identity card", required=True)

# ``x-govdoc-prefill``: the form starts with this from the applicant's profile (they may change it).
_NAME: dict[str, Any] = {
    "type": "string",
    "title": "Ime i prezime",
    "x-govdoc-title-en": "Full name",
    "minLength": 3,
    "maxLength": 100,
    "x-govdoc-prefill": "full_name",
}
_JMBG: dict[str, Any] = {
    "type": "string",
    "x-govdoc-prefill": "national_id",
    "title": "JMBG",
    "x-govdoc-title-en": "JMBG",
    "description": "Jedinstveni matični broj građana: 13 cifara",
    "x-govdoc-description-en": "Unique master citizen number: 13 digits",
    "pattern": r"^\d{13}$",
}
_ADDRESS: dict[str, Any] = {
    "type": "string",
    "title": "Adresa prebivališta",
    "x-govdoc-title-en": "Address of residence",
    "minLength": 5,
    "maxLength": 200,
}
_PURPOSE: dict[str, Any] = {
    "type": "string",
    "title": "Svrha izdavanja",
    "x-govdoc-title-en": "Purpose",
    "minLength": 3,
    "maxLength": 200,
    "examples": ["radi zaposlenja", "radi ostvarivanja prava na dečiji dodatak"],
}


def _template(body: str) -> str:
    """A body in Typst markup (docs/adr/0008): issuance's renderer puts it on its page (header,
    footer, seal block) for the issued document and for the draft sent to approval. The issued
    document shows its registry number, the draft the receipt number (``registry_number`` in
    both); dates arrive as a citizen reads them ("28. maja 2027.")."""
    return (
        '#set text(font: "DejaVu Serif")\n'
        "#set par(leading: 0.8em)\n"
        '#text(9pt, fill: rgb("#444"))[Republika Srbija \\ #agency_name \\ '
        "Broj: #registry_number \\ Datum: #issued_on]\n\n"
        '#align(center, text(16pt, weight: "bold", upper(title)))\n\n'
        f"{body}\n\n"
        '#if valid_until != "" [#text(9pt, fill: rgb("#444"))[Važi do #valid_until.]]\n'
    )


_NOTE = '#if decision.at("napomena", default: "") != "" [#decision.napomena]\n'

_HEAD_APPROVES: list[DefaultLineStep] = [{"kind": "approval", "role": "head_of_unit", "position": 1}]
# The residence certificate goes up three officials in turn: the head of unit reviews, the
# registry clerk consents (registration data), the head of the police department approves.
_THREE_STEPS: list[DefaultLineStep] = [
    {"kind": "review", "role": "head_of_unit", "position": 1},
    {"kind": "consent", "role": "registry_clerk", "position": 2},
    {"kind": "approval", "role": "head_of_agency", "position": 3},
]

# Who may hold each step (approvals.policy). The residence certificate: the head of the handling
# unit reviews, the registry clerk consents (registration data), and the head of the police
# administration approves, or a head of unit where the delegation table (전결 규정) gives that
# document type to heads of units.
_RESIDENCE_POLICY: ApprovalPolicy = {
    "steps": [
        {"kind": "review", "holders": [{"role": "head_of_unit", "scope": "unit"}]},
        {"kind": "consent", "holders": [{"role": "registry_clerk", "scope": "agency"}]},
        {
            "kind": "approval",
            "holders": [
                {"role": "head_of_agency", "scope": "agency"},
                {"role": "head_of_unit", "scope": "delegation"},
            ],
        },
    ]
}
# Extracts and certificates that the head of the handling unit signs by the agency's act on its
# internal organization: the head of that unit approves, or the head of the agency.
_UNIT_HEAD_POLICY: ApprovalPolicy = {
    "steps": [
        {
            "kind": "approval",
            "holders": [
                {"role": "head_of_unit", "scope": "unit"},
                {"role": "head_of_agency", "scope": "agency"},
            ],
        }
    ]
}
# Issued without an application by the police administration's counter system.
_RESIDENCE_DIRECT_BASIS = (
    "Zakon o prebivalištu i boravištu građana (Sl. glasnik RS 87/2011), čl. 25; "
    "Zakon o opštem upravnom postupku, čl. 29 (uverenje iz službene evidencije)"
)

DEMO_SERVICES: list[dict[str, Any]] = [
    {
        "agency": "mup",
        "code": "uverenje-o-prebivalistu",
        "name": "Uverenje o prebivalištu",
        "name_en": "Certificate of residence",
        "description": (
            "Uverenje o prebivalištu građana izdaje policijska uprava prema evidenciji prebivališta."
        ),
        "description_en": (
            "A certificate of the applicant's registered residence, from the residence register."
        ),
        "form_schema": {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "title": "Zahtev za izdavanje uverenja o prebivalištu",
            "properties": {
                "ime_prezime": _NAME,
                "jmbg": _JMBG,
                "adresa": _ADDRESS,
                "opstina": {
                    "type": "string",
                    "title": "Opština",
                    "x-govdoc-title-en": "Municipality",
                    "minLength": 2,
                    "maxLength": 100,
                },
                "svrha": _PURPOSE,
            },
            "required": ["ime_prezime", "jmbg", "adresa", "opstina", "svrha"],
            "additionalProperties": False,
        },
        "attachment_rules": [_ID_CARD],
        "deadline_working_days": 8,
        "output_title": "Uverenje o prebivalištu",
        "output_title_en": "Certificate of residence",
        "output_body": (
            "Na osnovu službene evidencije o prebivalištu građana, uverava se da "
            "*#data.ime_prezime*, JMBG #data.jmbg, ima prijavljeno prebivalište "
            "na adresi #data.adresa, opština #data.opstina.\n\n"
            "Uverenje se izdaje #purpose(data.svrha) i ne može se koristiti u druge svrhe.\n\n" + _NOTE
        ),
        "output_doc_type": "uverenje",
        "classification_code": "02-021",
        "validity_days": 180,
        "default_line": _THREE_STEPS,
        "approval_policy": _RESIDENCE_POLICY,
        "direct_issuance_legal_basis": _RESIDENCE_DIRECT_BASIS,
    },
    {
        "agency": "beograd",
        "code": "izvod-iz-maticne-knjige-rodjenih",
        "name": "Izvod iz matične knjige rođenih",
        "name_en": "Extract from the birth register",
        "description": "Izvod iz matične knjige rođenih na nacionalnom ili međunarodnom obrascu.",
        "description_en": (
            "An extract from the register of births, on the national or the international form."
        ),
        "form_schema": {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "title": "Zahtev za izdavanje izvoda iz matične knjige rođenih",
            "properties": {
                "ime_prezime": _NAME,
                "jmbg": _JMBG,
                "datum_rodjenja": {
                    "type": "string",
                    "title": "Datum rođenja",
                    "x-govdoc-title-en": "Date of birth",
                    "format": "date",
                },
                "mesto_rodjenja": {
                    "type": "string",
                    "title": "Mesto rođenja",
                    "x-govdoc-title-en": "Place of birth",
                    "minLength": 2,
                    "maxLength": 100,
                },
                "ime_oca": {
                    "type": "string",
                    "title": "Ime oca",
                    "x-govdoc-title-en": "Father's name",
                    "maxLength": 100,
                },
                "ime_majke": {
                    "type": "string",
                    "title": "Ime majke",
                    "x-govdoc-title-en": "Mother's name",
                    "maxLength": 100,
                },
                "obrazac": {
                    "type": "string",
                    "title": "Obrazac",
                    "x-govdoc-title-en": "Form",
                    "enum": ["nacionalni", "medjunarodni"],
                    "x-govdoc-enum-titles": {"nacionalni": "nacionalni", "medjunarodni": "međunarodni"},
                    "x-govdoc-enum-titles-en": {"nacionalni": "national", "medjunarodni": "international"},
                    "default": "nacionalni",
                },
                "svrha": _PURPOSE,
            },
            "required": ["ime_prezime", "jmbg", "datum_rodjenja", "mesto_rodjenja", "obrazac", "svrha"],
            "additionalProperties": False,
        },
        "attachment_rules": [
            _rule("licna_karta", "Skenirana lična karta", "Scanned identity card", required=False),
        ],
        "deadline_working_days": 5,
        "output_title": "Izvod iz matične knjige rođenih",
        "output_title_en": "Extract from the birth register",
        "output_body": (
            "Ime i prezime: *#data.ime_prezime* \\\n JMBG: #data.jmbg \\\n"
            "Datum rođenja: #date(data.datum_rodjenja) \\\n Mesto rođenja: #data.mesto_rodjenja \\\n"
            'Ime oca: #data.at("ime_oca", default: "—") \\\n'
            'Ime majke: #data.at("ime_majke", default: "—")\n\n'
            '#let obrazac = (nacionalni: "nacionalnom", medjunarodni: "međunarodnom")'
            ".at(data.obrazac, default: data.obrazac)\n"
            "Izvod se izdaje na #obrazac obrascu, #purpose(data.svrha).\n\n" + _NOTE
        ),
        "output_doc_type": "izvod",
        "classification_code": "200-01",
        "validity_days": None,
    },
    {
        "agency": "pravda",
        "code": "uverenje-da-se-ne-vodi-krivicni-postupak",
        # Handled step by step by the shipped BPMN procedure (procedures/bpmn/application_handling.bpmn).
        "handling_procedure": "application_handling",
        "name": "Uverenje da se ne vodi krivični postupak",
        "name_en": "Certificate that no criminal proceedings are pending",
        "description": (
            "Uverenje da se protiv podnosioca ne vodi krivični postupak i da nije podignuta optužnica."
        ),
        "description_en": "A certificate that no criminal proceedings are pending against the applicant.",
        "form_schema": {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "title": "Zahtev za izdavanje uverenja da se ne vodi krivični postupak",
            "properties": {
                "ime_prezime": _NAME,
                "jmbg": _JMBG,
                "ime_oca": {
                    "type": "string",
                    "title": "Ime oca",
                    "x-govdoc-title-en": "Father's name",
                    "minLength": 2,
                    "maxLength": 100,
                },
                "adresa": _ADDRESS,
                "svrha": _PURPOSE,
            },
            "required": ["ime_prezime", "jmbg", "ime_oca", "adresa", "svrha"],
            "additionalProperties": False,
        },
        "attachment_rules": [
            _ID_CARD,
            _rule(
                "dokaz_o_uplati",
                "Dokaz o uplati administrativne takse",
                "Proof of payment of the administrative fee",
                required=True,
                max_bytes=2 * 1024 * 1024,
            ),
        ],
        "deadline_working_days": 8,
        "output_title": "Uverenje da se ne vodi krivični postupak",
        "output_title_en": "Certificate that no criminal proceedings are pending",
        "output_body": (
            # "protiv" would need the name in the genitive, which no template can make of any
            # name: the person is named in apposition to "lice" (nominative).
            "Uverava se da se za lice *#data.ime_prezime* (JMBG #data.jmbg, ime oca #data.ime_oca, "
            "prebivalište: #data.adresa) ne vodi krivični postupak i da nije podignuta optužnica.\n\n"
            "Uverenje se izdaje #purpose(data.svrha).\n\n" + _NOTE
        ),
        "output_doc_type": "uverenje",
        "classification_code": "740-01",
        "validity_days": 90,
    },
]


@transaction.atomic
def ensure_demo_services(*, actor: Person | str) -> list[Service]:
    """Create the demo services that do not exist yet; returns all of them (existing included).

    Skips a service whose agency is missing. ``actor`` is an administrator of each agency or a
    system actor's name (e.g. ``"demo-setup"``).
    """
    services: list[Service] = []
    for spec in DEMO_SERVICES:
        existing = Service.objects.filter(code=spec["code"]).first()
        if existing is not None:
            services.append(existing)
            continue
        agency = Agency.objects.filter(code=spec["agency"]).first()
        unit = agency.units.order_by("code").first() if agency is not None else None
        if agency is None or unit is None:
            continue
        services.append(
            service_create(
                agency=agency,
                unit=unit,
                code=spec["code"],
                name=spec["name"],
                name_cyrl=to_cyrillic(spec["name"]),
                name_en=spec["name_en"],
                description=spec["description"],
                description_cyrl=to_cyrillic(spec["description"]),
                description_en=spec["description_en"],
                form_schema=spec["form_schema"],
                attachment_rules=spec["attachment_rules"],
                deadline_working_days=spec["deadline_working_days"],
                output_title=spec["output_title"],
                output_title_cyrl=to_cyrillic(spec["output_title"]),
                output_title_en=spec["output_title_en"],
                output_template=_template(spec["output_body"]),
                output_doc_type=spec["output_doc_type"],
                classification_code=spec["classification_code"],
                validity_days=spec["validity_days"],
                default_line=list(spec.get("default_line", _HEAD_APPROVES)),
                approval_policy=spec.get("approval_policy", _UNIT_HEAD_POLICY),
                direct_issuance=bool(spec.get("direct_issuance_legal_basis")),
                direct_issuance_legal_basis=spec.get("direct_issuance_legal_basis", ""),
                handling_procedure=spec.get("handling_procedure", ""),
                actor=actor,
            )
        )
    return services
