"""Typography per language for the pages: French puts a narrow no-break space before : ; ! ? (catalog)."""

from __future__ import annotations

from flask_babel import get_locale

from connector.i18n import colon as _colon


def colon(label: str) -> str:
    """"Quantité" -> "Quantité :" (narrow space) in French, "Quantity:" in English."""
    found = get_locale()
    return _colon(label, found.language if found else None)
