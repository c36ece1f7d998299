"""``govdoc`` speaks to officials and agency IT in their language: Serbian Cyrillic, Serbian
Latin or English, from ``GOVDOC_LANGUAGE`` or the terminal's locale (``LANG`` and friends).

Run as an official runs it: the installed command in a subprocess, on a fresh GOVDOC_HOME."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from govdoc.cli.language import language_from_environment
from govdoc.signatures.tests.conftest import make_sample_pdf

pytestmark = pytest.mark.slow

_LOCALE = ("GOVDOC_", "DJANGO_", "LANGUAGE", "LC_", "LANG")


def run(home: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(_LOCALE)}
    clean.update(GOVDOC_HOME=str(home), GOVDOC_DEMO_DATA="1", **env)
    return subprocess.run(
        [sys.executable, "-m", "govdoc.cli.main", *args],
        env=clean,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("govdoc-home")


@pytest.mark.parametrize(
    ("env", "line"),
    [
        ({"LANG": "sr_RS.UTF-8"}, "govdoc: грешка: {path}: датотека не постоји"),
        ({"LANG": "sr_RS.UTF-8@latin"}, "govdoc: greška: {path}: datoteka ne postoji"),
        ({"LANG": "en_US", "GOVDOC_LANGUAGE": "sr-Latn"}, "govdoc: greška: {path}: datoteka ne postoji"),
        ({"LANG": "sr_RS.UTF-8", "GOVDOC_LANGUAGE": "en"}, "govdoc: error: {path}: no such file"),
        ({"LC_ALL": "C"}, "govdoc: error: {path}: no such file"),
    ],
)
def test_an_error_is_in_the_officials_language(tmp_path: Path, env: dict[str, str], line: str) -> None:
    missing = tmp_path / "nema.pdf"
    result = run(tmp_path / "home", env, "verify", str(missing))
    assert result.returncode == 2
    assert result.stderr.strip() == line.format(path=missing)
    assert not (tmp_path / "home").exists()  # a refused file never made a home


def test_results_and_help_are_in_the_officials_language(home: Path, tmp_path: Path) -> None:
    source, signed = tmp_path / "in.pdf", tmp_path / "signed.pdf"
    source.write_bytes(make_sample_pdf("Uverenje"))

    sealed = run(home, {"LANG": "sr_RS.UTF-8"}, "sign", str(source), "-o", str(signed), "--seal", "mup")
    assert sealed.returncode == 0, sealed.stderr
    assert sealed.stdout.startswith(f"{signed}: оверен е-печатом органа Ministarstvo unutrašnjih poslova")
    assert "(PAdES B-LTA: са временским жигом," in sealed.stdout

    latin = run(home, {"LANG": "sr_RS.UTF-8@latin"}, "verify", str(signed))
    assert latin.returncode == 0
    lines = latin.stdout.splitlines()
    assert lines[0] == f"{signed}: verodostojan"
    assert any(line.strip().startswith("potpisao: ") for line in lines)
    assert any(line.strip().startswith("vremenski žig dokumenta: ") for line in lines)
    # the engine's reasons too, as the verification page says them
    assert "  - Vremenski žig dokumenta dokazuje kada je dokument postojao, radi dugoročne provere." in lines

    english = run(home, {"LANGUAGE": "en_GB:sr"}, "verify", str(signed))
    assert english.stdout.splitlines()[0] == f"{signed}: AUTHENTIC"

    # a service's refusal, translated where it is raised, follows the same language
    refused = run(
        home, {"LANG": "sr_RS.UTF-8"}, "sign", str(source), "-o", str(tmp_path / "x.pdf"), "--seal", "x"
    )
    assert refused.returncode == 2
    assert refused.stderr.strip().startswith("govdoc: грешка: непознат орган 'x' (познати: ")

    cyrillic = run(home, {"LANG": "sr_RS.UTF-8"}, "token", "list", "--account", "nobody")
    assert cyrillic.returncode == 0 and cyrillic.stdout.strip() == "нема токена"

    helped = run(home, {"GOVDOC_LANGUAGE": "sr-Cyrl"}, "pin", "--help")
    text = " ".join(helped.stdout.split())  # the help is wrapped to the terminal's width
    assert "unblock одблокира кључ службеника за потписивање после превише погрешних PIN-ова" in text


@pytest.mark.parametrize(
    ("env", "language"),
    [
        ({}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LANG": "POSIX"}, "en"),
        ({"LANG": "de_DE.UTF-8"}, "en"),
        ({"LANG": "sr_RS"}, "sr"),
        ({"LANG": "sr"}, "sr"),
        ({"LANG": "sr_RS.UTF-8@latin"}, "sr-latn"),
        ({"LANG": "sr_ME.UTF-8@latin", "LC_MESSAGES": "en_US.UTF-8"}, "en"),
        ({"LC_ALL": "sr_RS.UTF-8", "LANG": "en_US.UTF-8"}, "sr"),
        ({"LANGUAGE": "de:sr@latin:en", "LANG": "en_US.UTF-8"}, "sr-latn"),
        ({"LANGUAGE": "de", "LANG": "sr_RS.UTF-8"}, "sr"),
        ({"GOVDOC_LANGUAGE": "sr-Cyrl", "LANG": "sr_RS.UTF-8@latin"}, "sr"),
        ({"GOVDOC_LANGUAGE": "sr-Latn"}, "sr-latn"),
        ({"GOVDOC_LANGUAGE": "EN"}, "en"),
    ],
)
def test_the_language_comes_from_govdoc_language_then_the_locale(env: dict[str, str], language: str) -> None:
    assert language_from_environment(env) == language
