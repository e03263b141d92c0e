"""The pages' languages: one gettext catalogue per language, for the templates and the page's
scripts alike (docs/translating.md).

The ``.po`` files are read at start with Babel (no compiled ``.mo`` files to keep in step).
A request's language is the page's picker's choice (a cookie the browser keeps), else the
best match of ``Accept-Language``, else English. The page's scripts get their part of the
catalogue in the page: the strings from ``static/js`` and the error catalogue's templates.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from aiohttp import web
from babel.core import negotiate_locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from watchparty.core.errors import ERRORS

DEFAULT: Final = "en"
# Each language by its own name, in the picker.
LANGUAGES: Final[dict[str, str]] = {
    "en": "English",
    "de": "Deutsch",
    "es": "Español",
    "fr": "Français",
}
COOKIE: Final = "watchparty_lang"
LOCALES: Final = Path(__file__).parent / "locales"
DOMAIN: Final = "messages"
PAGE_SOURCES: Final = "static/js/"  # the catalogue entries the page's scripts use
MAX_ACCEPT_LANGUAGE: Final = 512  # longer headers are cut, not parsed whole
MAX_LANGUAGE_RANGES: Final = 20


@dataclass(frozen=True, slots=True)
class Language:
    code: str
    translations: Translations
    page: str  # the page scripts' part of the catalogue, as JSON for a <script> block

    def gettext(self, text: str, **values: Any) -> str:
        """``text`` in this language, its ``%(name)s`` filled from ``values``."""
        translated = self.translations.gettext(text)
        return translated % values if values else translated

    def ngettext(self, singular: str, plural: str, n: int, **values: Any) -> str:
        translated = self.translations.ngettext(singular, plural, n)
        return translated % {"num": n, **values}


class Catalogues:
    """Every language's catalogue, read once."""

    def __init__(self, folder: Path = LOCALES) -> None:
        self._languages = {code: _load(folder, code) for code in LANGUAGES}

    def __getitem__(self, code: str) -> Language:
        return self._languages[code]

    def choose(self, request: web.Request) -> Language:
        """The language for this request: the picker's cookie, else Accept-Language."""
        picked = request.cookies.get(COOKIE, "")
        if picked in self._languages:
            return self._languages[picked]
        header = request.headers.get("Accept-Language", "")
        return self._languages[negotiate(header, self._languages)]


def negotiate(header: str, available: Iterable[str]) -> str:
    """The best of ``available`` for an ``Accept-Language`` header (RFC 9110: ranges with
    q-values, highest first; a range also matches its primary language: ``de-AT`` -> ``de``)."""
    preferred = []
    for position, part in enumerate(header[:MAX_ACCEPT_LANGUAGE].split(",")[:MAX_LANGUAGE_RANGES]):
        tag, _, parameters = part.strip().partition(";")
        weight = 1.0
        name, _, value = parameters.strip().partition("=")
        if name.strip() == "q":
            try:
                weight = float(value)
            except ValueError:
                continue
        if tag and tag != "*" and weight > 0:
            preferred.append((-weight, position, tag.strip()))
    tags = [tag for _, _, tag in sorted(preferred)]
    codes = {code.lower(): code for code in available}
    for tag in tags:
        found = negotiate_locale([tag], list(codes), sep="-") or negotiate_locale(
            [tag.split("-")[0]], list(codes), sep="-"
        )
        if found:
            found = str(found).lower()
            return codes.get(found) or codes.get(found.split("-")[0], DEFAULT)
    return DEFAULT


def _load(folder: Path, code: str) -> Language:
    """A language's catalogue from its ``.po`` file (English: the messages themselves)."""
    path = folder / code / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.exists():
        return Language(code, Translations(), _page_json({}, _errors(str)))
    with path.open("rb") as file:
        catalog = read_po(file, locale=code, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    translations = Translations(buffer, domain=DOMAIN)
    page = {
        str(message.id): str(message.string)
        for message in catalog
        if message.id
        and isinstance(message.id, str)
        and message.string
        and not message.fuzzy
        and any(location.startswith(PAGE_SOURCES) for location, _ in message.locations)
    }
    return Language(code, translations, _page_json(page, _errors(translations.gettext)))


def _errors(gettext: Callable[[str], str]) -> dict[str, str]:
    """The error catalogue's templates in this language, by code, for the page to fill with
    an error's ``params`` (templates with ``{detail}`` stay with the server's English). Every
    code's, English included: a page may know only the code (a redirect's ``?oidc_error=``)."""
    return {
        code: gettext(error.message)
        for code, error in ERRORS.items()
        if "{detail}" not in error.message
    }


def _page_json(messages: Mapping[str, str], errors: Mapping[str, str]) -> str:
    """JSON that is safe inside a ``<script>`` block: no ``<``, ``>`` or ``&`` as such, so
    no translation can end the block."""
    text = json.dumps({"messages": messages, "errors": errors}, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
