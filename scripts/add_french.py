"""Add French texts to a catalog: `python scripts/add_french.py CATALOG.po < pairs.json` ([[en, fr], ...]).

Existing entries keep their place; new ones are appended; the .mo is compiled again.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po


def main(po_path: Path, pairs: list[list[object]]) -> None:
    if po_path.exists():
        with po_path.open("rb") as handle:
            catalog = read_po(handle)
    else:
        catalog = Catalog(locale="fr", domain="messages", project="returns-connector")
    # French as gettext and the other catalogs count it: one form for 0 and 1, one above.
    catalog.mime_headers = [("Plural-Forms", "nplurals=2; plural=(n > 1);")]
    for en, fr in pairs:
        msgid = tuple(en) if isinstance(en, list) else en
        msgstr = tuple(fr) if isinstance(fr, list) else fr
        catalog.add(msgid, msgstr)  # type: ignore[arg-type]
    with po_path.open("wb") as handle:
        write_po(handle, catalog, width=0, omit_header=False, sort_output=False)
    with po_path.with_suffix(".mo").open("wb") as handle:
        write_mo(handle, catalog)


if __name__ == "__main__":
    main(Path(sys.argv[1]), json.load(sys.stdin))
