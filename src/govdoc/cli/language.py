"""The language of what ``govdoc`` prints: Serbian Latin, Serbian Cyrillic or English.

Chosen, in order, by ``GOVDOC_LANGUAGE`` (``sr-Latn``, ``sr-Cyrl`` or ``en``), then by the
standard environment of the terminal (``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG``, the
first one set): ``sr_RS@latin`` or ``sr-Latn`` → Latin; ``sr_RS``, ``sr`` or ``sr-Cyrl`` →
Cyrillic; ``en…`` → English. Anything else (``C``, ``POSIX``, ``C.UTF-8``, another language)
gives English: the locale of a server or container that nobody set, where the command is run by
scripts and read by agency IT, who search the web for English messages.

The command's help is made before Django starts (``govdoc --help`` must not create a
``GOVDOC_HOME``), so the command's own texts are read from GovDoc's compiled catalogue
(``locale/<language>/LC_MESSAGES/django.mo``, the file ``scripts/i18n`` makes for the pages)
with Python's ``gettext``. Once a command starts Django, Django's translations are turned to the
same language (``django_follow``), so the domains' errors it prints speak it too.
"""

from __future__ import annotations

import contextlib
import gettext as stdlib_gettext
from collections.abc import Iterator, Mapping
from pathlib import Path

# The catalogues' folder (settings.LOCALE_PATHS) and, per Django language code, its sub-folder.
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
_CATALOGUE = {"sr-latn": "sr_Latn", "sr": "sr", "en": ""}
DEFAULT = "en"
ENVIRONMENT = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")

_translations: stdlib_gettext.NullTranslations = stdlib_gettext.NullTranslations()
_language = DEFAULT
_django_follows = False
_django_before: list[str | None] = []  # Django's language before the command turned it


def language_of(tag: str) -> str | None:
    """The Django language code (``sr-latn``, ``sr``, ``en``) for a language tag or POSIX locale
    name (``sr-Cyrl``, ``sr_RS.UTF-8@latin``, ``en_GB.UTF-8``), or None if GovDoc does not speak it."""
    name, _, modifier = tag.strip().lower().partition("@")
    name = name.split(".")[0].replace("_", "-")
    parts = name.split("-")
    if parts[0] == "sr":
        latin = modifier.startswith("latin") or "latn" in parts[1:]
        return "sr-latn" if latin else "sr"
    if parts[0] == "en":
        return "en"
    return None


def language_from_environment(environ: Mapping[str, str]) -> str:
    """The language ``govdoc`` speaks in this environment (see the module's docstring)."""
    chosen = language_of(environ.get("GOVDOC_LANGUAGE", ""))
    if chosen is not None:
        return chosen
    for name in ENVIRONMENT:
        value = environ.get(name, "").strip()
        if not value:
            continue
        if name == "LANGUAGE":  # GNU: a list of preferences, the first one spoken wins
            spoken = [lang for lang in map(language_of, value.split(":")) if lang]
            if spoken:
                return spoken[0]
            continue
        return language_of(value) or DEFAULT
    return DEFAULT


def use(language: str) -> None:
    """Print the command's own texts in ``language`` (a Django language code) from now on."""
    global _translations, _language
    folder = _CATALOGUE.get(language, "")
    _language = language if language in _CATALOGUE else DEFAULT
    _translations = stdlib_gettext.NullTranslations()
    if folder:
        _translations = stdlib_gettext.translation(
            "django", localedir=LOCALE_DIR, languages=[folder], fallback=True
        )


def current() -> str:
    """The Django language code ``govdoc`` speaks (``use``)."""
    return _language


def gettext(message: str) -> str:
    """``message`` (English, as written in the code) in the command's language."""
    return _translations.gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    return _translations.ngettext(singular, plural, count)


@contextlib.contextmanager
def django_speaking() -> Iterator[None]:
    """While a command runs, Django, once set up (``django_follow``), speaks the command's
    language; afterwards Django's language is what it was. The servers (``serve``, ``worker``,
    ``demo``) run outside it: their pages, e-mails and documents choose their own language."""
    global _django_follows
    _django_follows = True
    try:
        yield
    finally:
        _django_follows = False
        if _django_before:
            from django.utils import translation

            previous = _django_before.pop()
            if previous is None:
                translation.deactivate()
            else:
                translation.activate(previous)


def django_follow() -> None:
    """Turn Django's translations (the domains' errors) to the command's language, inside
    ``django_speaking``; ``bootstrap.setup_django`` calls it after ``django.setup()``."""
    if not _django_follows or _django_before:
        return
    from django.utils import translation

    _django_before.append(translation.get_language())
    translation.activate(_language)
