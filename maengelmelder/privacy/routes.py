"""The moderator's part in the privacy pass: review a photo's boxes, run the pass again.

Under the ticket's paths, for staff who may work on the ticket (as every ticket endpoint).
"""

from __future__ import annotations

from ..accounts.auth import STAFF, authenticated, require
from ..clock import now
from ..core.links import links
from ..core.settings import sla_settings
from ..errors import ApiError
from ..extensions import db
from ..reports.passes import queue_passes
from ..storage import storage
from ..tickets import inputs, schemas, service
from ..web.api import Blueprint
from . import photos

bp = Blueprint(
    "privacy",
    __name__,
    description="The privacy pass: faces and number plates blurred before a photo is public.",
)


def _ticket(public_id: str):
    change = service.Change(principal=authenticated(), now=now(), links=links(), sla=sla_settings())
    return service.ticket_for(db.session, public_id, change.principal), change


def _photo(report, photo_id: int):
    photo = next((p for p in report.photos if p.id == photo_id), None)
    if photo is None:
        raise ApiError(404, "photo_not_found")
    return photo


PHOTO_PATH = [inputs.PUBLIC_ID, inputs.PHOTO_ID]


@bp.post("/api/v1/tickets/<public_id>/photos/<int:photo_id>/redact", parameters=PHOTO_PATH)
@require(*STAFF)
@bp.arguments(inputs.RedactIn)
@bp.response(200, schemas.TicketPhoto, description="The photo after the change.")
@bp.errors(404, 507)
def redact(args: dict, public_id: str, photo_id: int):
    """Black out rectangles and drop boxes of the privacy pass on a photo.

    `rects` ([x, y, width, height], web-size pixels) become manual boxes, blacked out; the
    boxes named in `remove` go. The public files are rendered anew from the unblurred
    original under a new name; a photo whose pass failed or is pending becomes `reviewed`.
    A photo from before the pass has no boxes: its rects blacken its current files and a
    `remove` is `422`.
    """
    report, change = _ticket(public_id)
    photo = photos.review(
        db.session,
        report,
        change,
        photo_id=photo_id,
        rects=[tuple(r) for r in args["rects"]],
        remove=args["remove"],
        storage=storage(),
    )
    db.session.commit()
    return photo


@bp.post("/api/v1/tickets/<public_id>/photos/<int:photo_id>/privacy-pass", parameters=PHOTO_PATH)
@require(*STAFF)
@bp.response(202, schemas.TicketPhoto, description="The photo, waiting for its pass.")
@bp.errors(404)
def privacy_pass(public_id: str, photo_id: int):
    """Run the privacy pass on a photo again (its state is `pending` until it ran).

    Boxes a moderator drew stay; the automatic ones are found anew. Not public meanwhile.
    """
    report, change = _ticket(public_id)
    photo = _photo(report, photo_id)
    photos.request_pass(photo, change.now)
    db.session.commit()
    queue_passes([photo.id])
    return photo
