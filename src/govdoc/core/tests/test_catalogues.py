"""The Serbian Cyrillic catalogue is made from the Latin one by the one transliterator, leaving
what is not Serbian text in Latin letters."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from govdoc.core.catalogues import cyrillic_catalogue, cyrillic_text, main, parse, render

LATIN_PO = r"""# GovDoc's Serbian Latin catalogue.
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\n"
"Language: sr_Latn\n"
"Plural-Forms: nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || "
"n%100>=20) ? 1 : 2);\n"

#: web/templates/web/base.html:12
msgid "Log out"
msgstr "Odjava"

msgid "Download the PDF of %(number)s"
msgstr "Preuzmite PDF dokumenta %(number)s"

msgctxt "verb"
msgid "Verify"
msgstr "Proveri"

msgid "Your JMBG and e-mail"
msgstr "Vaš JMBG i e-mail <strong>{name}</strong>, vidi https://govdoc.example.rs/verify"

msgid "one application"
msgid_plural "%(count)s applications"
msgstr[0] "%(count)s zahtev"
msgstr[1] "%(count)s zahteva"
msgstr[2] "%(count)s zahteva"

msgid "Line one\nline \"two\""
msgstr ""
"Prvi red\n"
"drugi \"red\""
"""


@pytest.mark.parametrize(
    ("latin", "cyrillic"),
    [
        ("Odjava", "Одјава"),
        ("Preuzmite PDF dokumenta %(number)s", "Преузмите PDF документа %(number)s"),
        ("Skenirajte QR kod", "Скенирајте QR код"),
        ("Vaš JMBG", "Ваш ЈМБГ"),
        ('<a href="/verify/">Provera</a>', '<a href="/verify/">Провера</a>'),
        ("Provera na https://govdoc.example.rs/verify", "Провера на https://govdoc.example.rs/verify"),
        ("GovDoc — e-Sanduče", "GovDoc — е-Сандуче"),
        ("{count} dana", "{count} дана"),
        ("Njegoševa &amp; Džordža Vašingtona", "Његошева &amp; Џорџа Вашингтона"),
        ("kao što pokazuje `govdoc pki status`", "као што показује `govdoc pki status`"),
        ("--since traži vremensku zonu", "--since тражи временску зону"),
        (
            "npr. 2027-05-28T09:00+02:00 ili 2027-05-28T07:00Z",
            "нпр. 2027-05-28T09:00+02:00 или 2027-05-28T07:00Z",
        ),
        ("razlog (keyCompromise, `superseded`)", "разлог (keyCompromise, `superseded`)"),
        ("nema naloga '%(username)s'", "нема налога '%(username)s'"),
        ("govdoc: greška: potpis PAdES B-LTA", "govdoc: грешка: потпис PAdES B-LTA"),
    ],
)
def test_what_is_serbian_text_is_transliterated_the_rest_kept(latin: str, cyrillic: str) -> None:
    assert cyrillic_text(latin) == cyrillic


def test_a_catalogue_reads_and_writes_back_unchanged_in_meaning() -> None:
    entries = parse(LATIN_PO)
    assert [e.msgid for e in entries][1:3] == ["Log out", "Download the PDF of %(number)s"]
    assert entries[3].msgctxt == "verb"
    assert entries[5].msgstr == ["%(count)s zahtev", "%(count)s zahteva", "%(count)s zahteva"]
    assert entries[6].msgid == 'Line one\nline "two"'
    assert entries[6].msgstr == ['Prvi red\ndrugi "red"']
    again = parse(render(entries))
    assert [(e.key, e.msgid_plural, e.msgstr) for e in again] == [
        (e.key, e.msgid_plural, e.msgstr) for e in entries
    ]


def test_the_cyrillic_catalogue_keeps_a_translators_own_entries(tmp_path: Path) -> None:
    manual = parse('#, manual\nmsgid "Log out"\nmsgstr "Одјави се"\n')
    made = {e.key: e for e in cyrillic_catalogue(parse(LATIN_PO), manual)}
    assert made[(None, "Log out")].msgstr == ["Одјави се"]
    assert made[("verb", "Verify")].msgstr == ["Провери"]
    assert made[(None, "one application")].msgstr == [
        "%(count)s захтев",
        "%(count)s захтева",
        "%(count)s захтева",
    ]
    assert "Language: sr\n" in made[(None, "")].msgstr[0]


def test_the_command_writes_a_catalogue_gnu_gettext_compiles(tmp_path: Path) -> None:
    latin, cyrillic = tmp_path / "sr_Latn.po", tmp_path / "sr.po"
    latin.write_text(LATIN_PO, encoding="utf-8")
    assert main([str(latin), str(cyrillic)]) == 0
    assert 'msgstr "Одјава"' in cyrillic.read_text(encoding="utf-8")
    msgfmt = subprocess.run(
        ["msgfmt", "--check", "-o", str(tmp_path / "sr.mo"), str(cyrillic)], capture_output=True, text=True
    )
    if msgfmt.returncode == 127:  # pragma: no cover
        pytest.skip("msgfmt (gettext) is not installed")
    assert msgfmt.returncode == 0, msgfmt.stderr
