"""The catalogues: every text the code marks is translated in every language, with the same
placeholders; Accept-Language picks the right one; the page's part is safe in a page."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from watchparty.core.errors import ERRORS
from watchparty.i18n import DEFAULT, LANGUAGES, LOCALES, Catalogues, negotiate

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "t": None, "N_": None, "ngettext": (1, 2)}
PLACEHOLDER = re.compile(r"\{(\w+)[^}]*\}|%\((\w+)\)s")
TRANSLATED = sorted(set(LANGUAGES) - {DEFAULT})


def used_texts() -> dict[str, str]:
    """Every text the code marks for translation (as docs/translating.md extracts them),
    with where it is used."""
    method_map = [
        ("watchparty/core/errors.py", "python"),
        ("templates/**.html", "jinja2"),
        ("static/js/**.js", "javascript"),
    ]
    found: dict[str, str] = {}
    for filename, _, message, _, _ in extract_from_dir(ROOT, method_map, keywords=KEYWORDS):
        for text in message if isinstance(message, tuple) else (message,):
            if text:
                found.setdefault(text, filename)
    return found


def test_the_extraction_finds_every_text_the_scripts_translate() -> None:
    """pybabel's JavaScript lexer does not look inside template literals: a ``t("...")``
    there would never be translated. Every ``t("...")`` the scripts hold must be extracted."""
    called = re.compile(r"""\bt\(\s*"((?:[^"\\]|\\.)*)\"""")
    texts = used_texts()
    unseen = [
        f"{path.relative_to(ROOT)}: {text!r}"
        for path in sorted((ROOT / "static" / "js").rglob("*.js"))
        for text in called.findall(path.read_text(encoding="utf-8"))
        if json.loads(f'"{text}"') not in texts
    ]
    assert unseen == []


def placeholders(text: str) -> set[str]:
    return {a or b for a, b in PLACEHOLDER.findall(text)}


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_text_in_use_is_translated_with_its_placeholders(language: str) -> None:
    path = LOCALES / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as file:
        catalog = read_po(file)
    texts = used_texts()
    assert len(texts) > 150  # the extraction did find the pages' texts
    missing, wrong = [], []
    for text, where in texts.items():
        message = catalog.get(text)
        if message is None or not message.string or message.fuzzy:
            missing.append(f"{where}: {text!r}")
        elif placeholders(str(message.string)) != placeholders(text):
            wrong.append(f"{text!r} -> {message.string!r}")
    assert missing == [], f"not translated in {path.relative_to(ROOT)}"
    assert wrong == [], "placeholders differ"


def test_error_templates_without_detail_are_marked_for_translation() -> None:
    texts = used_texts()
    for code, error in ERRORS.items():
        if "{detail}" not in error.message:
            assert error.message in texts, code


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("de-AT,de;q=0.9,en;q=0.8", "de"),
        ("fr;q=0.1, es;q=0.9", "es"),
        ("pt-BR, fr-CA;q=0.5", "fr"),
        ("ES", "es"),
        ("en-GB,en;q=0.9", "en"),
        ("", "en"),
        ("*", "en"),
        ("de;q=0, fr;q=0.2", "fr"),
        ("de;q=oops, es", "es"),
        ("zz-\ud800, ;;;, q=1", "en"),
        ("ja," * 10_000 + "de", "en"),  # cut, not parsed whole
    ],
)
def test_accept_language_picks_the_best_available(header: str, expected: str) -> None:
    assert negotiate(header, LANGUAGES) == expected


def test_the_page_part_holds_the_scripts_texts_and_error_templates_safely() -> None:
    catalogues = Catalogues()
    french = json.loads(catalogues["fr"].page)
    assert french["messages"]["Copy link"] == "Copier le lien"
    assert "Room not found" not in french["messages"]  # a template's, not the scripts'
    queue_full = "une file d\u2019attente contient au plus {limit} éléments"
    assert french["errors"]["queue_full"] == queue_full
    assert "forbidden" not in french["errors"]  # "{detail}": the server's English
    english = json.loads(catalogues["en"].page)
    assert english["messages"] == {}  # a script's text is its English self
    # Every error template, English too: a page may know only the code (``?oidc_error=``).
    assert english["errors"]["oidc_state"] == ERRORS["oidc_state"].message
    assert "forbidden" not in english["errors"]
    for language in LANGUAGES:
        assert not set(catalogues[language].page) & set("<>&")  # cannot end its <script>


def test_templates_get_gettext_with_named_values() -> None:
    german = Catalogues()["de"]
    assert german.gettext("Room %(id)s", id="abc") == "Raum abc"
    assert german.gettext("Copy link") == "Link kopieren"
    assert german.gettext("not in the catalogue") == "not in the catalogue"
