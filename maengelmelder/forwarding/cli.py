"""`maengelmelder destinations add|list|test`: thin calls into the forwarding service."""

from __future__ import annotations

import json
from email.message import EmailMessage

import click
from flask import current_app
from flask.cli import with_appcontext
from marshmallow import ValidationError
from sqlalchemy import select

from ..clock import now
from ..core.settings import mail_settings
from ..errors import ApiError
from ..extensions import db
from ..i18n import translate_errors
from ..notify.mailer import make_mailer
from . import channels, schemas, service
from .models import EMAIL, OPEN311, Destination


@click.group("destinations")
def destinations_group() -> None:
    """External bodies tickets are handed to (Open311, e-mail, webhook)."""


def _fail_fields(fields: dict) -> None:
    lines = []
    for name, problems in fields.items():
        for problem in problems if isinstance(problems, list) else [problems]:
            if isinstance(problem, dict) and "de" in problem:
                lines.append(f"{name}: {problem['de']} / {problem['en']}")
            else:
                lines.append(f"{name}: {problem}")
    raise click.ClickException("\n".join(lines))


@destinations_group.command("add")
@click.option("--name-de", required=True)
@click.option("--name-en", required=True)
@click.option("--channel", required=True, type=click.Choice(["open311", "email", "webhook"]))
@click.option("--url", help="Open311 endpoint root or webhook URL")
@click.option("--api-key", help="Open311 api_key")
@click.option("--jurisdiction-id")
@click.option(
    "--service-code",
    "service_codes",
    multiple=True,
    metavar="CATEGORY=SERVICE_CODE",
    help="Open311 mapping, repeatable",
)
@click.option("--email")
@with_appcontext
def add(name_de, name_en, channel, url, api_key, jurisdiction_id, service_codes, email):
    """Add a destination; a webhook's signing secret is printed once."""
    raw = {"name_de": name_de, "name_en": name_en, "channel": channel}
    for key, value in (
        ("url", url),
        ("api_key", api_key),
        ("jurisdiction_id", jurisdiction_id),
        ("email", email),
    ):
        if value is not None:
            raw[key] = value
    if service_codes:
        pairs = [item.partition("=") for item in service_codes]
        raw["service_codes"] = {ours: theirs for ours, _, theirs in pairs}
    try:
        values = schemas.DestinationIn().load(raw)
        destination = service.create_destination(db.session, values, now())
    except ValidationError as exc:
        db.session.rollback()
        _fail_fields(translate_errors(exc.normalized_messages()))
    except ApiError as exc:
        db.session.rollback()
        _fail_fields(exc.fields or {"": [exc.message]})
    db.session.commit()
    click.echo(f"{destination.id}\t{destination.channel}\t{destination.name_de}")
    if destination.secret:
        click.echo(
            "Signaturschlüssel (wird nur jetzt angezeigt) / signing secret (shown only now):"
        )
        click.echo(destination.secret)


@destinations_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="as JSON lines")
@with_appcontext
def list_(as_json: bool):
    """Every destination (without api keys or secrets)."""
    for d in db.session.scalars(select(Destination).order_by(Destination.id)):
        target = d.url if d.channel != EMAIL else d.email
        if as_json:
            click.echo(
                json.dumps(
                    {
                        "id": d.id,
                        "name": {"de": d.name_de, "en": d.name_en},
                        "channel": d.channel,
                        "target": target,
                        "active": d.active,
                    },
                    ensure_ascii=False,
                )
            )
        else:
            state = "aktiv/active" if d.active else "aus/off"
            click.echo(f"{d.id}\t{d.channel}\t{state}\t{d.name_de}\t{target}")


@destinations_group.command("test")
@click.argument("destination_id", type=int)
@with_appcontext
def test(destination_id: int):
    """One real request (or mail) to the destination; nothing is recorded as a delivery."""
    destination = db.session.get(Destination, destination_id)
    if destination is None:
        raise click.ClickException(
            "Diese externe Stelle gibt es nicht. / There is no such external body."
        )
    try:
        if destination.channel == OPEN311:
            detail = channels.check_open311(destination)
        elif destination.channel == EMAIL:
            settings = mail_settings()
            mail = EmailMessage()
            mail["From"] = settings.sender
            mail["To"] = destination.email or ""
            mail["Subject"] = f"Test: {current_app.config['CITY_NAME']} – Mängelmelder"
            mail.set_content(
                "Dies ist eine Testnachricht; sie enthält keine Meldung.\n"
                "This is a test message; it carries no report.\n"
            )
            mailer = make_mailer(settings)
            try:
                mailer.send_email(mail, destination.email or "")
            finally:
                mailer.close()
            detail = "mail accepted"
        else:
            detail = channels.check_webhook(destination)
    except (channels.Trouble, channels.Refused, OSError) as exc:
        raise click.ClickException(f"nicht erreichbar / not reachable: {exc}") from exc
    except Exception as exc:  # SMTP errors
        raise click.ClickException(f"nicht erreichbar / not reachable: {exc}") from exc
    click.echo(f"erreichbar / reachable: {detail}")
