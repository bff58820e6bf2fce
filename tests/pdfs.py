"""Reading the ministry's PDFs back in tests: the QR codes a document carries.

``qr_targets(pdf_bytes)`` returns the text of every QR code in the document
(for our documents, the absolute verification URL). A QR code may be
embedded as an image (decoded straight from pypdf's image) or drawn as vector
paths (reportlab draws squares; weasyprint draws an SVG as paths), so when the
images hold none, the pages are rasterised with poppler's ``pdftoppm``
(Debian ``poppler-utils``, installed by the Makefile's system-deps-test) and
the bitmaps decoded. Decoding is zxing-cpp's, a real reader: a QR code that a
phone could not read is not found here either.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from pathlib import Path

import zxingcpp
from PIL import Image
from pypdf import PdfReader


def _decode(image: Image.Image) -> list[str]:
    # A white quiet zone around the symbol: images cropped to the modules
    # (segno's PNG with border=0, for instance) are otherwise unreadable.
    image = image.convert("L")
    framed = Image.new("L", (image.width + 40, image.height + 40), 255)
    framed.paste(image, (20, 20))
    return [found.text for found in zxingcpp.read_barcodes(framed)
            if found.format == zxingcpp.BarcodeFormat.QRCode]


def _from_images(reader: PdfReader) -> list[str]:
    texts: list[str] = []
    for page in reader.pages:
        for embedded in page.images:
            try:
                image = embedded.image
            except Exception:  # an image format PIL cannot open holds no QR code we issue
                continue
            if image is not None:
                texts.extend(_decode(image))
    return texts


def _rasterised(pdf_bytes: bytes, dpi: int = 200) -> list[str]:
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        raise RuntimeError("pdftoppm is missing: install poppler-utils (make system-deps-test)")
    texts: list[str] = []
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "document.pdf"
        source.write_bytes(pdf_bytes)
        subprocess.run([pdftoppm, "-r", str(dpi), "-gray", "-png", str(source),
                        str(Path(folder) / "page")], check=True, capture_output=True)
        for page in sorted(Path(folder).glob("page*.png")):
            with Image.open(page) as image:
                texts.extend(_decode(image))
    return texts


def qr_targets(pdf_bytes: bytes) -> list[str]:
    """The text of every QR code in the PDF, images first, else rasterised pages."""
    texts = _from_images(PdfReader(io.BytesIO(pdf_bytes)))
    return texts or _rasterised(pdf_bytes)
