"""The forwarding feature's messages, German first, added to the app's one catalogue."""

from __future__ import annotations

from ..i18n import MESSAGES

MESSAGES.update(
    {
        "extern_photo_one": (
            "Bitte höchstens ein Foto anhängen.",
            "Please attach at most one photo.",
        ),
        "extern_file_unexpected": (
            "Unerwartete Datei; nur ein Foto zu „Erledigt“ lässt sich anhängen.",
            "Unexpected file; only a photo with “Resolved” can be attached.",
        ),
        "extern_photo_only_resolved": (
            "Ein Foto lässt sich nur mit „Erledigt“ senden.",
            "A photo can only be sent with “Resolved”.",
        ),
        "destination_not_found": (
            "Diese externe Stelle gibt es nicht.",
            "There is no such external body.",
        ),
        "destination_inactive": (
            "Diese externe Stelle ist abgeschaltet.",
            "This external body is switched off.",
        ),
        "destination_url_invalid": (
            "Bitte eine http- oder https-Adresse angeben.",
            "Please give an http or https address.",
        ),
        "destination_email_invalid": (
            "Bitte eine gültige E-Mail-Adresse angeben.",
            "Please give a valid e-mail address.",
        ),
        "destination_field_required": (
            "Für diesen Kanal nötig.",
            "Required for this channel.",
        ),
        "destination_field_unused": (
            "Dieser Kanal verwendet das Feld nicht.",
            "This channel does not use this field.",
        ),
        "destination_codes_invalid": (
            "Zuordnung: Kategorie-Code → service_code, beides kurze Texte.",
            "Mapping: category code → service_code, both short texts.",
        ),
        "destination_channel_fixed": (
            "Der Kanal einer Stelle lässt sich nicht ändern; bitte eine neue anlegen.",
            "A body's channel cannot be changed; please create a new one.",
        ),
        "ticket_closed_for_forwarding": (
            "Eine abgeschlossene Meldung kann nicht weitergegeben werden.",
            "A finished ticket cannot be handed over.",
        ),
        "delivery_not_failed": (
            "Diese Zustellung gibt es nicht, oder sie ist nicht gescheitert.",
            "There is no such delivery, or it has not failed.",
        ),
        "delivery_retried": (
            "Die Zustellung wird erneut versucht.",
            "The delivery will be tried again.",
        ),
        "destination_deactivated": (
            "Die Stelle ist abgeschaltet; ihre bisherigen Zustellungen bleiben erhalten.",
            "The body is switched off; its deliveries so far are kept.",
        ),
        "update_too_large": (
            "Die Rückmeldung ist zu groß: ohne Foto höchstens 16 KB.",
            "The update is too large: at most 16 KB without a photo.",
        ),
        "update_body_too_large": (
            "Die Rückmeldung ist zu groß: mit Foto höchstens {limit}.",
            "The update is too large: at most {limit} with a photo.",
        ),
        "update_photo_invalid": (
            "Foto: ein Objekt mit „data“ (das Bild in Base64) und optional „content_type“ "
            "(image/…).",
            "Photo: an object with “data” (the image in base64) and optionally “content_type” "
            "(image/…).",
        ),
        "update_photo_base64": (
            "Das Foto ist kein gültiges Base64 (RFC 4648, mit Auffüllung, ohne Zeilenumbrüche).",
            "The photo is not valid base64 (RFC 4648, padded, without line breaks).",
        ),
        "update_photo_one": (
            "Bitte höchstens ein Foto senden, als Objekt unter „photo“.",
            "Please send at most one photo, as an object under “photo”.",
        ),
        "update_photo_only_resolved": (
            "Ein Foto lässt sich nur mit dem Status resolved senden.",
            "A photo can only be sent with the status resolved.",
        ),
        "update_delivery_invalid": (
            "Bitte die Zustellungsnummer angeben, die mit der Meldung kam.",
            "Please give the delivery key that came with the report.",
        ),
        "update_status_invalid": (
            "Status: acknowledged, resolved oder returned.",
            "Status: acknowledged, resolved or returned.",
        ),
        "update_note_invalid": (
            "Die Notiz muss ein Text von höchstens 2000 Zeichen sein.",
            "The note must be a text of at most 2000 characters.",
        ),
        "update_reason_required": (
            "Bitte einen Grund für die Rückgabe angeben.",
            "Please give a reason for giving the ticket back.",
        ),
        "update_signature_invalid": (
            "Die Signatur der Rückmeldung ist ungültig.",
            "The update's signature is not valid.",
        ),
        "update_too_old": (
            "Der Zeitstempel der Rückmeldung ist älter als fünf Minuten oder liegt in der Zukunft.",
            "The update's timestamp is older than five minutes or in the future.",
        ),
        "update_ticket_closed": (
            "Diese Meldung ist bereits abgeschlossen.",
            "This ticket is already closed.",
        ),
        "update_recorded": (
            "Die Rückmeldung ist eingetragen.",
            "The update is recorded.",
        ),
        "update_replayed": (
            "Diese Rückmeldung war schon eingetragen; nichts geändert.",
            "This update was already recorded; nothing changed.",
        ),
        "extern_page_outdated": (
            "Die Seite war nicht mehr aktuell; bitte noch einmal ansehen und erneut senden.",
            "The page was out of date; please look again and send once more.",
        ),
    }
)
