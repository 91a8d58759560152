"""Every text a shopper or merchant can see exists in French, and the compiled catalogs are current."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
with (ROOT / "babel.cfg").open() as _cfg:  # what `scripts/i18n.py extract` reads, so the two never differ
    METHOD_MAP = parse_mapping_cfg(_cfg)[0]


def _catalogs() -> list[Path]:
    return sorted(ROOT.glob("connector/**/LC_MESSAGES/messages.po"))


def _french() -> dict[str, str]:
    texts: dict[str, str] = {}
    for po in _catalogs():
        with po.open("rb") as handle:
            for message in read_po(handle):
                if not message.id or not message.string:
                    continue
                if isinstance(message.id, str):
                    texts[message.id] = str(message.string)
                elif all(message.string):  # a plural: the singular and plural ids, each form translated
                    for msgid, msgstr in zip(message.id, message.string, strict=False):
                        texts[msgid] = str(msgstr)
    return texts


def _used_msgids() -> dict[str, str]:
    used: dict[str, str] = {}
    # N_ and Nn_ are the domain's no-op markers (connector/domain/messages.py).
    keywords = {**DEFAULT_KEYWORDS, "Nn_": (1, 2)}
    for filename, _lineno, message, _comments, _context in extract_from_dir(str(ROOT), METHOD_MAP,
                                                                             keywords=keywords):
        ids = message if isinstance(message, tuple) else (message,)
        for msgid in ids:
            if msgid:
                used.setdefault(msgid, filename)
    return used


def test_every_visible_text_has_a_french_translation() -> None:
    french = _french()
    missing = {msgid: where for msgid, where in _used_msgids().items() if msgid not in french}
    assert not missing, f"{len(missing)} texts without French: {list(missing.items())[:20]}"


def _pairs(catalog: Any) -> dict[Any, Any]:
    def frozen(value: Any) -> Any:
        return tuple(value) if isinstance(value, list | tuple) else value

    return {frozen(m.id): frozen(m.string) for m in catalog if m.id}


def test_compiled_catalogs_match_their_sources() -> None:
    assert _catalogs(), "no translation catalog found"
    for po in _catalogs():
        mo = po.with_suffix(".mo")
        assert mo.exists(), f"{mo} missing: run python scripts/i18n.py compile"
        with po.open("rb") as handle:
            source = read_po(handle)
        expected = io.BytesIO()
        write_mo(expected, source)
        with mo.open("rb") as handle:
            compiled = read_mo(handle)
        expected.seek(0)
        wanted = read_mo(expected)
        assert _pairs(compiled) == _pairs(wanted), (
            f"{mo} is stale: run python scripts/i18n.py compile")


def test_a_text_has_one_french_translation_across_catalogs() -> None:
    """The catalogs are merged at run time: two translations of one text would make one lose."""
    seen: dict[tuple[str | None, str], tuple[Path, str]] = {}
    conflicts = []
    for po in _catalogs():
        with po.open("rb") as handle:
            for message in read_po(handle):
                if not (message.id and isinstance(message.id, str) and message.string):
                    continue
                # msgctxt tells one text from another with the same id ("MMMM d, y" for the 1st of a month)
                earlier = seen.setdefault((message.context, message.id), (po, str(message.string)))
                if earlier[1] != message.string:
                    conflicts.append((message.id, earlier, (po, message.string)))
    assert not conflicts, conflicts
