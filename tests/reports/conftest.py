"""Fixtures shared by the photo pipeline tests."""

from __future__ import annotations

import pytest
from PIL import Image, ImageFile

from tests import images
from tests.reports.photo_helpers import SERIAL


@pytest.fixture
def forbid_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any attempt to open or decode an image with Pillow fail the test."""

    def refuse(*args: object, **kwargs: object) -> None:
        pytest.fail("Pillow was asked to open or decode the file")

    monkeypatch.setattr(Image, "open", refuse)
    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)


@pytest.fixture(scope="module")
def phone() -> bytes:
    return images.phone_jpeg(4000, 3000, 6, images.BERLIN, SERIAL)
