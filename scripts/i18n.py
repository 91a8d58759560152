"""Translation catalogs: `python scripts/i18n.py compile` turns every messages.po under
connector/ into its messages.mo (committed, so a plain `pip install -e .` needs no step)."""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent


def catalogs() -> list[Path]:
    return sorted(ROOT.glob("connector/**/LC_MESSAGES/messages.po"))


def compile_all() -> None:
    for po in catalogs():
        with po.open("rb") as handle:
            catalog = read_po(handle)
        with po.with_suffix(".mo").open("wb") as handle:
            write_mo(handle, catalog)
        print(f"compiled {po.relative_to(ROOT)}")


if __name__ == "__main__":
    if sys.argv[1:] != ["compile"]:
        sys.exit("usage: python scripts/i18n.py compile")
    compile_all()
