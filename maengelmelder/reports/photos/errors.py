"""PhotoError: the stable, bilingual error codes of the photo pipeline."""

from __future__ import annotations

# The formats taken, and how to get one from an iPhone whose photo is not (a Live Photo's
# video, ProRAW, a HEIF the server cannot decode).
_FORMATS = (
    "Bitte laden Sie ein Foto als JPEG, HEIC, AVIF, PNG, WebP oder GIF hoch.",
    "Please upload a photo as JPEG, HEIC, AVIF, PNG, WebP or GIF.",
)
_IPHONE = (
    "Vom iPhone: Nehmen Sie das Foto in der App auf (sie wandelt es um) oder wählen Sie "
    "unter Einstellungen > Kamera > Formate „Maximale Kompatibilität“.",
    "From an iPhone: take the photo in the app (it converts the photo), or choose "
    "Settings > Camera > Formats > “Most Compatible”.",
)

_MESSAGES: dict[str, tuple[str, str]] = {
    "empty": ("Die Datei ist leer.", "The file is empty."),
    "not_an_image": (
        f"Die Datei ist kein Bild. {_FORMATS[0]}",
        f"The file is not an image. {_FORMATS[1]}",
    ),
    "unsupported_format": (
        f"Dieses Bildformat wird nicht unterstützt. {_FORMATS[0]} {_IPHONE[0]}",
        f"This image format is not supported. {_FORMATS[1]} {_IPHONE[1]}",
    ),
    "truncated": (
        "Die Bilddatei ist unvollständig oder beschädigt. Bitte laden Sie sie erneut hoch.",
        "The image file is incomplete or damaged. Please upload it again.",
    ),
    "too_many_pixels": (
        "Das Bild ist zu groß. Erlaubt sind höchstens {limit} Megapixel.",
        "The image is too large. At most {limit} megapixels are allowed.",
    ),
    "too_large": (
        "Die Datei ist zu groß. Erlaubt sind höchstens {limit} MB.",
        "The file is too large. At most {limit} MB are allowed.",
    ),
}


class PhotoError(ValueError):
    """An upload that cannot be used as a report photo.

    ``code`` is stable and machine-readable, ``message`` holds citizen-facing texts
    (``"de"`` first, ``"en"``), ``status`` is the HTTP status to answer with: 413 for
    ``too_large`` (the request body is the problem), 422 for everything else (the request
    was well-formed but its content cannot be processed).
    """

    CODES = tuple(_MESSAGES)

    def __init__(self, code: str, message: dict[str, str] | None = None) -> None:
        if code not in _MESSAGES:
            raise ValueError(f"unknown photo error code {code!r}")
        if message is None:
            de, en = _MESSAGES[code]
            message = {"de": de, "en": en}
        super().__init__(code, message)  # both in args, so the error pickles (e.g. for RQ)
        self.code: str = code
        self.message: dict[str, str] = message
        self.status: int = 413 if code == "too_large" else 422

    def __str__(self) -> str:
        return f"{self.code}: {self.message['en']}"

    @classmethod
    def _with_limit(cls, code: str, limit: float) -> PhotoError:
        # Three significant digits at most, no exponent; German uses a decimal comma.
        text = f"{limit:.3g}" if limit < 100 else str(round(limit))
        de, en = _MESSAGES[code]
        return cls(
            code,
            {"de": de.format(limit=text.replace(".", ",")), "en": en.format(limit=text)},
        )
