"""The one renderer as a citizen, an approver and an attacker meet it: the sentence a citizen
reads in each script, the draft that shows the same text marked as a draft, a QR code that
reads from a 100-dpi render and from a blurred, turned image, and templates that cannot reach
files or the network."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageFilter

from govdoc.accounts.constants import Script
from govdoc.documents.models import RegistryEntry
from govdoc.documents.storage import file_read
from govdoc.issuance.errors import TemplateRenderError
from govdoc.issuance.models import IssuedDocument
from govdoc.issuance.rendering import date_text, draft_pdf
from govdoc.issuance.tests.conftest import Issue, tool

SENTENCE_TEMPLATE = (
    "= #title\n\nUverava se da *#holder_name* ima prebivalište na adresi #data.adresa.\n\n"
    "Uverenje se izdaje #purpose(data.svrha) i važi do #valid_until.\n"
)
DATA = {"adresa": "Njegoševa 7, Beograd", "svrha": "radi zaposlenja."}
VALID_UNTIL = dt.datetime(2027, 5, 28, 12, 0, tzinfo=dt.UTC)

SENTENCES = {
    Script.LATIN: "Uverenje se izdaje u svrhu zaposlenja i važi do 28. maja 2027.",
    Script.CYRILLIC: "Уверење се издаје у сврху запослења и важи до 28. маја 2027.",
    Script.ENGLISH: "Uverenje se izdaje u svrhu zaposlenja i važi do 28 May 2027.",
}


def _text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        [tool("pdftotext"), "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return " ".join(out.split())


def _pdf(issued: IssuedDocument) -> bytes:
    assert issued.version is not None
    return file_read(issued.version.file)


@pytest.mark.django_db
@pytest.mark.parametrize("script", [Script.LATIN, Script.CYRILLIC, Script.ENGLISH])
def test_the_citizen_reads_a_grammatical_sentence_with_the_date_in_the_genitive(
    issue: Issue, script: str, tmp_path: Path
) -> None:
    issued = issue(template_html=SENTENCE_TEMPLATE, data=DATA, script=script, valid_until=VALID_UNTIL)
    text = _text(_pdf(issued), tmp_path)
    assert SENTENCES[script] in text
    assert ".." not in text
    holder = "Љубица Ђорђевић" if script == Script.CYRILLIC else "Ljubica Đorđević"
    assert holder in text


def test_dates_as_a_citizen_reads_them() -> None:
    day = dt.date(2027, 5, 28)
    assert date_text(day, Script.LATIN) == "28. maja 2027."
    assert date_text(day, Script.CYRILLIC) == "28. маја 2027."
    assert date_text(day, Script.ENGLISH) == "28 May 2027"
    assert date_text(dt.datetime(2027, 1, 31, 23, 30, tzinfo=dt.UTC), Script.LATIN) == "1. februara 2027."


@pytest.mark.parametrize("script", [Script.LATIN, Script.CYRILLIC])
def test_the_draft_shows_the_same_text_marked_as_a_draft_without_qr(script: str, tmp_path: Path) -> None:
    context = {
        "holder_name": "Ljubica Đorđević",
        "data": DATA,
        "valid_until": VALID_UNTIL,
        "title": "Uverenje",
    }
    text = _text(
        draft_pdf(
            template=SENTENCE_TEMPLATE,
            context=context,
            script=script,
            reference="P-MUP-2027-000001",
            title="Uverenje",
        ),
        tmp_path,
    )
    assert SENTENCES[script] in text
    assert ("НАЦРТ" if script == Script.CYRILLIC else "NACRT") in text
    assert "P-MUP-2027-000001" in text  # the reference stays as registered, in Latin letters
    assert ("Љубица Ђорђевић" if script == Script.CYRILLIC else "Ljubica Đorđević") in text
    page = tmp_path / "draft"
    subprocess.run([tool("pdftoppm"), "-r", "100", "-png", str(tmp_path / "doc.pdf"), str(page)], check=True)
    scanned = subprocess.run(
        [tool("zbarimg"), "--raw", "-q", str(page) + "-1.png"], capture_output=True, text=True
    )
    assert scanned.stdout.strip() == ""  # no QR code on a draft


def _scan(image: Path) -> list[str]:
    out = subprocess.run(
        [tool("zbarimg"), "--raw", "-q", "-Sdisable", "-Sqrcode.enable", str(image)],
        capture_output=True,
        text=True,
        check=False,
    )
    return [line for line in out.stdout.splitlines() if line.strip()]


@pytest.mark.django_db
def test_the_qr_code_reads_from_a_100_dpi_render_and_from_a_blurred_turned_photo(
    issue: Issue, tmp_path: Path
) -> None:
    issued = issue()
    path = tmp_path / "issued.pdf"
    path.write_bytes(_pdf(issued))
    subprocess.run([tool("pdftoppm"), "-r", "100", "-png", str(path), str(tmp_path / "page")], check=True)
    images = subprocess.run([tool("pdfimages"), "-list", str(path)], capture_output=True, text=True).stdout
    assert len(images.strip().splitlines()) == 2, images  # only the header: the QR code is vectors
    page = tmp_path / "page-1.png"
    urls = _scan(page)
    assert len(urls) == 1 and f"/V/{issued.verification_code}#GD1:" in urls[0]
    photo = tmp_path / "photo.png"
    (
        Image.open(page)
        .convert("L")
        .filter(ImageFilter.GaussianBlur(0.8))
        .rotate(3, expand=True, fillcolor=255, resample=Image.Resampling.BICUBIC)
        .save(photo)
    )
    assert _scan(photo) == urls


@pytest.mark.django_db
@pytest.mark.parametrize(
    "template",
    [
        '#read("/etc/passwd")',
        '#read("../../../../../../etc/passwd")',
        '#read("/secrets/key_passphrase")',
        '#image("http://127.0.0.1:9/internal.png")',
        '#import "@preview/anything:0.1.0"',
        '#let p = "@pre" + "view/x:0.1.0"\n#import p',
        '#include "/etc/passwd"',
        '#eval("#imp" + "ort \\"@preview/x:0.1.0\\"", mode: "markup")',
        '#dictionary(std).at("ev" + "al")("1")',
        "#set page(header: none)",
        "<p>{{ data.x }}</p>",
    ],
)
def test_a_template_cannot_read_files_reach_the_network_or_change_the_page(
    issue: Issue, template: str
) -> None:
    with pytest.raises(TemplateRenderError):
        issue(template_html=template)
    assert not IssuedDocument.objects.filter(status="valid").exists()
    assert not IssuedDocument.objects.exclude(status="failed").exists()
    # refused before a number is taken, or (a file that is not there) a failed record
    assert RegistryEntry.objects.count() == IssuedDocument.objects.count()


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        (Script.LATIN, "Datum rođenja: 31. januara 1990. Mesto: Beograd"),
        (Script.CYRILLIC, "Датум рођења: 31. јануара 1990. Место: Београд"),
        (Script.ENGLISH, "Date of birth: 31 January 1990"),
    ],
)
def test_a_date_from_the_form_reads_as_a_date(script: str, expected: str, tmp_path: Path) -> None:
    template = (
        '#if script == "en" [Date of birth: #date(data.rodjen)] '
        "else [Datum rođenja: #date(data.rodjen). Mesto: #data.mesto]"
    )
    context = {"data": {"rodjen": "1990-01-31", "mesto": "Beograd"}}
    pdf = draft_pdf(template=template, context=context, script=script, reference="P-1", title="T")
    assert expected in _text(pdf, tmp_path)


def test_the_same_draft_renders_to_the_same_bytes() -> None:
    at = dt.datetime(2026, 11, 29, 6, 0, tzinfo=dt.UTC)
    context = {"holder_name": "Ljubica Đorđević", "data": DATA, "valid_until": VALID_UNTIL, "title": "U"}

    def render() -> bytes:
        return draft_pdf(
            template=SENTENCE_TEMPLATE,
            context=context,
            script=Script.CYRILLIC,
            reference="P-1",
            title="U",
            created_at=at,
        )

    assert render() == render()
