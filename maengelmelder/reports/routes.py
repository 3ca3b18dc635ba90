"""HTTP routes of report intake and public reads: parse, call the service, serialize; and
the pages beside them (the tracking link's page, a report's page, the stored photos)."""

from __future__ import annotations

from flask import Response, current_app, jsonify, redirect, render_template, request, url_for
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError

from ..accounts.auth import current_principal
from ..city import city
from ..clock import now
from ..core import states
from ..core.links import links
from ..core.settings import abuse_settings, sla_settings
from ..errors import ApiError, validation_error
from ..extensions import commit_keeping_loaded, db, device_key, limiter
from ..sla.jobs import schedule_checks
from ..storage import NAME_RE, MediaStorage, storage
from ..web.api import Blueprint
from ..web.augmented import Augmented
from ..web.request import body
from ..web.shell import frontend_index, page
from . import media as access_rules
from . import reads, service
from .intake import idempotency_key, intake_payload
from .limits import intake_limits
from .passes import queue_passes
from .schemas import (
    ListQuery,
    NearbyPage,
    NearbyQuery,
    ReportCreated,
    ReportFeatureCollection,
    ReportIn,
    ReportPage,
    ReportPublic,
    SupportIn,
    TrackedReport,
    created_body,
    events_public,
    photo_dumper,
    report_feature,
    report_for_reporter,
    report_public,
)
from .support import support as add_support
from .support import supporter_id

bp = Blueprint(
    "reports",
    __name__,
    description="Filing reports, the public list and map, support, the reporter's tracking.",
)

_report_in = ReportIn()
_support_in = SupportIn()


# Both bodies intake reads by hand (`intake.intake_payload`): a form with photos, or JSON.
_REPORT_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "allOf": [
                    ReportIn,
                    {
                        "type": "object",
                        "properties": {
                            "photos": {
                                "type": "array",
                                "maxItems": 5,
                                "items": {"type": "string", "format": "binary"},
                            }
                        },
                    },
                ]
            }
        },
        "application/json": {"schema": ReportIn},
    },
}
_IDEMPOTENCY_KEY = {
    "in": "header",
    "name": "Idempotency-Key",
    "description": "1–255 printable ASCII characters; a retry with the same key returns the "
    "first report, a different report is `422`",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}


@bp.post("/api/v1/reports")
@limiter.limit(lambda: current_app.config["INTAKE_LIMIT_IP"])
@limiter.limit(lambda: current_app.config["INTAKE_LIMIT_DEVICE"], key_func=device_key)
@bp.doc(parameters=[_IDEMPOTENCY_KEY], requestBody=_REPORT_BODY)
@bp.response(
    201,
    ReportCreated,
    description="Filed (or, with a known key, replayed).",
    headers={
        "Location": {"schema": {"type": "string"}},
        "Idempotent-Replayed": {
            "description": "`true` when this answers a retry",
            "schema": {"type": "string"},
        },
    },
)
@bp.errors(400, 401, 413, 415, 422, 507)
def create_report():
    """File a report (multipart with photos, or JSON).

    Without `lat`/`lon` the GPS position in a photo's EXIF is used. The citizen app also
    sends `website` (a honeypot: anything in it is `422` `spam_suspected`) and `fill_ms`
    (milliseconds spent in the form: below the configured minimum it is `422` `too_fast`);
    neither is stored, and a request without them is not checked.

    An integration may send its API token (`Authorization: Bearer …`): a trusted token's
    reports are public at once (photos after their privacy pass); an unknown or revoked
    token is `401`. Without the header, nothing changes.
    """
    source = _token_source()
    raw, blobs = intake_payload()
    try:
        data = _report_in.load(raw)
    except ValidationError as exc:
        raise validation_error(exc.normalized_messages()) from exc
    key = idempotency_key()
    data["lang"] = data.get("lang") or request.accept_languages.best_match(["de", "en"], "de")
    kwargs = dict(
        now=now(),
        city=city(),
        storage=storage(),
        secret_key=current_app.config["SECRET_KEY"],
        limits=intake_limits(),
        sla=sla_settings(),
        abuse=abuse_settings(),
        links=links(),
        idempotency_key=key,
        trusted_by=source,
    )
    try:
        result = service.submit_report(db.session, data, blobs, **kwargs)
        commit_keeping_loaded()
    except IntegrityError:
        # Two submissions with one key raced; the loser answers with the winner's report.
        db.session.rollback()
        existing = service.find_by_idempotency_key(db.session, key) if key else None
        if existing is None:
            raise
        result = service.replay(
            existing, service.fingerprint(data, blobs), current_app.config["SECRET_KEY"]
        )
    if not result.replayed:
        schedule_checks(result.report)
        queue_passes(photo.id for photo in result.report.photos)
    # The answer built directly (intake is the hottest write); `ReportCreated` says its shape.
    resp = jsonify(
        created_body(
            result.report, links().url(f"/track/{result.tracking_token}"), result.tracking_token
        )
    )
    resp.status_code = 201
    resp.headers["Location"] = f"/api/v1/reports/{result.report.public_id}"
    if result.replayed:
        resp.headers["Idempotent-Replayed"] = "true"
    return resp


def _token_source():
    """The API token an integration files with (None without an Authorization header)."""
    if not request.headers.get("Authorization"):
        return None
    principal = current_principal()
    if principal is None or principal.kind != "token":
        raise ApiError(401, "invalid_token", headers={"WWW-Authenticate": "Bearer"})
    return principal


def _list_filter(args: dict) -> tuple[reads.ReportFilter, bool, bool]:
    statuses = tuple(s for s in args.get("status", "").split(",") if s)
    bad = [s for s in statuses if s not in states.ALL]
    if bad:
        raise ApiError(400, "invalid_filter", name="status", value=bad[0][:50])
    flt = reads.ReportFilter(
        bbox=reads.parse_bbox(args["bbox"]) if "bbox" in args else None,
        statuses=statuses,
        categories=tuple(c for c in args.get("category", "").split(",") if c),
        since=args.get("since"),
        cursor=reads.decode_cursor(args["cursor"]) if "cursor" in args else None,
        limit=args["limit"],
    )
    geojson = args.get("format") == "geojson" or (
        request.accept_mimetypes.best == "application/geo+json"
    )
    return flt, geojson, args.get("view") == "map"


_PAGE = "A page; pass `next_cursor` as `cursor` for the next."


@bp.get("/api/v1/reports")
@bp.arguments(ListQuery, location="query")
@bp.response(200, ReportPage, description=_PAGE)
@bp.alt_response(
    200,
    schema=ReportFeatureCollection,
    content_type="application/geo+json",
    description=_PAGE,
    success=True,
)
def list_reports(args: dict):
    """Public reports, newest first; JSON or GeoJSON.

    Filtered and paged: `format=geojson` (or `Accept: application/geo+json`) answers GeoJSON,
    `view=map` only what a map marker shows.
    """
    # The items are built from plain rows, not through the schemas: a map read is the most
    # frequent request the service answers (tests hold `reads.list_public_dicts` and
    # `reads.list_map_dicts` equal to `ReportPublic` and `MapReport`).
    flt, geojson, map_view = _list_filter(args)
    if map_view:
        items, cursor = reads.list_map_dicts(db.session, flt)
    else:
        items, cursor = reads.list_public_dicts(db.session, flt, photo_dumper())
    if geojson:
        resp = jsonify(
            {
                "type": "FeatureCollection",
                "features": [report_feature(i) for i in items],
                "next_cursor": cursor,
            }
        )
        resp.mimetype = "application/geo+json"
        return resp
    return jsonify({"items": items, "next_cursor": cursor})


@bp.get("/api/v1/reports/nearby")
@bp.arguments(NearbyQuery, location="query")
@bp.response(200, NearbyPage, description="Up to the nearest few.")
def nearby_reports(args: dict):
    """Open reports near a place, nearest first (support instead of a duplicate).

    Within a radius (default 50 m): 'is it one of these?'. At most 10, nearest first in
    bands of 10 m; within a band published reports with text or photos (to compare with)
    come first. Unpublished reports show no text or photos: category, status, distance and
    age only.
    """
    found = reads.nearby(db.session, args["lat"], args["lon"], args["radius"], args.get("category"))
    return {
        "items": [Augmented(report, distance_m=round(distance, 1)) for report, distance in found]
    }


def _support_args() -> tuple[dict, list[bytes]]:
    """The support's fields and photo: a form with one photo, a JSON object, or no body at
    all (the defaults)."""
    if request.mimetype in {"multipart/form-data", "application/x-www-form-urlencoded"}:
        raw, blobs = intake_payload()
        try:
            return _support_in.load(raw), blobs
        except ValidationError as exc:
            raise validation_error(exc.normalized_messages()) from exc
    if request.get_json(silent=True) is None and not request.data:
        return _support_in.load({}), []
    return body(_support_in), []


_SUPPORT_BODY = {
    "required": False,
    "content": {
        "application/json": {"schema": SupportIn},
        "multipart/form-data": {
            "schema": {
                "allOf": [
                    SupportIn,
                    {
                        "type": "object",
                        "properties": {
                            "photos": {
                                "type": "array",
                                "maxItems": 1,
                                "items": {"type": "string", "format": "binary"},
                                "description": "one photo for staff, checked like intake's "
                                "and public only once staff publish it",
                            }
                        },
                    },
                ]
            }
        },
    },
}


@bp.post("/api/v1/reports/<public_id>/support")
@limiter.limit(lambda: current_app.config["INTAKE_LIMIT_IP"])
@limiter.limit(lambda: current_app.config["INTAKE_LIMIT_DEVICE"], key_func=device_key)
@bp.doc(requestBody=_SUPPORT_BODY)
@bp.response(
    200,
    ReportPublic,
    description="The report: one supporter more, or as before when this caller had "
    "supported it already.",
)
@bp.errors(400, 404, 409, 413, 415, 422, 429, 507)
def support_report(public_id: str):
    """Support an open report (optionally to hear when it is resolved).

    Instead of filing a duplicate. One support per caller (device id from `X-Device-Id`, or
    else address) and report. Rate limited like filing a report, per address and per device
    (`429` with Retry-After). An `email` gets one mail with a confirmation link
    (`/confirm/<token>`, then `POST /api/v1/reports/confirm`) and nothing else until it is
    used; the link is valid `MAENGELMELDER_CONFIRM_EMAIL_DAYS` days. The reporter's own
    address, an address already following and a blocked address get no mail.

    A `comment` (≤ 500 characters) and, as multipart, one photo (`photos`, checked like
    intake's) go to staff with a caller's first support of the report: the comment as an
    internal note, the photo not public until staff publish it. A bad photo is `422` (`413`
    too large) and counts no support.
    """
    args, blobs = _support_args()
    report = reads.get_public(db.session, public_id)
    cfg = current_app.config
    supported = add_support(
        db.session,
        report,
        supporter=supporter_id(cfg["SECRET_KEY"], device_key()),
        email=args["email"],
        lang=args["lang"],
        now=now(),
        links=links(),
        confirm_days=abuse_settings().confirm_email_days,
        comment=args["comment"],
        photo_blobs=blobs,
        storage=storage(),
        limits=intake_limits(),
    )
    db.session.commit()  # a confirmation mail wakes the sender (notify.wake)
    if supported.photo is not None:
        queue_passes([supported.photo.id])
    return report


@bp.get("/api/v1/reports/<public_id>")
@bp.response(200, ReportPublic, description="The report.")
@bp.errors(404)
def get_report(public_id: str):
    """One public report (no e-mail, no token)."""
    return reads.get_public(db.session, public_id)


@bp.get("/api/v1/track/<token>")
@bp.response(200, TrackedReport, description="The report and its public history.")
@bp.errors(404)
def track_report(token: str):
    """The reporter's view: the report and its public history."""
    return reads.get_by_token(db.session, token)


# -- pages -----------------------------------------------------------------------------------


@page(bp, "/track/<token>", methods=["GET"])
def track_page(token: str):
    """The tracking link's page: the app, or server-rendered when the app is not built."""
    app_page = frontend_index()
    if app_page is not None:
        return app_page
    try:
        report = reads.get_by_token(db.session, token)
    except ApiError:
        return render_template("not_found.html"), 404
    return render_template(
        "track.html",
        report=report_for_reporter.dump(report),
        history=events_public.dump(report.events),
        labels=states.LABELS,
    )


@page(bp, "/reports/<public_id>", methods=["GET"])
def report_page(public_id: str):
    """A report's public page (what followers' mails link to): the citizen app's report view,
    or server-rendered (public fields and notes only) when the app is not built."""
    app_page = frontend_index()
    if app_page is not None:
        return app_page
    try:
        report = reads.get_public(db.session, public_id)
    except ApiError:
        return render_template("not_found.html"), 404
    return render_template(
        "track.html",
        report=report_public.dump(report),
        history=events_public.dump(report.events),
        labels=states.LABELS,
    )


@page(bp, "/media/<name>", methods=["GET"])
def media(name: str):
    """A stored photo file: to everyone while the photo is public, else only to staff of the
    report's department and to its reporter (`?k=`, see reports/media.py); for anyone else
    the same 404 as an unknown name."""
    access = access_rules.photo_access(db.session, name[:32]) if NAME_RE.fullmatch(name) else None
    if access is not None and (moved := _moved_for_reporter(name, access)):
        return moved
    if access is None or not (access.public or _may_see_private(name, access)):
        raise ApiError(404, "not_found")
    media_store = storage()
    if access.public and (redirect_to := _public_redirect(media_store, name)):
        return redirect_to
    found = media_store.open(name)
    if found is None:
        raise ApiError(404, "not_found")
    resp = Response(found.chunks, mimetype="image/jpeg", direct_passthrough=True)
    resp.call_on_close(found.close)
    resp.content_length = found.size
    resp.last_modified = found.modified
    # Names never change content (redaction writes new ones), so the name is the version.
    resp.set_etag(name.removesuffix(".jpg"))
    resp.headers["Cache-Control"] = (
        access_rules.PUBLIC_CACHE if access.public else access_rules.PRIVATE_CACHE
    )
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp.make_conditional(request, accept_ranges=True, complete_length=found.size)


def _public_redirect(media_store: MediaStorage, name: str) -> Response | None:
    """With MEDIA_PUBLIC_URL: a public photo by redirect to a presigned URL of the object
    store (cached for half its validity); the bucket itself stays private."""
    seconds = current_app.config["MEDIA_REDIRECT_SECONDS"]
    url = media_store.presigned_url(name, seconds)
    if url is None:
        return None
    resp = redirect(url, code=302)
    resp.headers["Cache-Control"] = f"public, max-age={seconds // 2}"
    return resp


def _moved_for_reporter(name: str, access: access_rules.PhotoAccess) -> Response | None:
    """A reporter's link handed out before the privacy pass names what is now the unblurred
    original: redirected to the photo's current public file (never the original itself)."""
    secret = current_app.config["SECRET_KEY"]
    found = access_rules.moved_for_reporter(secret, name, access, request.args.get("k"))
    if found is None:
        return None
    current, key = found
    target = url_for("reports.media", name=current, k=key)  # no `k` while public
    resp = redirect(target, code=302)
    resp.headers["Cache-Control"] = access_rules.PRIVATE_CACHE
    return resp


def _may_see_private(name: str, access: access_rules.PhotoAccess) -> bool:
    key = request.args.get("k")
    if key is not None and not access.original:
        secret = current_app.config["SECRET_KEY"]
        return access_rules.reporter_key_matches(secret, name, access.tracking_token_hash, key)
    principal = current_principal()
    return principal is not None and principal.covers(access.department_id)
