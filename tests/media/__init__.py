"""The media storage's backends: the local folder and an S3-compatible object store.

Tests decorated with `BOTH_MEDIA` run once per backend: the `media_backend` fixture ("local"
by default) is then "local" and "s3", and `media_dir` is the folder or the test's own prefix
in a bucket of a private SeaweedFS (tests/media/seaweed.py). `media_files` of the test
helpers lists either.
"""

from __future__ import annotations

import pytest

BOTH_MEDIA = pytest.mark.parametrize("media_backend", ["local", "s3"])
