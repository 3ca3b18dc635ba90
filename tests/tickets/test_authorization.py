"""Deny by default: every staff endpoint with every role, allowed or refused."""

from __future__ import annotations

import io

import pytest

from tests import images
from tests.tickets.helpers import file_ticket

# Roles as (role, departments, citywide, via token). The ticket is a pothole: Tiefbauamt.
ROLES = {
    "anonymous": None,
    "crew_own": ("crew", ("tiefbau",), False, False),
    "crew_other": ("crew", ("gruen",), False, False),
    "supervisor_own": ("supervisor", ("tiefbau", "gruen"), False, False),
    "supervisor_other": ("supervisor", ("gruen",), False, False),
    "supervisor_city": ("supervisor", (), True, False),
    "admin": ("admin", (), False, False),
    "token_crew_own": ("crew", ("tiefbau",), False, True),
    "token_crew_other": ("crew", ("ordnung",), False, True),
}
TICKET_ROLES = {"crew_own", "supervisor_own", "supervisor_city", "admin", "token_crew_own"}
STAFF_ROLES = set(ROLES) - {"anonymous"}
ADMIN_ROLES = {"admin"}
BOARD_ROLES = {"supervisor_own", "supervisor_other", "supervisor_city", "admin"}
# Logged-in people: API tokens have no sessions.
SESSION_ROLES = {name for name, spec in ROLES.items() if spec is not None and not spec[3]}


def _photo_file():
    return {"photos": (io.BytesIO(images.phone_jpeg(width=320, height=240)), "after.jpg")}


# (method, path, json body or callable for multipart, sends If-Match, roles allowed)
ENDPOINTS = {
    "queue": ("GET", "/api/v1/tickets", None, False, STAFF_ROLES),
    "ticket": ("GET", "/api/v1/tickets/{id}", None, False, TICKET_ROLES),
    "transition": (
        "POST",
        "/api/v1/tickets/{id}/transition",
        {"to": "acknowledged"},
        True,
        TICKET_ROLES,
    ),
    "assign": ("POST", "/api/v1/tickets/{id}/assign", {"assignee_id": None}, True, TICKET_ROLES),
    "forward": (
        "POST",
        "/api/v1/tickets/{id}/forward",
        {"department": "ordnung", "reason": "Privatgrund"},
        True,
        TICKET_ROLES,
    ),
    "note": (
        "POST",
        "/api/v1/tickets/{id}/notes",
        {"internal_note": "Vor Ort"},
        False,
        TICKET_ROLES,
    ),
    "after_photo": ("POST", "/api/v1/tickets/{id}/photos", _photo_file, False, TICKET_ROLES),
    "publication": (
        "POST",
        "/api/v1/tickets/{id}/publication",
        {"action": "publish"},
        True,
        TICKET_ROLES,
    ),
    "abuse_dismiss": (
        "POST",
        "/api/v1/tickets/{id}/abuse/dismiss",
        None,
        True,
        TICKET_ROLES,
    ),
    "redact": (
        "POST",
        "/api/v1/tickets/{id}/photos/{photo}/redact",
        {"rects": [[0, 0, 20, 20]]},
        False,
        TICKET_ROLES,
    ),
    "privacy_pass": (
        "POST",
        "/api/v1/tickets/{id}/photos/{photo}/privacy-pass",
        None,
        False,
        TICKET_ROLES,
    ),
    "forward_external": (
        "POST",
        "/api/v1/tickets/{id}/forward-external",
        {"destination": "{destination}", "note": "Bitte Leitung prüfen"},
        True,
        TICKET_ROLES,
    ),
    "deliveries": ("GET", "/api/v1/tickets/{id}/deliveries", None, False, TICKET_ROLES),
    "retry_delivery": (
        "POST",
        "/api/v1/tickets/{id}/deliveries/{delivery}/retry",
        None,
        False,
        TICKET_ROLES,
    ),
    "me": ("GET", "/api/v1/auth/me", None, False, STAFF_ROLES),
    "staff_names": ("GET", "/api/v1/staff/names", None, False, STAFF_ROLES),
    "staff_destinations": ("GET", "/api/v1/staff/destinations", None, False, STAFF_ROLES),
    "my_sessions": ("GET", "/api/v1/auth/sessions", None, False, SESSION_ROLES),
    "sla_summary": ("GET", "/api/v1/sla/summary", None, False, BOARD_ROLES),
    "sla_breaches": ("GET", "/api/v1/sla/breaches", None, False, BOARD_ROLES),
    "sla_trend": ("GET", "/api/v1/sla/trend", None, False, BOARD_ROLES),
    "departments": ("GET", "/api/v1/admin/departments", None, False, ADMIN_ROLES),
    "create_department": (
        "POST",
        "/api/v1/admin/departments",
        {"code": "bauhof-{n}", "name_de": "Bauhof", "name_en": "Depot"},
        False,
        ADMIN_ROLES,
    ),
    "categories": ("GET", "/api/v1/admin/categories", None, False, ADMIN_ROLES),
    "create_category": (
        "POST",
        "/api/v1/admin/categories",
        {
            "code": "eis-{n}",
            "name_de": "Glatteis",
            "name_en": "Black ice",
            "group": "strasse",
            "default_department": "tiefbau",
        },
        False,
        ADMIN_ROLES,
    ),
    "update_category": (
        "PATCH",
        "/api/v1/admin/categories/graffiti",
        {"sla_hours": 72},
        False,
        ADMIN_ROLES,
    ),
    "users": ("GET", "/api/v1/admin/users", None, False, ADMIN_ROLES),
    "create_user": (
        "POST",
        "/api/v1/admin/users",
        {
            "email": "neu-{n}@stadt.example",
            "name": "Neu",
            "role": "crew",
            "password": "lang genug, wirklich",
            "departments": ["tiefbau"],
        },
        False,
        ADMIN_ROLES,
    ),
    "update_user": (
        "PATCH",
        "/api/v1/admin/users/{user}",
        {"name": "Umbenannt {n}"},
        False,
        ADMIN_ROLES,
    ),
    "end_user_sessions": (
        "DELETE",
        "/api/v1/admin/users/{user}/sessions",
        None,
        False,
        ADMIN_ROLES,
    ),
    "login_throttles": ("GET", "/api/v1/admin/login-throttles", None, False, ADMIN_ROLES),
    "clear_login_throttle": (
        "DELETE",
        "/api/v1/admin/login-throttles/{throttle}",
        None,
        False,
        ADMIN_ROLES,
    ),
    "failed_mails": ("GET", "/api/v1/admin/mails/failed", None, False, ADMIN_ROLES),
    "retry_mail": ("POST", "/api/v1/admin/mails/{mail}/retry", None, False, ADMIN_ROLES),
    "tokens": ("GET", "/api/v1/admin/tokens", None, False, ADMIN_ROLES),
    "create_token": (
        "POST",
        "/api/v1/admin/tokens",
        {"name": "Open311", "role": "crew", "departments": ["tiefbau"]},
        False,
        ADMIN_ROLES,
    ),
    "change_token": (
        "PATCH",
        "/api/v1/admin/tokens/{token}",
        {"trusted": True},
        False,
        ADMIN_ROLES,
    ),
    "revoke_token": ("DELETE", "/api/v1/admin/tokens/{token}", None, False, ADMIN_ROLES),
    "sign_in_settings": ("GET", "/api/v1/admin/sign-in", None, False, ADMIN_ROLES),
    "change_sign_in": (
        "PUT",
        "/api/v1/admin/sign-in",
        {"local_passwords": True},
        False,
        ADMIN_ROLES,
    ),
    "zones": ("GET", "/api/v1/admin/zones", None, False, ADMIN_ROLES),
    "zones_import": (
        "POST",
        "/api/v1/admin/zones/import?kind=extra",
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "id": "extra-{n}",
                    "properties": {"name": "Extra"},
                    "geometry": {
                        "type": "Polygon",
                        "coordinates": [[[8.76, 50.1], [8.77, 50.1], [8.77, 50.11], [8.76, 50.1]]],
                    },
                }
            ],
        },
        False,
        ADMIN_ROLES,
    ),
    "blocklist": ("GET", "/api/v1/admin/blocklist", None, False, ADMIN_ROLES),
    "block_sender": (
        "POST",
        "/api/v1/admin/blocklist",
        {"pattern": "spam-{n}@example.org", "reason": "Werbung"},
        False,
        ADMIN_ROLES,
    ),
    "unblock_sender": ("DELETE", "/api/v1/admin/blocklist/{blocked}", None, False, ADMIN_ROLES),
    "destinations": ("GET", "/api/v1/admin/destinations", None, False, ADMIN_ROLES),
    "create_destination": (
        "POST",
        "/api/v1/admin/destinations",
        {
            "name_de": "Stadtwerke",
            "name_en": "Public utilities",
            "channel": "email",
            "email": "stoerung-{n}@stadtwerke.example",
        },
        False,
        ADMIN_ROLES,
    ),
    "update_destination": (
        "PATCH",
        "/api/v1/admin/destinations/{destination}",
        {"name_de": "Stadtwerke {n}"},
        False,
        ADMIN_ROLES,
    ),
    "deactivate_destination": (
        "DELETE",
        "/api/v1/admin/destinations/{destination}",
        None,
        False,
        ADMIN_ROLES,
    ),
    "rules": ("GET", "/api/v1/admin/rules", None, False, ADMIN_ROLES),
    "rule_versions": ("GET", "/api/v1/admin/rules/versions", None, False, ADMIN_ROLES),
    "rules_dry_run": (
        "POST",
        "/api/v1/admin/rules/dry-run",
        {"fallback_department": "ordnung", "rules": []},
        False,
        ADMIN_ROLES,
    ),
    "rules_apply": (
        "POST",
        "/api/v1/admin/rules",
        {"fallback_department": "ordnung", "rules": []},
        False,
        ADMIN_ROLES,
    ),
    "rules_from_yaml": (
        "POST",
        "/api/v1/admin/rules/from-yaml",
        lambda: {"file": (io.BytesIO(b"fallback_department: ordnung\nrules: []\n"), "rules.yaml")},
        False,
        ADMIN_ROLES,
    ),
}


def _fill(value, n: int, destination_id: int = 0):
    if value == "{destination}":
        return destination_id
    if isinstance(value, str):
        return value.replace("{n}", str(n))
    if isinstance(value, dict):
        return {k: _fill(v, n, destination_id) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, n, destination_id) for v in value]
    return value


def _needs(placeholder: str, path: str, payload) -> bool:
    return placeholder in path or (isinstance(payload, dict) and placeholder in payload.values())


def _caller(app, staff, spec):
    """A client and extra headers acting as the given role."""
    client = app.test_client()
    if spec is None:
        return client, {}
    role, departments, citywide, via_token = spec
    if via_token:
        return client, {
            "Authorization": "Bearer " + staff.token(role, *departments, citywide=citywide)
        }
    return staff.client(role, *departments, citywide=citywide), {}


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_every_role_on_every_staff_endpoint(app, client, staff, endpoint):
    method, path, payload, versioned, allowed = ENDPOINTS[endpoint]
    for n, (name, spec) in enumerate(ROLES.items()):
        created = file_ticket(client, photo=True)
        public_id = created["report"]["public_id"]
        photo_id = _first_photo_id(app, public_id)
        token_id = _token_id(app, staff)
        blocked_id = _blocked_id(app, n)
        user_id = _user_id(staff) if "{user}" in path else 0
        throttle_id = _throttle_id(app, n) if "{throttle}" in path else 0
        mail_id = _failed_mail_id(app, n) if "{mail}" in path else 0
        needs_destination = _needs("{destination}", path, payload) or "{delivery}" in path
        destination_id = _destination_id(app, n) if needs_destination else 0
        delivery_id = (
            _failed_delivery_id(app, staff, public_id, destination_id)
            if "{delivery}" in path
            else 0
        )
        url = path.format(
            destination=destination_id,
            delivery=delivery_id,
            mail=mail_id,
            id=public_id,
            photo=photo_id,
            token=token_id,
            blocked=blocked_id,
            user=user_id,
            throttle=throttle_id,
        )
        caller, headers = _caller(app, staff, spec)
        if versioned:
            headers["If-Match"] = '"1"'
        kwargs = {"headers": headers}
        if callable(payload):
            kwargs.update(data=payload(), content_type="multipart/form-data")
        elif payload is not None:
            kwargs["json"] = _fill(payload, n, destination_id)
        resp = caller.open(url, method=method, **kwargs)
        if name in allowed:
            assert resp.status_code < 300, (endpoint, name, resp.status_code, resp.json)
        elif name == "anonymous":
            assert resp.status_code == 401, (endpoint, name, resp.status_code)
        else:
            assert resp.status_code == 403, (endpoint, name, resp.status_code, resp.json)


def _first_photo_id(app, public_id: str) -> int:
    from sqlalchemy import select

    from maengelmelder.core.models import Photo, Report
    from maengelmelder.extensions import db

    with app.app_context():
        return db.session.scalar(select(Photo.id).join(Report).where(Report.public_id == public_id))


def _token_id(app, staff) -> int:
    from sqlalchemy import func, select

    from maengelmelder.accounts.models import ApiToken
    from maengelmelder.extensions import db

    staff.token("crew", "tiefbau")
    with app.app_context():
        return db.session.scalar(select(func.max(ApiToken.id)))


def _blocked_id(app, n: int) -> int:
    from maengelmelder.abuse.service import add_blocked
    from maengelmelder.extensions import db

    with app.app_context():
        entry = add_blocked(
            db.session, f"@matrix-{n}.example", reason=None, actor="test", now=app.config["CLOCK"]()
        )
        db.session.commit()
        return entry.id


def _user_id(staff) -> int:
    user_id, _ = staff.user("crew", "tiefbau")
    return user_id


def _throttle_id(app, n: int) -> int:
    from maengelmelder.accounts.models import LoginThrottle
    from maengelmelder.extensions import db

    with app.app_context():
        at = app.config["CLOCK"]()
        row = LoginThrottle(
            key_hash=f"matrix-{n}",
            network="192.0.2.1/32",
            failures=5,
            first_failure_at=at,
            last_failure_at=at,
        )
        db.session.add(row)
        db.session.commit()
        return row.id


def _failed_mail_id(app, n: int) -> int:
    """An undeliverable mail, so that retrying it is possible for whoever may."""
    from maengelmelder.extensions import db
    from maengelmelder.notify.models import FAILED, OutboxMessage

    with app.app_context():
        at = app.config["CLOCK"]()
        row = OutboxMessage(
            created_at=at,
            kind="status",
            recipient=f"matrix-{n}@example.org",
            subject="Ihre Meldung",
            body="…",
            status=FAILED,
            attempts=1,
            next_attempt_at=at,
            failed_at=at,
            last_error="550 mailbox unavailable",
        )
        db.session.add(row)
        db.session.commit()
        return row.id


def _destination_id(app, n: int) -> int:
    """An active external body (by e-mail) tickets can be handed to."""
    from maengelmelder.extensions import db
    from maengelmelder.forwarding.service import create_destination

    with app.app_context():
        values = {
            "name_de": f"Stadtwerke {n}",
            "name_en": f"Public utilities {n}",
            "channel": "email",
            "email": f"matrix-{n}@stadtwerke.example",
        }
        destination = create_destination(db.session, values, app.config["CLOCK"]())
        db.session.commit()
        return destination.id


def _failed_delivery_id(app, staff, public_id: str, destination_id: int) -> int:
    """The ticket handed over (by an admin) and its delivery failed for good, so that
    retrying it is possible for whoever may."""
    from sqlalchemy import update

    from maengelmelder.extensions import db
    from maengelmelder.forwarding.models import FAILED, Delivery

    admin = staff.client("admin")
    etag = admin.get(f"/api/v1/tickets/{public_id}").headers["ETag"]
    resp = admin.post(
        f"/api/v1/tickets/{public_id}/forward-external",
        json={"destination": destination_id},
        headers={"If-Match": etag},
    )
    assert resp.status_code == 201, resp.json
    delivery_id = resp.json["delivery"]["id"]
    with app.app_context():
        at = app.config["CLOCK"]()
        db.session.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id)
            .values(status=FAILED, attempts=5, failed_at=at, last_error="550 mailbox unavailable")
        )
        db.session.commit()
    return delivery_id


# Writes on one's own session or account: tests/accounts and tests/hostile/test_csrf.py.
ACCOUNT_TESTS = {
    "/api/v1/auth/logout",
    "/api/v1/auth/password",
    "/api/v1/auth/logout-everywhere",
    "/api/v1/auth/sessions/{session}",
    "/api/v1/auth/oidc/logout",
}
# Open to anyone by design: logging in, and signing in at the identity provider and back
# (tests/accounts/test_oidc.py: the state, the code and every token are checked instead).
PUBLIC_AUTH = {
    "/api/v1/auth/login",
    "/api/v1/auth/sign-in-options",
    "/api/v1/auth/oidc/login",
    "/api/v1/auth/oidc/callback",
    "/api/v1/auth/oidc/backchannel-logout",
}


def test_every_protected_route_is_in_the_table(app):
    """A new staff or admin endpoint without a row here fails, so nothing is open by accident."""
    covered = {(m, p.split("?")[0]) for m, p, *_ in ENDPOINTS.values()}
    for rule in app.url_map.iter_rules():
        path = rule.rule
        guarded = path.startswith(
            (
                "/api/v1/tickets",
                "/api/v1/admin",
                "/api/v1/auth",
                "/api/v1/sla/summary",
                "/api/v1/sla/breaches",
                "/api/v1/sla/trend",
                "/api/v1/staff/",
            )
        )
        if not guarded or path in PUBLIC_AUTH:
            continue
        view = app.view_functions[rule.endpoint]
        assert getattr(view, "allowed_roles", None), f"{path} has no role check"
        normalized = (
            path.replace("<public_id>", "{id}")
            .replace("<int:photo_id>", "{photo}")
            .replace("<int:token_id>", "{token}")
            .replace("<int:entry_id>", "{blocked}")
            .replace("<int:user_id>", "{user}")
            .replace("<int:throttle_id>", "{throttle}")
            .replace("<int:session_id>", "{session}")
            .replace("<int:mail_id>", "{mail}")
            .replace("<int:destination_id>", "{destination}")
            .replace("<int:delivery_id>", "{delivery}")
            .replace("<code>", "graffiti")
        )
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if normalized in ACCOUNT_TESTS:
                continue  # covered by the account tests (tests/accounts)
            assert (method, normalized) in covered, f"{method} {path} missing from the matrix"
