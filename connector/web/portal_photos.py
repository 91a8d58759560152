"""Shopper photos: type checked by magic bytes, size capped, stored with random names. Stdlib + werkzeug only."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import IO

MAX_PHOTO_BYTES = 8 * 1024 * 1024
MAX_PHOTOS_PER_ITEM = 3

# Names we hand out: 32 hex characters and a known extension. Anything else asked of
# photo_path() is refused, so a name can never walk out of the shop's folder.
_NAME = re.compile(r"[0-9a-f]{32}\.(?:jpg|png|webp|heic)")
# The ISO-BMFF brands of HEIF/HEIC files as phones write them.
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}


class PhotoRejected(ValueError):
    """A file that is not a photo we accept; `problem` is "type" or "size"."""

    def __init__(self, problem: str, filename: str) -> None:
        super().__init__(f"{filename}: {problem}")
        self.problem = problem
        self.filename = filename


@dataclass(frozen=True)
class Photo:
    """A checked upload, still in memory: nothing is written before the request is accepted."""

    extension: str
    data: bytes


def photo_kind(head: bytes) -> str | None:
    """The extension for a JPEG, PNG, WebP or HEIC file's first bytes; None for anything else."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return "heic"
    return None


def read_photo(stream: IO[bytes], filename: str) -> Photo:
    """Read at most one byte over the limit (never the whole of a huge upload) and check the type."""
    data = stream.read(MAX_PHOTO_BYTES + 1)
    if len(data) > MAX_PHOTO_BYTES:
        raise PhotoRejected("size", filename)
    kind = photo_kind(data[:16])
    if kind is None:
        raise PhotoRejected("type", filename)
    return Photo(kind, data)


def uploads_root(instance_path: str | Path) -> Path:
    return Path(instance_path) / "uploads"


def store_photo(instance_path: str | Path, shop_id: int, photo: Photo) -> str:
    """Write the photo under instance/uploads/<shop_id>/ and return its random name."""
    folder = uploads_root(instance_path) / str(int(shop_id))
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(16)}.{photo.extension}"
    # "xb": never overwrite, even in the astronomically unlikely case of a name collision.
    with (folder / name).open("xb") as handle:
        handle.write(photo.data)
    return name


def is_photo_name(name: str) -> bool:
    return bool(_NAME.fullmatch(name))


def photo_path_in(instance_path: str | Path, shop_id: int, name: str) -> Path:
    """Where a stored photo lives; ValueError for a name this module did not hand out."""
    if not is_photo_name(name):
        raise ValueError(f"not a photo name: {name!r}")
    return uploads_root(instance_path) / str(int(shop_id)) / name
