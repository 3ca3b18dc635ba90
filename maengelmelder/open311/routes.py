"""Open311 GeoReport v2 under /open311/v2: parse, call the report service, serialize.

Filing goes through reports.service.submit_report (photos, routing, SLA, idempotency), so
an Open311 report is the same report the citizen app files. See serialize.py for what is
shown and xml.py for both output formats.
"""

from __future__ import annotations

import math
import re

from flask import Blueprint, current_app, g, request
from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import raiseload
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from ..accounts.service import principal_for_token
from ..city import city
from ..clock import now
from ..core.catalog import Category
from ..core.links import base_url, links
from ..core.models import Report, publicly_listed
from ..core.settings import abuse_settings, sla_settings
from ..errors import (
    ApiError,
    answer_errors_under,
    database_unavailable,
    forget_failed_transaction,
)
from ..extensions import commit_keeping_loaded, db
from ..i18n import translate_errors
from ..reports import service
from ..reports.limits import intake_limits
from ..reports.passes import queue_passes
from ..reports.schemas import ReportIn
from ..sla.jobs import schedule_checks
from ..storage import storage
from . import serialize
from .params import (
    MAX_DEPTH,
    MAX_RESULTS,
    error,
    events_of,
    flag_param,
    int_param,
    lang_of,
    merged_params,
    request_query,
)
from .serialize import message
from .xml import FORMATS, Open311Error, bilingual, render, render_error

bp = Blueprint("open311", __name__, url_prefix="/open311")

# Open311 parameter names for the native fields, in error messages.
_FIELD_NAMES = {"category": "service_code", "lon": "long", "address": "address_string"}
_report_in = ReportIn()


@bp.before_request
def _remember_format() -> None:
    g.open311_fmt = "xml" if request.path.lower().endswith(".xml") else "json"
    if any("\x00" in str(v) for v in (request.view_args or {}).values()):
        raise error(400, "invalid_param", name="path")


def _format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise error(400, "format", value=fmt[:20])
    return fmt


def _base() -> str:
    return base_url()


# --- errors ------------------------------------------------------------------------------


@bp.errorhandler(Open311Error)
def _open311_error(err: Open311Error):
    return render_error(err, g.get("open311_fmt", "json"))


def _error_before_routing(err: ApiError):
    """An error raised before the blueprint knows the request (an untrusted Host header)."""
    fmt = "xml" if request.path.lower().endswith(".xml") else "json"
    return render_error(Open311Error(err.status, err.message, headers=err.headers), fmt)


@bp.record_once
def _claim_errors(state) -> None:
    answer_errors_under(state.app, bp.url_prefix or "/open311", _error_before_routing)


def _api_error_text(err: ApiError) -> str:
    """The most specific de/en text of a native error: its field messages if it has any."""
    found: list[str] = []

    def walk(node, name: str) -> None:
        if isinstance(node, dict) and set(node) == {"de", "en"}:
            found.append(f"{name}: {bilingual(node)}" if name else bilingual(node))
        elif isinstance(node, dict):
            for key, inner in node.items():
                walk(inner, name or _FIELD_NAMES.get(key, key))
        elif isinstance(node, list):
            for inner in node:
                walk(inner, name)

    walk(err.fields or {}, "")
    return "; ".join(found) or bilingual(err.message)


@bp.errorhandler(ApiError)
def _api_error(err: ApiError):
    status = err.status if err.status in (403, 404) or err.status >= 500 else 400
    headers = {k: v for k, v in err.headers.items() if k.lower() == "retry-after"}
    failure = Open311Error(status, _api_error_text(err), headers=headers)
    return render_error(failure, g.get("open311_fmt", "json"))


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(err: RequestEntityTooLarge):
    failure = Open311Error(400, message("body_too_large"))
    return render_error(failure, g.get("open311_fmt", "json"))


@bp.errorhandler(HTTPException)
def _http_error(err: HTTPException):
    status = err.code or 500
    key = {404: "not_found", 405: "method", 413: "body_too_large"}.get(status, "bad_request")
    failure = Open311Error(status if status == 404 or status >= 500 else 400, message(key))
    return render_error(failure, g.get("open311_fmt", "json"))


@bp.errorhandler(Exception)
def _unexpected(err: Exception):
    outage = database_unavailable(err)
    if outage is not None:  # 503 with Retry-After, as in the native API
        forget_failed_transaction()
        current_app.logger.warning("database unavailable: %s", getattr(err, "orig", None) or err)
        return _api_error(outage)
    current_app.logger.exception("unhandled error in Open311")
    db.session.rollback()
    return render_error(Open311Error(500, message("internal")), g.get("open311_fmt", "json"))


# --- discovery and services --------------------------------------------------------------


@bp.get("/discovery.<fmt>")
@bp.get("/v2/discovery.<fmt>")
def discovery(fmt: str):
    fmt = _format(fmt)
    name = current_app.config.get("CITY_NAME", "")
    data = {
        "changeset": serialize.CHANGESET,
        "contact": f"{name}, {_base()}/",
        "key_service": (
            "API-Schlüssel (api_key) vergibt die Stadtverwaltung (maengelmelder tokens create) / "
            "API keys (api_key) are issued by the city administration"
        ),
        "endpoints": [
            {
                "specification": serialize.SPECIFICATION,
                "url": f"{_base()}/open311/v2",
                "changeset": serialize.CHANGESET,
                "type": "production",
                "formats": ["application/json", "text/xml"],
            }
        ],
    }
    return render(data, fmt, "discovery")


def _active_category(code: str) -> Category | None:
    return db.session.scalar(
        select(Category).where(Category.code == code, Category.active.is_(True))
    )


@bp.get("/v2/services.<fmt>")
def services(fmt: str):
    fmt = _format(fmt)
    lang = lang_of(merged_params(request.args))
    found = db.session.scalars(
        select(Category).where(Category.active.is_(True)).order_by(Category.position, Category.code)
    )
    return render([serialize.service_out(c, lang) for c in found], fmt, "services", "service")


@bp.get("/v2/services/<code>.<fmt>")
def service_definition(code: str, fmt: str):
    fmt = _format(fmt)
    if _active_category(code) is None:
        raise error(404, "service_not_found", value=code[:64])
    return render({"service_code": code, "attributes": []}, fmt, "service_definition")


@bp.get("/v2/tokens/<token>.<fmt>")
def token(token: str, fmt: str):
    _format(fmt)
    raise error(404, "token_not_found")


# --- filing a request --------------------------------------------------------------------


def _coordinate(params: dict[str, str], name: str, limit: float) -> float | None:
    raw = params.get(name)
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not -limit <= value <= limit:
        raise error(400, "coordinates")
    return value


def _media() -> list[bytes]:
    for name in request.files:
        if name != "media":  # None for a part without a name
            raise error(400, "unexpected_file", name=(name or "?")[:50])
    blobs = []
    for upload in request.files.getlist("media"):
        blob = upload.read()
        if blob or upload.filename:  # an empty part is "no file chosen"
            blobs.append(blob)
    return blobs


# The attribute another maengelmelder sends its delivery's key in (forwarding), for clients
# that cannot set the header: a retried hand-over is then filed once.
DELIVERY_ATTRIBUTE = "attribute[maengelmelder_delivery]"


def _idempotency_key(params: dict[str, str]) -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        key = params.get(DELIVERY_ATTRIBUTE)
    if key is None:
        return None
    key = key.strip()
    if not 1 <= len(key) <= 255 or not key.isprintable() or not key.isascii():
        raise error(400, "idempotency_key")
    return key


def _intake_data(params: dict[str, str], has_media: bool) -> dict:
    """The native intake fields of an Open311 POST, validated like the citizen app's."""
    if "service_code" not in params:
        raise error(400, "service_code_required")
    if _active_category(params["service_code"]) is None:
        raise error(404, "service_not_found", value=params["service_code"][:64])
    lat = _coordinate(params, "lat", 90)
    lon = _coordinate(params, "long", 180)
    if (lat is None) != (lon is None):
        raise error(400, "lat_long_pair")
    if lat is None and not has_media:
        # Without coordinates only a photo's GPS position (through the photo pipeline) helps.
        if "address_string" in params or "address_id" in params:
            raise error(400, "point_required")
        raise error(400, "location_required")
    raw = {"category": params["service_code"], "lang": lang_of(params)}
    if lat is not None:
        raw.update(lat=lat, lon=lon)
    for ours, theirs in (("description", "description"), ("email", "email")):
        if theirs in params:
            raw[ours] = params[theirs]
    if "address_string" in params:
        raw["address"] = params["address_string"]
    try:
        return _report_in.load(raw)
    except ValidationError as exc:
        fields = translate_errors(exc.normalized_messages())
        raise ApiError(400, "validation_failed", fields=fields) from exc


@bp.post("/v2/requests.<fmt>")
def create_request(fmt: str):
    """File a service request: form-encoded, or multipart with photos in `media`."""
    fmt = _format(fmt)
    params = merged_params(request.form, request.args)
    principal = principal_for_token(db.session, params.get("api_key", ""))
    if principal is None:
        raise error(403, "api_key")
    blobs = _media()
    data = _intake_data(params, bool(blobs))
    key = _idempotency_key(params)
    cfg = current_app.config
    limits = intake_limits()
    try:
        result = service.submit_report(
            db.session,
            data,
            blobs,
            now=now(),
            city=city(),
            storage=storage(),
            secret_key=cfg["SECRET_KEY"],
            limits=limits,
            sla=sla_settings(),
            abuse=abuse_settings(),
            links=links(),
            idempotency_key=key,
            trusted_by=principal,
        )
        if not result.replayed:
            _mark_channel(result.report, principal.id, params.get("media_url"))
        commit_keeping_loaded()
    except IntegrityError:
        # Two submissions with one key raced; the loser answers with the winner's report.
        db.session.rollback()
        existing = service.find_by_idempotency_key(db.session, key) if key else None
        if existing is None:
            raise
        result = service.replay(existing, service.fingerprint(data, blobs), cfg["SECRET_KEY"])
    if not result.replayed:
        schedule_checks(result.report)
        queue_passes(photo.id for photo in result.report.photos)
    report = result.report
    body = [
        {
            "service_request_id": report.public_id,
            "service_notice": serialize.service_notice(report, data["lang"]),
            "account_id": None,
        }
    ]
    resp = render(body, fmt, "service_requests", "request", status=201)
    resp.headers["Location"] = f"{_base()}/open311/v2/requests/{report.public_id}.{fmt}"
    if result.replayed:
        resp.headers["Idempotent-Replayed"] = "true"
    return resp


def _mark_channel(report: Report, token_id: int, media_url: str | None) -> None:
    """Note on the (internal) creation event that Open311 filed it, and any media_url.

    A media_url is kept as text for staff only: it is never fetched and never shown publicly.
    """
    created = next(e for e in report.events if e.kind == "created")
    extra: dict = {"channel": "open311", "api_token_id": token_id}
    if media_url:
        extra["media_url"] = media_url[:2000]
    created.data = {**(created.data or {}), **extra}


# --- reading requests --------------------------------------------------------------------


def _render_requests(reports: list[Report], params: dict[str, str], fmt: str):
    extensions = flag_param(params, "extensions")
    lang = lang_of(params)
    events = events_of(reports, extensions)
    media_base = f"{_base()}/media/"
    items = [
        serialize.request_out(
            r, events[r.id], lang=lang, media_base=media_base, extensions=extensions
        )
        for r in reports
    ]
    return render(items, fmt, "service_requests", "request")


@bp.get("/v2/requests.<fmt>")
def list_requests(fmt: str):
    fmt = _format(fmt)
    params = merged_params(request.args)
    page_size = int_param(params, "page_size", MAX_RESULTS, 1, MAX_RESULTS)
    page = int_param(params, "page", 1, 1, 1_000_000)
    if (page - 1) * page_size >= MAX_DEPTH:
        raise error(400, "page_too_deep", limit=MAX_DEPTH)
    flag_param(params, "extensions")
    newest_first = (Report.created_at.desc(), Report.id.desc())
    # The page is picked by id first, so the database sorts narrow rows: sorting whole rows
    # (with their joined category and departments) for "what is new" took 30-70 ms once a
    # few thousand reports matched, when its statistics lagged behind a fast-growing table.
    page_ids = (
        request_query(params)
        .with_only_columns(Report.id)
        .order_by(*newest_first)
        .offset((page - 1) * page_size)
        .limit(page_size)
    )
    query = (
        select(Report)
        .where(Report.id.in_(page_ids.scalar_subquery()))
        .options(raiseload(Report.assignee))
        .order_by(*newest_first)
    )
    reports = list(db.session.scalars(query).unique())
    return _render_requests(reports, params, fmt)


@bp.get("/v2/requests/<request_id>.<fmt>")
def get_request(request_id: str, fmt: str):
    fmt = _format(fmt)
    params = merged_params(request.args)
    report = db.session.scalar(
        select(Report)
        .where(Report.public_id == request_id, publicly_listed())
        .options(raiseload(Report.assignee))
    )
    if report is None:
        raise error(404, "request_not_found", value=request_id[:40])
    return _render_requests([report], params, fmt)


# --- anything else under /open311 --------------------------------------------------------

_RESOURCES = re.compile(
    r"(v2/)?discovery|v2/services(/[^/]+)?|v2/requests(/[^/]+)?|v2/tokens/[^/]+"
)
_ALLOW = {"v2/requests": "GET, HEAD, OPTIONS, POST"}


@bp.route("/<path:rest>", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
def fallback(rest: str):
    """Unknown resources: 404; a known one without format suffix, or the wrong method: 400."""
    base, dot, _suffix = rest.rpartition(".")
    if dot and _RESOURCES.fullmatch(base):
        allow = _ALLOW.get(base, "GET, HEAD, OPTIONS")
        raise Open311Error(400, message("method"), headers={"Allow": allow})
    if _RESOURCES.fullmatch(rest):
        raise error(400, "format_missing")
    raise error(404, "not_found")
