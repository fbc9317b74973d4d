"""Evidence photos: what a file is, by its bytes; and the photo again, without its metadata.

A photo is known by its first bytes (a `.jpg` that is text is no photo, whatever its name),
decoded in full (a truncated or crafted file fails here, not at the retailer's), and
encoded again from its pixels alone: EXIF (GPS position, camera serial, time), XMP, IPTC
and comments are not carried over. Only the colour profile is kept, so colours stay true.
JPEG and PNG stay what they were; HEIC becomes JPEG, which every CS desk can open.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import pillow_heif
from PIL import Image, ImageOps

from shared.limits import MAX_PHOTO_BYTES, MAX_PHOTO_PIXELS

JPEG, PNG, HEIC = "image/jpeg", "image/png", "image/heic"
EXTENSIONS = {JPEG: "jpg", PNG: "png"}
# ISO base media brands of HEIF stills (HEIC and its variants; mif1/msf1 are the generic ones)
HEIF_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"})
ORIENTATION = 0x0112  # the EXIF tag that says which way is up
JPEG_QUALITY = 90  # a photo re-encoded from pixels (turned upright, or from HEIC)


class PhotoRejected(ValueError):
    """A file that cannot be taken as a photo; `status` is the HTTP status that says why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class CleanPhoto:
    """A photo as it is stored and sent: re-encoded, no metadata."""

    data: bytes
    content_type: str
    width: int
    height: int

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.content_type]


def sniff(raw: bytes) -> str | None:
    """The image type the bytes say they are (JPEG, PNG, HEIC), or None."""
    if raw.startswith(b"\xff\xd8\xff"):
        return JPEG
    if raw.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if raw[4:8] == b"ftyp" and raw[8:12] in HEIF_BRANDS:
        return HEIC
    return None


def clean_photo(raw: bytes) -> CleanPhoto:
    """The photo re-encoded without metadata; PhotoRejected if it is not one we take."""
    if len(raw) > MAX_PHOTO_BYTES:
        raise PhotoRejected(413, f"a photo may be at most {MAX_PHOTO_BYTES // (1024 * 1024)} MB")
    kind = sniff(raw)
    if kind is None:
        raise PhotoRejected(415, "not a photo: only JPEG, PNG and HEIC images are taken")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = _decoded(raw, kind)
            return _encoded(image, kind)
    except PhotoRejected:
        raise
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombWarning) as error:
        raise PhotoRejected(
            422, "the image could not be read: it is damaged or incomplete"
        ) from error


def _decoded(raw: bytes, kind: str) -> Image.Image:
    """The image's pixels, checked for size before they are decoded."""
    if kind == HEIC:
        heif = pillow_heif.open_heif(io.BytesIO(raw), convert_hdr_to_8bit=True)
        _check_pixels(*heif.size)
        image: Image.Image = heif.to_pillow()
        return image.convert("RGB")
    image = Image.open(io.BytesIO(raw), formats=["JPEG" if kind == JPEG else "PNG"])
    _check_pixels(*image.size)
    image.load()
    return image


def _check_pixels(width: int, height: int) -> None:
    if width * height > MAX_PHOTO_PIXELS:
        raise PhotoRejected(413, f"a photo may have at most {MAX_PHOTO_PIXELS:,} pixels")


def _encoded(image: Image.Image, kind: str) -> CleanPhoto:
    """Encode the pixels again, upright, with no metadata but the colour profile."""
    profile = image.info.get("icc_profile")
    turned = image.getexif().get(ORIENTATION, 1) != 1
    upright = ImageOps.exif_transpose(image) if turned else image  # the tag goes: apply it
    out = io.BytesIO()
    extra = {"icc_profile": profile} if profile else {}
    if kind == PNG:
        if "transparency" in image.info:
            extra["transparency"] = image.info["transparency"]
        upright.save(out, "PNG", **extra)
        content_type = PNG
    else:
        if kind == JPEG and not turned:  # the same quantisation: no visible loss, no growth
            image.save(out, "JPEG", quality="keep", **extra)
        else:
            rgb = upright if upright.mode in ("RGB", "L") else upright.convert("RGB")
            rgb.save(out, "JPEG", quality=JPEG_QUALITY, **extra)
        content_type = JPEG
    data = out.getvalue()
    if len(data) > MAX_PHOTO_BYTES:
        raise PhotoRejected(413, "the photo is too large once its metadata is removed")
    return CleanPhoto(data, content_type, upright.width, upright.height)
