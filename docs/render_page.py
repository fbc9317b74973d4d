"""Render the first page of a PDF to PNG: `python docs/render_page.py packet.pdf out.png`.

Used for docs/dispute-packet.png, from a packet downloaded with
`curl -H "Authorization: Bearer $TOKEN" $COORDINATOR/v1/sessions/$ID/dispute-packet -o packet.pdf`.
pypdfium2 (a test dependency) renders with PDFium, the engine of Chromium's PDF viewer.
"""

from __future__ import annotations

import sys

import pypdfium2 as pdfium


def main(source: str, target: str, scale: float = 1.6) -> None:
    """Write the first page of `source` as a PNG image to `target`."""
    document = pdfium.PdfDocument(source)
    document[0].render(scale=scale).to_pil().save(target)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
