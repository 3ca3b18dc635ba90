"""HTTP routes of report intake and public reads: parse, call the service, serialize."""

from __future__ import annotations

from pathlib import Path

from flask import (
    Blueprint,
    current_app,
    jsonify,
    render_template,
    request,
    send_file,
    send_from_directory,
)
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError

from ..abuse.confirmation import MailLinks
from ..accounts.auth import current_principal
from ..city import city
from ..clock import now
from ..errors import ApiError, validation_error
from ..extensions import commit_keeping_loaded, db, device_key, limiter
from ..i18n import msg
from ..jobs import enqueue
from ..sla.jobs import schedule_checks
from ..storage import NAME_RE, storage
from ..tickets import states
from . import media as access_rules
from . import reads, service
from .limits import intake_limits
from .schemas import (
    ListQuery,
    NearbyQuery,
    ReportIn,
    SupportIn,
    events_public,
    photo_dumper,
    report_feature,
    report_for_reporter,
    report_public,
)
from .support import support as add_support
from .support import supporter_id

bp = Blueprint("reports", __name__)

_report_in = ReportIn()
_list_query = ListQuery()


_limits = intake_limits  # the after-photo upload (tickets) uses it under this name


def _intake_payload() -> tuple[dict, list[bytes]]:
    """The submitted fields and photo bytes, from multipart, form or JSON bodies."""
    if request.is_json:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise ApiError(400, "invalid_json")
        return body, []
    if request.mimetype in {"multipart/form-data", "application/x-www-form-urlencoded"}:
        for name in request.files:
            if name != "photos":
                raise ApiError(
                    422,
                    "validation_failed",
                    fields={name: [msg("unexpected_file", field=name)]},
                )
        # An empty optional form field means 'not given', as browsers send them.
        fields = {k: v for k, v in request.form.items() if v.strip() != ""}
        blobs = []
        for upload in request.files.getlist("photos"):
            blob = upload.read()
            if blob or upload.filename:  # browsers send an empty part for "no file chosen"
                blobs.append(blob)
        return fields, blobs
    raise ApiError(415, "unsupported_media_type")


def _idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    key = key.strip()
    if not 1 <= len(key) <= 255 or not key.isprintable() or not key.isascii():
        raise ApiError(400, "idempotency_key_invalid")
    return key


def _tracking_url(token: str) -> str:
    base = current_app.config.get("BASE_URL") or request.host_url
    return base.rstrip("/") + "/track/" + token


@bp.post("/api/v1/reports")
@limiter.limit(lambda: current_app.config["INTAKE_LIMIT_IP"])
@limiter.limit(lambda: current_app.config["INTAKE_LIMIT_DEVICE"], key_func=device_key)
def create_report():
    """File a report (multipart with photos, or JSON)."""
    raw, blobs = _intake_payload()
    try:
        data = _report_in.load(raw)
    except ValidationError as exc:
        raise validation_error(exc.normalized_messages()) from exc
    key = _idempotency_key()
    data["lang"] = data.get("lang") or request.accept_languages.best_match(["de", "en"], "de")
    kwargs = dict(
        now=now(),
        city=city(),
        storage=storage(),
        secret_key=current_app.config["SECRET_KEY"],
        limits=_limits(),
        idempotency_key=key,
        sla_config=current_app.config,
        base_url=current_app.config.get("BASE_URL") or request.host_url,
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
        if result.report.held_reason == "email_unconfirmed":
            enqueue("maengelmelder.notify.jobs.send_pending")  # the confirmation mail
    body = {
        "report": report_for_reporter.dump(result.report),
        "tracking_url": _tracking_url(result.tracking_token),
        "tracking_token": result.tracking_token,
    }
    resp = jsonify(body)
    resp.status_code = 201
    resp.headers["Location"] = f"/api/v1/reports/{result.report.public_id}"
    if result.replayed:
        resp.headers["Idempotent-Replayed"] = "true"
    return resp


def _list_filter() -> tuple[reads.ReportFilter, bool, bool]:
    try:
        args = _list_query.load(request.args.to_dict())
    except ValidationError as exc:
        raise validation_error(exc.normalized_messages(), status=400) from exc
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


@bp.get("/api/v1/reports")
def list_reports():
    """Public reports, newest first, filtered and paginated; JSON or GeoJSON."""
    flt, geojson, map_view = _list_filter()
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
def nearby_reports():
    """Open reports within a radius (default 50 m), nearest first: 'is it one of these?'."""
    try:
        args = NearbyQuery().load(request.args.to_dict())
    except ValidationError as exc:
        raise validation_error(exc.normalized_messages(), status=400) from exc
    found = reads.nearby(db.session, args["lat"], args["lon"], args["radius"], args.get("category"))
    items = []
    for report, distance in found:
        item = report_public.dump(report)
        item["distance_m"] = round(distance, 1)
        items.append(item)
    return jsonify({"items": items})


@bp.post("/api/v1/reports/<public_id>/support")
@limiter.limit(lambda: current_app.config["INTAKE_LIMIT_IP"])
@limiter.limit(lambda: current_app.config["INTAKE_LIMIT_DEVICE"], key_func=device_key)
def support_report(public_id: str):
    """Support an open report instead of filing a duplicate: once per device; an e-mail
    address hears about the report only after its owner confirmed by mail."""
    body = request.get_json(silent=True)
    if body is None and not request.data:
        body = {}
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json")
    try:
        args = SupportIn().load(body)
    except ValidationError as exc:
        raise validation_error(exc.normalized_messages()) from exc
    report = reads.get_public(db.session, public_id)
    cfg = current_app.config
    links = MailLinks(
        base_url=cfg.get("BASE_URL") or request.host_url,
        secret_key=cfg["SECRET_KEY"],
        city_name=city().name,
    )
    supported = add_support(
        db.session,
        report,
        supporter=supporter_id(cfg["SECRET_KEY"], device_key()),
        email=args["email"],
        lang=args["lang"],
        now=now(),
        links=links,
        confirm_days=cfg["CONFIRM_EMAIL_DAYS"],
    )
    db.session.commit()
    if supported.asked:
        enqueue("maengelmelder.notify.jobs.send_pending")  # the confirmation mail
    return jsonify(report_public.dump(report))


@bp.get("/api/v1/reports/<public_id>")
def get_report(public_id: str):
    """One public report."""
    return jsonify(report_public.dump(reads.get_public(db.session, public_id)))


def _tracked(token: str):
    report = reads.get_by_token(db.session, token)
    return report, report.events


@bp.get("/api/v1/track/<token>")
def track_report(token: str):
    """The reporter's own view of their report with its public history."""
    report, events = _tracked(token)
    body = report_for_reporter.dump(report)
    body["history"] = events_public.dump(events)
    return jsonify(body)


def frontend_index(page: str = "index.html"):
    """A built page of the app (citizen index.html, staff.html), or None when not built."""
    directory = current_app.config.get("FRONTEND_DIR")
    if directory and (Path(directory) / page).is_file():
        resp = send_from_directory(directory, page, max_age=0)
        resp.headers["Cache-Control"] = "no-cache"
        return resp
    return None


@bp.get("/staff")
@bp.get("/staff/<path:_rest>")
def staff_app(_rest: str = ""):
    """The staff app (it routes below /staff itself)."""
    page = frontend_index("staff.html")
    if page is None:
        raise ApiError(404, "not_found")
    return page


@bp.get("/")
def index():
    """The citizen app (or, unbuilt, a short start page)."""
    return frontend_index() or render_template("index.html")


@bp.get("/sw.js")
@bp.get("/manifest.webmanifest")
def app_root_file():
    """Service worker and manifest, served from the root so their scope is the whole app."""
    directory = current_app.config.get("FRONTEND_DIR")
    name = request.path.lstrip("/")
    if not directory or not (Path(directory) / name).is_file():
        raise ApiError(404, "not_found")
    resp = send_from_directory(directory, name, max_age=0)
    resp.headers["Cache-Control"] = "no-cache"
    if name == "sw.js":
        resp.headers["Service-Worker-Allowed"] = "/"
    return resp


@bp.get("/track/<token>")
def track_page(token: str):
    """The tracking link's page: the app, or server-rendered when the app is not built."""
    app_page = frontend_index()
    if app_page is not None:
        return app_page
    try:
        report, events = _tracked(token)
    except ApiError:
        return render_template("not_found.html"), 404
    return render_template(
        "track.html",
        report=report_for_reporter.dump(report),
        history=events_public.dump(events),
        labels=states.LABELS,
    )


@bp.get("/reports/<public_id>")
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


@bp.get("/media/<name>")
def media(name: str):
    """A stored photo file: to everyone while the photo is public, else only to staff of the
    report's department and to its reporter (`?k=`, see reports/media.py); for anyone else
    the same 404 as an unknown name."""
    access = access_rules.photo_access(db.session, name[:32]) if NAME_RE.fullmatch(name) else None
    if access is None or not (access.public or _may_see_private(name, access)):
        raise ApiError(404, "not_found")
    if not storage().exists(name):
        raise ApiError(404, "not_found")
    resp = send_file(storage().path(name), mimetype="image/jpeg")
    resp.headers["Cache-Control"] = (
        access_rules.PUBLIC_CACHE if access.public else access_rules.PRIVATE_CACHE
    )
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


def _may_see_private(name: str, access: access_rules.PhotoAccess) -> bool:
    key = request.args.get("k")
    if key is not None:
        secret = current_app.config["SECRET_KEY"]
        return access_rules.reporter_key_matches(secret, name, access.tracking_token_hash, key)
    principal = current_principal()
    return principal is not None and principal.covers(access.department_id)
