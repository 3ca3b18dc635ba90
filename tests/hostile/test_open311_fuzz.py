"""Property-based fuzzing of Open311 GeoReport v2 (/open311), beyond what schemathesis covers.

Hypothesis (derandomized, bounded) calls every Open311 resource in .json, .xml and odd formats
with generated path segments, query parameters and form bodies: known parameter names with
hostile values, unknown names, NUL bytes, huge strings, dates out of range, SQL fragments,
photos that are and are not images. Every answer must be no 5xx, in the format the path asks
for (the spec's JSON or well-formed XML), and a refused POST must store nothing.
"""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from collections import Counter
from urllib.parse import quote, urlsplit

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests import images
from tests.hostile.helpers import media_files
from tests.reports.helpers import counts

ROOT = "/open311/v2"
JSON_TYPE = "application/json; charset=utf-8"
XML_TYPE = "text/xml; charset=utf-8"
EXAMPLES = 150

KNOWN_PARAMS = (
    "service_request_id",
    "service_code",
    "start_date",
    "end_date",
    "status",
    "page",
    "page_size",
    "extensions",
    "locale",
    "api_key",
    "lat",
    "long",
    "address_string",
    "address_id",
    "email",
    "device_id",
    "account_id",
    "first_name",
    "last_name",
    "phone",
    "description",
    "media_url",
    "jurisdiction_id",
)
NASTY = (
    "",
    " ",
    "\x00",
    "a\x00b",
    "open",
    "closed",
    "open,closed,",
    "schlagloch",
    "schlagloch,graffiti,ufo",
    "2026-000001",
    "2026-000001," * 50,
    "2026-03-10T00:00:00Z",
    "2026-03-10T00:00:00",
    "0001-01-01T00:00:00+05:00",
    "9999-12-31T23:59:59-05:00",
    "2026-13-45T99:99:99Z",
    "-1",
    "0",
    "1",
    "999999999999999999999",
    "1e309",
    "NaN",
    "-inf",
    "50.1005",
    "8.7655",
    "true",
    "TRUE",
    "de",
    "en-GB",
    "x" * 5000,
    "' OR 1=1 --",
    '"; DROP TABLE reports; --',
    "%' UNION SELECT email FROM users --",
    "<script>alert(1)</script>",
    "]]><!--",
    "\ud7ff\ue000\U0001f4a9",
    "\x01\x02\x1b[31m",
    "../../etc/passwd",
    "mm_" + "A" * 43,
)
text = st.text(st.characters(exclude_categories=("Cs",)), max_size=60)
values = st.one_of(st.sampled_from(NASTY), text)
params = st.dictionaries(st.one_of(st.sampled_from(KNOWN_PARAMS), text), values, max_size=8)
formats = st.one_of(
    st.sampled_from(["json", "xml"]),
    st.sampled_from(["JSON", "Xml", "html", "", "json.xml", "j%00son", "xml/"]),
)
segments = st.one_of(st.sampled_from(["schlagloch", "2026-000001", "..", "%2e%2e", ""]), text)


@st.composite
def calls(draw, valid_key: str):
    """One Open311 call: method, path, query, form fields and files."""
    fmt = draw(formats)
    kind = draw(
        st.sampled_from(
            ["discovery", "services", "service", "requests", "request", "token", "other"]
            + ["post"] * 3
        )
    )
    segment = draw(segments)
    segment = quote(segment, safe="") if draw(st.booleans()) else segment
    path = {
        "discovery": f"{ROOT}/discovery.{fmt}",
        "services": f"{ROOT}/services.{fmt}",
        "service": f"{ROOT}/services/{segment}.{fmt}",
        "requests": f"{ROOT}/requests.{fmt}",
        "request": f"{ROOT}/requests/{segment}.{fmt}",
        "token": f"{ROOT}/tokens/{segment}.{fmt}",
        "post": f"{ROOT}/requests.{fmt}",
        "other": f"/open311/{segment}",
    }[kind]
    query = draw(params)
    method = "POST" if kind == "post" else draw(st.sampled_from(["GET", "GET", "POST", "DELETE"]))
    form, files = {}, {}
    if method == "POST":
        # A quarter of the posts are valid requests, a quarter valid ones with hostile extras,
        # so filing is reached as well as every refusal.
        mode = draw(st.sampled_from(["valid", "extras", "random", "random"]))
        form = draw(params) if mode != "valid" else {}
        query = query if mode == "random" else {}
        if mode != "random" or draw(st.booleans()):
            form.update(api_key=valid_key, service_code="schlagloch")
        if mode != "random" or draw(st.booleans()):
            form.update(lat="50.1005", long="8.7655")
        photo = draw(st.sampled_from([None, None, "good", "text", "random", "truncated"]))
        if photo is not None:
            blob = {
                "good": images.phone_jpeg(160, 120, 1, None),
                "text": images.text_as_jpg(),
                "random": draw(st.binary(max_size=300)),
                "truncated": images.phone_jpeg(160, 120, 1, None)[:900],
            }[photo]
            files[draw(st.sampled_from(["media", "media", "photos", "x"]))] = blob
    return method, path, query, form, files


def _check_format(path: str, resp) -> None:
    """Open311 answers in the format the path names (.xml, else JSON), always parseable."""
    path = urlsplit(path).path
    if path.rstrip("/") == "/open311":
        assert resp.status_code == 404  # no resource at all: Flask's own 404 page
        return
    if path.lower().endswith(".xml"):
        assert resp.content_type == XML_TYPE, (path, resp.content_type)
        root = ET.fromstring(resp.data)
        codes = [e.findtext("code") for e in root.iter("error")] if root.tag == "errors" else []
    elif resp.status_code != 204:
        assert resp.content_type == JSON_TYPE, (path, resp.content_type)
        body = json.loads(resp.data)
        codes = [str(e["code"]) for e in body] if resp.status_code >= 400 else []
    else:
        codes = []
    # An error's code is its HTTP status (GeoReport v2), whichever way it was refused.
    assert resp.status_code < 400 or codes == [str(resp.status_code)], (path, codes)


def test_open311_never_fails_and_stores_nothing_it_refuses(app, client, staff, media_dir):
    key = staff.token("crew", "tiefbau")
    seeded = client.post(
        f"{ROOT}/requests.json",
        data={"api_key": key, "service_code": "schlagloch", "lat": "50.1005", "long": "8.7655"},
    )
    assert seeded.status_code == 201, seeded.get_data(as_text=True)
    seen: Counter[str] = Counter()

    @given(call=calls(key))
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def check(call):
        method, path, query, form, files = call
        before, before_files = counts(app), media_files(media_dir)
        data = dict(form)
        for name, blob in files.items():
            data[name] = (io.BytesIO(blob), "photo.jpg")
        resp = client.open(path, method=method, query_string=query, data=data or None)
        assert resp.status_code < 500, (method, path, query, form, resp.get_data(as_text=True))
        _check_format(path, resp)
        seen[f"{method} {resp.status_code}"] += 1
        if resp.status_code != 201:
            assert counts(app) == before, (method, path, query, form)
            assert media_files(media_dir) == before_files
        else:
            assert counts(app)["reports"] == before["reports"] + 1

    check()
    print(dict(seen))
    # The run reached filing, reading and refusing, not only one kind of answer.
    assert seen["POST 201"] and seen["GET 200"] and seen["GET 400"] and seen["GET 404"], seen


def _multipart(parts: list[tuple[bytes, bytes]]) -> bytes:
    body = b""
    for disposition, content in parts:
        body += b"--XX\r\nContent-Disposition: " + disposition + b"\r\n\r\n" + content + b"\r\n"
    return body + b"--XX--\r\n"


def test_multipart_parts_without_a_name(app, client, staff, media_dir):
    """A part without a name (werkzeug reads its name as None) was a 500 in Open311."""
    key = staff.token("crew", "tiefbau").encode()
    valid = [
        (b'form-data; name="api_key"', key),
        (b'form-data; name="service_code"', b"schlagloch"),
        (b'form-data; name="lat"', b"50.1005"),
        (b'form-data; name="long"', b"8.7655"),
    ]
    kind = "multipart/form-data; boundary=XX"
    before, files = counts(app), media_files(media_dir)

    unnamed_file = _multipart([*valid, (b'form-data; filename="a.jpg"', b"xx")])
    resp = client.post(f"{ROOT}/requests.json", data=unnamed_file, content_type=kind)
    assert resp.status_code == 400, resp.get_data(as_text=True)
    assert "media" in resp.json[0]["description"]
    assert (counts(app), media_files(media_dir)) == (before, files)
    resp = client.post("/api/v1/reports", data=unnamed_file, content_type=kind)
    assert resp.status_code == 422 and counts(app) == before

    # An unnamed text part is no parameter at all: the request is filed as without it.
    for disposition in (b"form-data", b"form-data; name="):
        resp = client.post(
            f"{ROOT}/requests.json",
            data=_multipart([*valid, (disposition, b"stray")]),
            content_type=kind,
        )
        assert resp.status_code == 201, resp.get_data(as_text=True)
    assert counts(app)["reports"] == before["reports"] + 2
