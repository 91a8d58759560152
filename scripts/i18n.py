"""The one translation catalog, connector/translations/<lang>/LC_MESSAGES/messages.po.

    python scripts/i18n.py extract   # every marked text (babel.cfg) -> connector/translations/messages.pot
    python scripts/i18n.py update    # extract, then add new texts to each messages.po and drop unused ones
    python scripts/i18n.py compile   # each messages.po -> its messages.mo (committed: pip install needs no step)

Texts are marked with gettext/ngettext/pgettext (web: Flask-Babel's, elsewhere connector.i18n's),
`_` in templates, and in the domain with the no-op markers `N_` and `Nn_` (plural forms).
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
CATALOG_DIR = ROOT / "connector" / "translations"
TEMPLATE = CATALOG_DIR / "messages.pot"
# The domain's no-op markers (connector/domain/messages.py) besides gettext's usual names.
KEYWORDS = {**DEFAULT_KEYWORDS, "Nn_": (1, 2)}


def catalogs() -> list[Path]:
    return sorted(CATALOG_DIR.glob("*/LC_MESSAGES/messages.po"))


def method_map() -> list[tuple[str, str]]:
    with (ROOT / "babel.cfg").open() as handle:
        methods, _options = parse_mapping_cfg(handle)
    return methods


def extract() -> Catalog:
    template = Catalog(project="returns-connector", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
            str(ROOT), method_map(), keywords=KEYWORDS, comment_tags=("Translators:",),
            strip_comment_tags=True):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    with TEMPLATE.open("wb") as handle:
        write_po(handle, template, width=110, omit_header=False, sort_output=True)
    print(f"extracted {len(template)} texts into {TEMPLATE.relative_to(ROOT)}")
    return template


def update() -> None:
    template = extract()
    for po in catalogs():
        with po.open("rb") as handle:
            catalog = read_po(handle)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()  # a text no longer used leaves the catalog
        with po.open("wb") as handle:
            write_po(handle, catalog, width=110, sort_output=True)
        missing = [m.id for m in catalog
                   if m.id and not (all(m.string) if isinstance(m.id, tuple) else m.string)]
        print(f"updated {po.relative_to(ROOT)}: {len(missing)} texts to translate")


def compile_all() -> None:
    for po in catalogs():
        with po.open("rb") as handle:
            catalog = read_po(handle)
        with po.with_suffix(".mo").open("wb") as handle:
            write_mo(handle, catalog)
        print(f"compiled {po.relative_to(ROOT)}")


COMMANDS = {"extract": extract, "update": update, "compile": compile_all}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in COMMANDS:
        sys.exit("usage: python scripts/i18n.py extract|update|compile")
    COMMANDS[sys.argv[1]]()
