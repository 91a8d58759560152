"""A one-page PDF label drawn with the standard library: the specimen carrier's sample labels.

Only the 14 standard PDF fonts are used (no font file to embed); text is WinAnsi, which has É.
"""

from __future__ import annotations

import zlib


def _text(value: str) -> bytes:
    """A PDF string literal in WinAnsi (cp1252); what cp1252 lacks becomes '?'."""
    raw = value.encode("cp1252", errors="replace")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def _barcode(code: str, x: int, y: int) -> bytes:
    """Bars of varying width from the code's characters: looks like a barcode, scans as nothing."""
    bars = []
    pos = x
    for char in code:
        value = ord(char)
        for width in (1 + value % 3, 1 + (value // 3) % 3):
            bars.append(f"{pos} {y} {width} 50 re".encode())
            pos += width + 2
    return b"\n".join(bars) + b"\nf\n"


def label_pdf(lines: list[str], tracking_number: str, watermark: str = "SPÉCIMEN") -> bytes:
    """An A6-sized label (298 x 420 pt): the lines, a fake barcode, and the watermark across it."""
    content = [b"q 0.85 g BT /F2 54 Tf 0.7071 0.7071 -0.7071 0.7071 60 90 Tm " + _text(watermark) + b" Tj ET Q"]
    content.append(b"BT /F2 16 Tf 20 392 Td " + _text(watermark) + b" Tj ET")
    content.append(b"BT /F1 9 Tf 20 378 Td " + _text("NE PAS EXPÉDIER / DO NOT SHIP") + b" Tj ET")
    y = 356
    for line in lines:
        content.append(f"BT /F1 10 Tf 20 {y} Td ".encode() + _text(line) + b" Tj ET")
        y -= 14
    content.append(b"0 g\n" + _barcode(tracking_number, 20, 60))
    content.append(b"BT /F1 11 Tf 20 40 Td " + _text(tracking_number) + b" Tj ET")
    stream = zlib.compress(b"\n".join(content))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 298 420] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R /F2 6 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" /Filter /FlateDecode >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)
