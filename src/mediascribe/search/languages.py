"""Which PostgreSQL text-search configuration a job's language is indexed and searched with.

Only configurations built into PostgreSQL 13 and later are named (Aurora PostgreSQL runs 17, the local
server 15 or later), so a migrated database always has them. A language without one, or a job whose
language is not known, is indexed with ``simple``: words are lower-cased, nothing is stemmed.
"""

from __future__ import annotations

SIMPLE = "simple"

# ISO 639-1 code -> the configuration of PostgreSQL's snowball stemmers for that language
# (https://www.postgresql.org/docs/current/textsearch-dictionaries.html#TEXTSEARCH-SNOWBALL-DICTIONARY).
CONFIGURATIONS: dict[str, str] = {
    "ar": "arabic",
    "da": "danish",
    "de": "german",
    "el": "greek",
    "en": "english",
    "es": "spanish",
    "fi": "finnish",
    "fr": "french",
    "ga": "irish",
    "hu": "hungarian",
    "id": "indonesian",
    "it": "italian",
    "lt": "lithuanian",
    "nb": "norwegian",
    "ne": "nepali",
    "nl": "dutch",
    "no": "norwegian",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sv": "swedish",
    "ta": "tamil",
    "tr": "turkish",
}


def configuration_for(language: str | None) -> str:
    """The configuration for an ISO 639-1 code (any case, a region suffix ignored: ``en-US``)."""
    if not language:
        return SIMPLE
    return CONFIGURATIONS.get(language.split("-")[0].strip().lower(), SIMPLE)


def normalised_language(language: str | None) -> str | None:
    """The two-letter code a job records (``en`` for ``en-US``), or None when there is none."""
    if not language:
        return None
    code = language.split("-")[0].strip().lower()
    return code if len(code) == 2 and code.isalpha() and code.isascii() else None
