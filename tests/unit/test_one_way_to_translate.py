"""One way to translate: the Babel catalog in connector/translations, read through gettext.

No `if locale == "fr"` branch, no second table of texts per language, no second catalog:
a text added any other way would be missing from the catalog the translators work on.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from babel.messages.pofile import read_po

from connector.app import translation_directories
from connector.domain.messages import MESSAGES, Reason, Wording
from connector.i18n import CATALOG_DIR, gettext, ngettext, say

ROOT = Path(__file__).resolve().parents[2]
# connector/ and the packages that plug into it: a platform's flow moved out of the core keeps the rule.
SOURCES = sorted(path for package in ("connector", "platforms", "webhooks", "carriers")
                 for path in (ROOT / package).rglob("*.py"))
LANGUAGE_CODES = {"fr", "en", "fr_FR", "en_US", "fr-FR", "en-US"}

# Files another change of issue 15 moves into platforms/woocommerce (h4): they keep their own
# French branch until they are worded through connector.i18n. The list only shrinks.
NOT_YET: set[str] = set()


def _sources() -> list[tuple[str, ast.Module]]:
    found = []
    for path in SOURCES:
        name = path.relative_to(ROOT).as_posix()
        if name not in NOT_YET:
            found.append((name, ast.parse(path.read_text(encoding="utf-8"), name)))
    return found


def _is_language(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value in LANGUAGE_CODES


def test_no_code_branches_on_the_readers_language() -> None:
    """`locale == "fr"`, `lang != "en"`, `x in ("fr", ...)`: the catalog decides the words, not an if."""
    branches = []
    for name, tree in _sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.Compare) and any(
                    isinstance(op, ast.Eq | ast.NotEq) for op in node.ops) and any(
                    _is_language(side) for side in (node.left, *node.comparators)):
                branches.append(f"{name}:{node.lineno}")
    assert branches == [], branches


def _is_text(node: ast.AST) -> bool:
    return (isinstance(node, ast.Constant) and isinstance(node.value, str)) or isinstance(
        node, ast.JoinedStr | ast.Dict | ast.Tuple | ast.List)


def test_no_second_table_of_texts_per_language() -> None:
    """A dict of texts keyed by language codes ({"fr": "...", "en": "..."}) is a second catalog."""
    tables = []
    for name, tree in _sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.Dict):
                by_language = [v for k, v in zip(node.keys, node.values, strict=True) if k is not None
                               and _is_language(k)]
                if len(by_language) >= 2 and all(_is_text(v) for v in by_language):
                    tables.append(f"{name}:{node.lineno}")
    assert tables == [], tables


def test_no_text_table_named_like_the_old_one() -> None:
    for path in SOURCES:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*TEXTS\s*[:=]", text, re.M), path


def test_there_is_one_catalog() -> None:
    catalogs = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "connector").rglob("LC_MESSAGES"))
    assert catalogs == ["connector/translations/fr/LC_MESSAGES"]
    assert translation_directories() == [CATALOG_DIR]


def test_the_domain_does_not_translate() -> None:
    """The domain marks msgids and builds reasons; Babel and gettext are the edges' business."""
    for path in sorted((ROOT / "connector" / "domain").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert "babel" not in text.lower().replace("babel catalog", ""), path
        assert "gettext(" not in text, path


def test_every_domain_code_is_in_the_catalog_in_french() -> None:
    with (CATALOG_DIR / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle)

    def translated(wording: Wording) -> bool:
        found = catalog.get((wording.singular, wording.plural) if wording.plural else wording.singular)
        return found is not None and all(found.string if wording.plural else (found.string,))

    assert [code for code, wording in MESSAGES.items() if not translated(wording)] == []


def test_french_typography_and_plural_forms_come_from_the_catalog() -> None:
    assert gettext("%(label)s:", "fr", label="Quantité") == "Quantité\u202f:"
    assert gettext("%(label)s:", "en", label="Quantity") == "Quantity:"
    assert ngettext("%(num)d day", "%(num)d days", 0, "fr") == "0 jour"  # French: 0 is singular
    assert ngettext("%(num)d day", "%(num)d days", 0, "en") == "0 days"
    assert say(Reason.of("quantity_too_high", max_quantity=2), "fr_FR").startswith("Vous pouvez retourner")
