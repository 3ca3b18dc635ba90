"""`maengelmelder media migrate`: every file the database refers to (originals included) is
copied between the folder and the bucket, checked, and a second run changes nothing."""

from __future__ import annotations

from pathlib import Path

from maengelmelder.storage import init_app
from tests.media.seaweed import new_prefix
from tests.passes import run_privacy_passes
from tests.privacy.test_pass import street_photo
from tests.reports.helpers import media_files, post_multipart, report_json


def tree(place) -> dict[str, bytes]:
    if isinstance(place, Path):
        return {str(p.relative_to(place)): p.read_bytes() for p in media_files(place)}
    return {item.key: item.read_bytes() for item in media_files(place)}


def migrate(app, to: str):
    return app.test_cli_runner().invoke(args=["media", "migrate", "--to", to])


def test_migrate_to_s3_and_back_copies_checks_and_runs_twice(
    app, client, media_dir, s3_server, tmp_path
):
    resp = post_multipart(client, report_json(), [street_photo()])  # a face: an original too
    assert resp.status_code == 201, resp.json
    run_privacy_passes(app)
    folder = tree(media_dir)
    assert len(folder) == 4  # web and thumbnail, of the blurred photo and of its original
    bucket = new_prefix(s3_server)
    app.config.update(bucket.settings())

    first = migrate(app, "s3")
    assert first.exit_code == 0, first.output
    assert "4 copied, 0 already there and equal, 0 missing" in first.output
    assert "MAENGELMELDER_MEDIA_URL=" + bucket.url in first.output
    assert tree(bucket) == folder

    again = migrate(app, "s3")
    assert again.exit_code == 0 and "0 copied, 4 already there and equal" in again.output

    # A damaged copy fails the checksum comparison and is written again.
    damaged = media_files(bucket)[0]
    s3_server.client().put_object(Bucket="media", Key=bucket.prefix + damaged.key, Body=b"x")
    fixed = migrate(app, "s3")
    assert "1 copied, 3 already there and equal" in fixed.output
    assert tree(bucket) == folder

    # Switched: the same app on the bucket serves the photos.
    init_app(app)
    with app.app_context():
        from maengelmelder.storage import storage

        assert storage().kind == "s3"
    for photo in client.get(f"/api/v1/reports/{resp.json['report']['public_id']}").json["photos"]:
        assert client.get(photo["url"]).status_code == 200

    # And back, into an empty folder.
    app.config["MEDIA_DIR"] = str(tmp_path / "back")
    back = migrate(app, "local")
    assert back.exit_code == 0, back.output
    assert "4 copied" in back.output and "unset MAENGELMELDER_MEDIA_URL" in back.output
    assert tree(tmp_path / "back") == folder


def test_a_file_in_neither_backend_is_reported_and_fails_the_run(app, client, media_dir, s3_server):
    assert post_multipart(client, report_json(), [street_photo()]).status_code == 201
    media_files(media_dir)[0].unlink()
    app.config.update(new_prefix(s3_server).settings())
    result = migrate(app, "s3")
    assert result.exit_code == 1
    assert "1 copied, 0 already there and equal, 1 missing in the source" in result.output
