"""Typography per language for the pages: French puts a narrow no-break space before : ; ! ?. Flask-Babel."""

from __future__ import annotations

from flask_babel import get_locale

NARROW_NBSP = "\u202f"


def _french() -> bool:
    found = get_locale()
    return bool(found and found.language == "fr")


def colon(label: str) -> str:
    """"Quantité" -> "Quantité :" (narrow space) in French, "Quantity:" in English."""
    return f"{label}{NARROW_NBSP}:" if _french() else f"{label}:"
