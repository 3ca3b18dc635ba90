"""Reading service requests: filters, the 90-day window, fields, moderation, privacy."""

from __future__ import annotations

import io

import pytest

from tests import images
from tests.open311.conftest import (
    INSIDE,
    ROOT,
    as_strings,
    errors_of,
    json_data,
    xml_data,
    xml_root,
)
from tests.passes import run_privacy_passes

FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]


def _get(client, query="", fmt="json"):
    resp = client.get(f"{ROOT}/requests.{fmt}{query}")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return json_data(resp) if fmt == "json" else xml_data(resp)


def _ids(client, query=""):
    return [r["service_request_id"] for r in _get(client, query)]


def test_a_request_has_every_open311_field(client, file_request, clock):
    rid = file_request(description="Loch", address_string="Hauptstraße 12")
    [item] = _get(client)
    assert list(item) == FIELDS
    assert item["service_request_id"] == rid
    assert item["status"] == "open"
    assert item["status_notes"] is None
    assert item["service_name"] == "Schlagloch"
    assert item["service_code"] == "schlagloch"
    assert item["description"] == ""  # not yet published
    assert item["agency_responsible"] == "Tiefbauamt"
    assert "48" in item["service_notice"]
    assert item["requested_datetime"] == "2026-03-10T09:00:00Z"
    assert item["updated_datetime"] == "2026-03-10T09:00:00Z"
    assert item["expected_datetime"] == "2026-03-12T09:00:00Z"
    assert item["address"] is None  # the citizen's words: public once published
    assert item["address_id"] is None and item["zipcode"] is None
    assert (item["lat"], item["long"]) == (50.1005, 8.7655)
    assert item["media_url"] is None

    english = _get(client, "?locale=en")[0]
    assert english["service_name"] == "Pothole"
    assert english["agency_responsible"] == "Civil Engineering Office"


def test_the_address_is_public_once_staff_published_the_report(client, file_request, desk):
    rid = file_request(description="Loch", address_string="Hauptstraße 12")
    assert _get(client)[0]["address"] is None
    desk.publish(rid)
    assert _get(client)[0]["address"] == "Hauptstraße 12"


def test_xml_matches_json(client, file_request, desk):
    rid = file_request(description='<b>"Loch" & Co</b>\nzweite Zeile \x01', address_string="A&B")
    desk.publish(rid)
    desk.move(rid, "acknowledged", public_note="Wir kümmern uns <sofort>.")
    file_request(service_code="papierkorb")
    for query in ("", "?extensions=true", "?status=open&locale=en"):
        as_json = _get(client, query)
        xml = client.get(f"{ROOT}/requests.xml{query}")
        # The one difference: XML 1.0 cannot carry U+0001, so the XML leaves it out.
        expected = as_strings(as_json)
        for item in expected:
            item["description"] = item["description"].replace("\x01", "")
        assert xml_data(xml) == expected
        assert xml.data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<service_requests>')
    [one] = _get(client, f"?service_request_id={rid}")
    assert one["description"] == '<b>"Loch" & Co</b>\nzweite Zeile \x01'
    root = xml_root(client.get(f"{ROOT}/requests/{rid}.xml"))
    # ElementTree escaped it; characters XML cannot carry are dropped.
    assert root.findtext("request/description") == '<b>"Loch" & Co</b>\nzweite Zeile '
    assert root.findtext("request/status_notes") == "Wir kümmern uns <sofort>."


def test_one_request_by_id_in_both_formats(client, file_request):
    rid = file_request()
    body = json_data(client.get(f"{ROOT}/requests/{rid}.json"))
    assert isinstance(body, list) and len(body) == 1
    assert body[0]["service_request_id"] == rid
    root = xml_root(client.get(f"{ROOT}/requests/{rid}.xml?jurisdiction_id="))
    assert root.tag == "service_requests" and len(root.findall("request")) == 1


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_request_is_404(client, fmt):
    resp = client.get(f"{ROOT}/requests/2026-999999.{fmt}")
    assert resp.status_code == 404
    assert "2026-999999" in errors_of(resp, fmt)[0]["description"]


def test_no_match_is_an_empty_list(client, file_request):
    file_request()
    assert _get(client, "?service_code=gehweg") == []
    resp = client.get(f"{ROOT}/requests.xml?service_code=gehweg")
    assert resp.status_code == 200
    assert resp.data.endswith(b"<service_requests />")
    assert len(xml_root(resp)) == 0


def test_default_window_is_the_last_90_days(client, file_request, clock):
    old = file_request()
    clock.advance(days=1)
    recent = file_request()
    clock.advance(days=90)  # old is now 91 days old, recent 90
    assert _ids(client) == [recent]
    assert _ids(client, f"?service_request_id={old}") == [old]  # ids override the window


def test_date_range(client, file_request, clock):
    first = file_request()
    clock.advance(days=10)
    second = file_request()
    clock.advance(days=10)
    third = file_request()
    assert _ids(client) == [third, second, first]  # newest first
    assert _ids(client, "?start_date=2026-03-15T00:00:00Z") == [third, second]
    assert _ids(client, "?end_date=2026-03-25T00:00:00Z") == [second, first]
    query = "?start_date=2026-03-15T00:00:00%2B01:00&end_date=2026-03-25T00:00:00%2B01:00"
    assert _ids(client, query) == [second]
    # A '+' sent unencoded arrives as a space; it is still understood.
    assert _ids(client, "?start_date=2026-03-20T09:00:00+00:00") == [third, second]
    assert _ids(client, "?start_date=2026-03-01T00:00:00Z&end_date=") == [third, second, first]


@pytest.mark.parametrize(
    "query",
    [
        "?start_date=2026-01-01T00:00:00Z&end_date=2026-04-01T00:00:01Z",  # > 90 days
        "?start_date=2026-03-10T00:00:00Z&end_date=2026-03-01T00:00:00Z",  # end before start
        "?start_date=yesterday",
        "?start_date=2026-03-10",  # no time
        "?end_date=2026-03-10T00:00:00",  # no timezone
        "?end_date=2026-13-10T00:00:00Z",
        "?status=pending",
        "?status=open,fixed",
        "?page_size=0",
        "?page_size=1001",
        "?page_size=ten",
        "?page=0",
        "?page=-1",
        "?extensions=maybe",
        "?start_date=9999-12-31T23:59:59-05:00",
        "?end_date=0001-01-01T00:00:00%2B05:00",
        "?service_code=a%00b",
        "?service_request_id=%00",
        "?locale=%00",
    ],
)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_invalid_parameters_are_400(client, query, fmt):
    resp = client.get(f"{ROOT}/requests.{fmt}{query}")
    assert resp.status_code == 400
    [error] = errors_of(resp, fmt)
    assert error["code"] == "400" and " / " in error["description"]


@pytest.mark.parametrize(
    "path", ["requests/%00.json", "requests/2026-%00.xml", "services/%00.json", "tokens/%00.xml"]
)
def test_nul_bytes_in_the_path_are_400_on_both_databases(client, path):
    resp = client.get(f"{ROOT}/{path}")
    assert resp.status_code == 400
    errors_of(resp, "xml" if path.endswith(".xml") else "json")


def test_ninety_days_exactly_is_allowed(client):
    query = "?start_date=2026-01-01T00:00:00Z&end_date=2026-04-01T00:00:00Z"
    assert client.get(f"{ROOT}/requests.json{query}").status_code == 200


def test_status_service_code_and_id_filters(client, file_request, desk):
    pothole = file_request()
    bin_ = file_request(service_code="papierkorb")
    light = file_request(service_code="strassenlaterne")
    desk.move(pothole, "rejected", public_note="Kein Schaden erkennbar.")
    assert set(_ids(client, "?status=closed")) == {pothole}
    assert set(_ids(client, "?status=open")) == {bin_, light}
    assert set(_ids(client, "?status=open,closed")) == {pothole, bin_, light}
    assert set(_ids(client, "?service_code=papierkorb,strassenlaterne")) == {bin_, light}
    assert _ids(client, "?service_code=papierkorb&status=closed") == []
    # service_request_id overrides every other filter, even a malformed one.
    query = f"?service_request_id={pothole},{light},2026-999999&status=open&start_date=x"
    assert set(_ids(client, query)) == {pothole, light}


def test_states_map_to_open_and_closed(client, file_request, desk, clock):
    rid = file_request()
    for state, expected in [
        ("acknowledged", "open"),
        ("in_progress", "open"),
        ("waiting_external", "open"),
        ("in_progress", "open"),
        ("resolved", "closed"),
    ]:
        clock.advance(hours=1)
        desk.move(rid, state)
        [item] = _get(client, f"?service_request_id={rid}")
        assert item["status"] == expected, state
    assert item["updated_datetime"] == "2026-03-10T14:00:00Z"  # the close time
    clock.advance(hours=1)
    desk.note(rid, internal_note="nur intern")
    [item] = _get(client, f"?service_request_id={rid}")
    assert item["updated_datetime"] == "2026-03-10T14:00:00Z"


def test_status_notes_are_the_latest_public_note(client, file_request, desk):
    rid = file_request()
    desk.move(rid, "acknowledged", public_note="Angenommen.", internal_note="geheim")
    desk.note(rid, public_note="Trupp ist unterwegs.", internal_note="Kollege Meier")
    desk.note(rid, internal_note="Nur intern")
    [item] = _get(client)
    assert item["status_notes"] == "Trupp ist unterwegs."


def test_pages(client, file_request, clock):
    ids = []
    for _ in range(5):
        ids.append(file_request())
        clock.advance(minutes=1)
    newest_first = ids[::-1]
    assert _ids(client, "?page_size=2") == newest_first[:2]
    assert _ids(client, "?page_size=2&page=2") == newest_first[2:4]
    assert _ids(client, "?page_size=2&page=3") == newest_first[4:]
    assert _ids(client, "?page_size=2&page=4") == []
    assert _ids(client, "?page=&page_size=") == newest_first


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_deep_pages_are_refused_with_a_hint_to_the_dates(client, file_request, fmt):
    file_request()
    # A page may start among the first 10,000 requests, not further: no page reads more.
    assert client.get(f"{ROOT}/requests.{fmt}?page_size=100&page=100").status_code == 200
    for query in ("page_size=100&page=101", "page_size=1000&page=11", "page=1000000"):
        resp = client.get(f"{ROOT}/requests.{fmt}?{query}")
        assert resp.status_code == 400, query
        [error] = errors_of(resp, fmt)
        assert "start_date" in error["description"]
        assert "Blättern reicht bis" in error["description"]
        assert "paging reaches as far as" in error["description"]


def _photo_request(client, api_key) -> str:
    photo = images.phone_jpeg(width=800, height=600, gps=None)
    resp = client.post(
        f"{ROOT}/requests.json",
        data={
            "api_key": api_key,
            "service_code": "schlagloch",
            **INSIDE,
            "description": "Loch an der Ecke",
            "email": "erika@example.org",
            "media": (io.BytesIO(photo), "photo.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert resp.status_code == 201
    run_privacy_passes(client.application)  # as the worker does after each photo's intake
    return json_data(resp)[0]["service_request_id"]


def test_moderation_is_respected(client, api_key, desk):
    rid = _photo_request(client, api_key)
    [item] = _get(client, "?extensions=true")
    assert item["description"] == "" and item["media_url"] is None and item["photos"] == []

    desk.publish(rid)
    [item] = _get(client, "?extensions=true")
    assert item["description"] == "Loch an der Ecke"
    assert item["media_url"].startswith("http://maengel.test/media/")
    assert item["media_url"].endswith("-web.jpg")
    assert [p["media_url"] for p in item["photos"]] == [item["media_url"]]
    photo = client.get(item["media_url"].removeprefix("http://maengel.test"))
    assert photo.status_code == 200 and photo.content_type == "image/jpeg"

    desk.publish(rid, public_description="Loch (Text bearbeitet)", photo_ids=[])
    [item] = _get(client, "?extensions=true")
    assert item["description"] == "Loch (Text bearbeitet)"
    assert item["media_url"] is None and item["photos"] == []

    desk.hide(rid)
    [item] = _get(client, "?extensions=true")
    assert item["description"] == "" and item["media_url"] is None
    xml = client.get(f"{ROOT}/requests.xml?extensions=true").data
    assert b"Loch" not in xml


def test_extensions_add_photos_and_public_notes(client, file_request, desk, clock):
    rid = file_request()
    clock.advance(hours=1)
    desk.move(rid, "acknowledged", internal_note="geheim")
    clock.advance(hours=1)
    desk.note(rid, public_note="Wir sind dran.", internal_note="Kollege Meier")
    desk.note(rid, internal_note="nur intern")
    desk.move(rid, "rejected", public_note="Privatgelände.")
    [plain] = _get(client)
    assert "notes" not in plain and "photos" not in plain
    [item] = _get(client, "?extensions=true")
    assert item["photos"] == []
    assert item["notes"] == [
        {"datetime": "2026-03-10T09:00:00Z", "description": "Neu", "type": "opened"},
        {"datetime": "2026-03-10T10:00:00Z", "description": "Angenommen", "type": "status_change"},
        {"datetime": "2026-03-10T11:00:00Z", "description": "Wir sind dran.", "type": "note"},
        {
            "datetime": "2026-03-10T11:00:00Z",
            "description": "Privatgelände.",
            "type": "status_change",
        },
    ]
    notes = xml_root(client.get(f"{ROOT}/requests/{rid}.xml?extensions=true"))
    assert [n.findtext("type") for n in notes.findall("request/notes/note")] == [
        "opened",
        "status_change",
        "note",
        "status_change",
    ]
    assert _get(client, "?extensions=true&locale=en")[0]["notes"][1]["description"] == (
        "Acknowledged"
    )


def test_no_personal_data_in_any_output(client, staff, api_key, desk):
    secrets = [
        "erika@example.org",
        "Erika",
        "Mustermann",
        "+49 69 555",
        "device-xyz",
        "acct-77",
        api_key,
        "geheim-intern",
    ]
    resp = client.post(
        f"{ROOT}/requests.json",
        data={
            "api_key": api_key,
            "service_code": "schlagloch",
            **INSIDE,
            "email": "erika@example.org",
            "first_name": "Erika",
            "last_name": "Mustermann",
            "phone": "+49 69 555",
            "device_id": "device-xyz",
            "account_id": "acct-77",
            "description": "Loch",
        },
    )
    rid = json_data(resp)[0]["service_request_id"]
    desk.publish(rid)
    desk.move(rid, "acknowledged", internal_note="geheim-intern")
    _photo_request(client, api_key)
    tracking = client.get(f"/api/v1/reports/{rid}").get_data()  # the public API, for contrast
    assert b"tracking" not in tracking
    for fmt in ("json", "xml"):
        for path in (
            f"requests.{fmt}",
            f"requests.{fmt}?extensions=true",
            f"requests/{rid}.{fmt}?extensions=true",
        ):
            out = client.get(f"{ROOT}/{path}").get_data(as_text=True)
            for secret in secrets:
                assert secret not in out, (path, secret)
            for key in ("email", "first_name", "last_name", "phone", "device_id", "token"):
                assert f'"{key}"' not in out and f"<{key}>" not in out
