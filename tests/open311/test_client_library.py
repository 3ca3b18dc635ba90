"""An independent, published Open311 client against the real app over real HTTP.

The client is `georeport` (PyPI, 0.3.1), the one Python Open311 client that runs on
Python 3.11 unpatched (`three` 0.8.0 and `open311` 1.1 are Python 2 code). It reads
services, service definitions and requests in JSON and XML; it cannot file requests
("does not currently support the creation of new 311 service requests"), so filing is done
with `requests`, its own HTTP dependency, the way its users would add it.
"""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

georeport = pytest.importorskip("georeport")
requests = pytest.importorskip("requests")

from tests import images  # noqa: E402
from tests.open311.conftest import INSIDE  # noqa: E402
from tests.passes import run_privacy_passes  # noqa: E402


@pytest.fixture
def endpoint(app, monkeypatch) -> Iterator[str]:
    """The app served on a free loopback port in a thread, shut down afterwards."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/open311/v2"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_georeport_client_reads_what_it_filed(app, endpoint, api_key, fmt):
    client = georeport.GeoReport(
        endpoint, jurisdiction="musterstadt", api_key=api_key, output_format=fmt
    )

    services = client.get_service_list()
    by_code = {s["service_code"]: s for s in services}
    assert by_code["schlagloch"]["service_name"] == "Schlagloch"
    assert by_code["schlagloch"]["type"] == "realtime"
    definition = client.get_service_definition("schlagloch")
    assert definition["service_code"] == "schlagloch"
    assert not definition["attributes"]  # [] in JSON, an empty element in XML
    with pytest.raises(requests.HTTPError) as info:
        client.get_service_definition("gibtsnicht")
    assert info.value.response.status_code == 404

    # Filing: a form POST with the key in the body, and one with a photo (multipart).
    filed = requests.post(
        f"{endpoint}/requests.{fmt}",
        data={
            "api_key": client.api_key,
            "jurisdiction_id": client.jurisdiction,
            "service_code": "schlagloch",
            **INSIDE,
            "description": "Tiefes Loch – bitte prüfen",
            "email": "erika@example.org",
            "first_name": "Erika",
        },
        timeout=10,
    )
    assert filed.status_code == 201, filed.text
    photo = images.phone_jpeg(width=400, height=300, gps=(8.7701, 50.1012))
    with_photo = requests.post(
        f"{endpoint}/requests.{fmt}",
        params={"api_key": client.api_key},
        data={"service_code": "strassenlaterne"},
        files={"media": ("lamp.jpg", photo, "image/jpeg")},
        timeout=10,
    )
    assert with_photo.status_code == 201, with_photo.text
    run_privacy_passes(app)  # as the worker does after each photo's intake
    if fmt == "json":
        first_id = filed.json()[0]["service_request_id"]
        second_id = with_photo.json()[0]["service_request_id"]
    else:
        first_id = ET.fromstring(filed.content).findtext("request/service_request_id")
        second_id = ET.fromstring(with_photo.content).findtext("request/service_request_id")

    one = client.get_service_request(first_id)
    assert one["service_request_id"] == first_id
    assert one["status"] == "open"
    assert one["service_code"] == "schlagloch"
    assert one["agency_responsible"] == "Tiefbauamt"
    assert float(one["lat"]) == 50.1005 and float(one["long"]) == 8.7655
    assert "erika" not in repr(one).lower()

    listed = client.get_service_requests(status="open", service_code="schlagloch,strassenlaterne")
    listed = listed if isinstance(listed, list) else [listed]  # xmltodict: one is a dict
    assert {r["service_request_id"] for r in listed} == {first_id, second_id}
    lamp = client.get_service_requests(service_request_id=second_id)
    lamp = lamp[0] if isinstance(lamp, list) else lamp
    # Street lights publish automatically: the photo is public, as an absolute URL.
    assert lamp["media_url"].startswith("http://maengel.test/media/")

    denied = requests.post(
        f"{endpoint}/requests.{fmt}",
        data={"api_key": "wrong", "service_code": "schlagloch", **INSIDE},
        timeout=10,
    )
    assert denied.status_code == 403
    assert "api_key" in denied.text
