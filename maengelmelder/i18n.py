"""Bilingual (German first, English second) messages for everything a user can read."""

from __future__ import annotations

import re
from typing import Any

Message = dict[str, str]

# code -> (German, English); str.format placeholders allowed.
MESSAGES: dict[str, tuple[str, str]] = {
    "validation_failed": (
        "Die Eingaben sind unvollständig oder ungültig.",
        "The input is incomplete or invalid.",
    ),
    "invalid_json": (
        "Der Inhalt ist kein gültiges JSON-Objekt in UTF-8.",
        "The body is not a valid JSON object in UTF-8.",
    ),
    "unsupported_media_type": (
        "Bitte als multipart/form-data oder application/json senden.",
        "Please send multipart/form-data or application/json.",
    ),
    "body_too_large": (
        "Die Anfrage ist zu groß (höchstens {limit_mb} MB).",
        "The request is too large (at most {limit_mb} MB).",
    ),
    "not_found": ("Nicht gefunden.", "Not found."),
    "report_not_found": ("Diese Meldung gibt es nicht.", "There is no such report."),
    "method_not_allowed": ("Diese Methode ist hier nicht erlaubt.", "Method not allowed here."),
    "bad_request": ("Die Anfrage ist fehlerhaft.", "The request is malformed."),
    "host_not_trusted": (
        "Dieser Dienst antwortet nicht unter diesem Hostnamen.",
        "This service does not answer under this host name.",
    ),
    "base_url_required": (
        "MAENGELMELDER_SMTP_URL ist gesetzt, MAENGELMELDER_BASE_URL nicht: Links in E-Mails "
        "brauchen die öffentliche Adresse des Dienstes (z. B. https://maengel.stadt.de).",
        "MAENGELMELDER_SMTP_URL is set but MAENGELMELDER_BASE_URL is not: links in mails need "
        "the service's public address (e.g. https://maengel.stadt.de).",
    ),
    "internal_error": (
        "Ein interner Fehler ist aufgetreten. Bitte später erneut versuchen.",
        "An internal error occurred. Please try again later.",
    ),
    "database_unavailable": (
        "Die Datenbank ist gerade nicht erreichbar. Bitte in einigen Sekunden erneut versuchen.",
        "The database is unreachable right now. Please try again in a few seconds.",
    ),
    "storage_failed": (
        "Die Fotos konnten nicht gespeichert werden. Bitte später erneut versuchen.",
        "The photos could not be stored. Please try again later.",
    ),
    "storage_unavailable": (
        "Der Fotospeicher ist gerade nicht erreichbar. Bitte in einigen Sekunden erneut versuchen.",
        "The photo storage is unreachable right now. Please try again in a few seconds.",
    ),
    "outside_city": (
        "Der Ort liegt außerhalb von {city}. Bitte einen Ort im Stadtgebiet wählen.",
        "The location is outside {city}. Please choose a place within the city.",
    ),
    "location_required": (
        "Bitte einen Ort angeben (Karte oder GPS) oder ein Foto mit Standortdaten anhängen.",
        "Please give a location (map or GPS) or attach a photo that carries its location.",
    ),
    "lat_lon_pair": (
        "Breiten- und Längengrad müssen zusammen angegeben werden.",
        "Latitude and longitude must be given together.",
    ),
    "unknown_category": ("Unbekannte Kategorie: {value}.", "Unknown category: {value}."),
    "too_many_photos": (
        "Höchstens {limit} Fotos pro Meldung.",
        "At most {limit} photos per report.",
    ),
    "photo_invalid": ("Foto {index}: {de}", "Photo {index}: {en}"),
    "unexpected_file": (
        "Unerwartete Datei im Feld {field}; Fotos bitte im Feld photos senden.",
        "Unexpected file in field {field}; please send photos in the field photos.",
    ),
    "idempotency_mismatch": (
        "Dieser Idempotency-Key wurde bereits für eine andere Meldung verwendet.",
        "This Idempotency-Key was already used for a different report.",
    ),
    "idempotency_key_invalid": (
        "Der Idempotency-Key muss 1 bis 255 druckbare Zeichen lang sein.",
        "The Idempotency-Key must be 1 to 255 printable characters.",
    ),
    "invalid_filter": ("Ungültiger Filter {name}: {value}.", "Invalid filter {name}: {value}."),
    "invalid_cursor": (
        "Ungültiger Cursor: bitte next_cursor der vorigen Seite unverändert senden oder ohne "
        "cursor von vorn beginnen.",
        "Invalid cursor: please send next_cursor of the page before unchanged, or start again "
        "without a cursor.",
    ),
    "offset_with_cursor": ("Nicht zusammen mit cursor.", "Not together with cursor."),
    "unauthorized": (
        "Bitte anmelden (Sitzung oder gültiges API-Token).",
        "Please log in (a session or a valid API token).",
    ),
    "invalid_token": (
        "Das API-Token ist ungültig oder widerrufen.",
        "The API token is invalid or revoked.",
    ),
    "forbidden": ("Dafür fehlt Ihnen die Berechtigung.", "You are not allowed to do this."),
    "csrf_failed": (
        "Sicherheitsprüfung fehlgeschlagen (CSRF-Token fehlt oder ist falsch). "
        "Bitte Seite neu laden.",
        "Security check failed (CSRF token missing or wrong). Please reload the page.",
    ),
    # One answer for an unknown address, a wrong password and a try that has to wait.
    "login_failed": (
        "E-Mail-Adresse oder Passwort ist falsch – oder es gab von hier aus zu viele "
        "Fehlversuche; dann bitte einige Minuten warten.",
        "E-mail address or password is wrong – or there were too many failed attempts from "
        "here; then please wait a few minutes.",
    ),
    "session_not_found": (
        "Diese Sitzung gibt es nicht (mehr).",
        "There is no such session (any more).",
    ),
    "user_not_found": ("Dieses Konto gibt es nicht.", "There is no such account."),
    "own_account": (
        "Das eigene Konto kann man weder deaktivieren noch ihm die Verwaltungsrolle nehmen.",
        "You cannot deactivate your own account or take its admin role away.",
    ),
    "throttle_not_found": (
        "Diese Anmeldebremse gibt es nicht (mehr).",
        "There is no such login throttle (any more).",
    ),
    "password_too_short": (
        "Das Passwort muss mindestens {min} Zeichen lang sein.",
        "The password must be at least {min} characters long.",
    ),
    "password_wrong": ("Das bisherige Passwort ist falsch.", "The current password is wrong."),
    "user_exists": (
        "Es gibt bereits ein Konto mit dieser E-Mail-Adresse.",
        "There already is an account with this e-mail address.",
    ),
    "unknown_department": ("Unbekannte Dienststelle: {value}.", "Unknown department: {value}."),
    "unknown_user": ("Unbekanntes Konto: {value}.", "Unknown account: {value}."),
    "token_not_found": ("Dieses Token gibt es nicht.", "There is no such token."),
    "ticket_forbidden": (
        "Diese Meldung gehört nicht zu Ihren Dienststellen.",
        "This ticket does not belong to your departments.",
    ),
    "invalid_transition": (
        "Von „{from_}“ geht es nicht nach „{to}“. Möglich: {allowed}.",
        "A ticket cannot move from {from_} to {to}. Possible: {allowed}.",
    ),
    "version_required": (
        "Bitte die bekannte Version im If-Match-Header mitsenden.",
        "Please send the version you know in the If-Match header.",
    ),
    "version_stale": (
        "Die Meldung wurde inzwischen von jemand anderem geändert.",
        "The ticket was changed by someone else meanwhile.",
    ),
    "reason_required": (
        "Bitte eine öffentliche Begründung angeben.",
        "Please give a public reason.",
    ),
    "duplicate_target": (
        "Die Meldung, deren Duplikat dies ist, fehlt oder ist ungültig: {value}.",
        "The ticket this duplicates is missing or invalid: {value}.",
    ),
    "assignee_invalid": (
        "Diese Person kann die Meldung nicht übernehmen (nicht in der Dienststelle).",
        "This person cannot take the ticket (not in the department).",
    ),
    "same_department": (
        "Die Meldung ist bereits bei dieser Dienststelle.",
        "The ticket already is with this department.",
    ),
    "reopen_not_possible": (
        "Nur erledigte Meldungen können innerhalb von {days} Tagen wieder geöffnet werden.",
        "Only resolved tickets can be reopened, within {days} days.",
    ),
    "confirm_not_possible": (
        "Nur erledigte Meldungen können bestätigt werden.",
        "Only resolved tickets can be confirmed.",
    ),
    "photo_not_found": (
        "Dieses Foto gehört nicht zu der Meldung.",
        "This photo is not part of the ticket.",
    ),
    "rect_outside": (
        "Das Rechteck {index} liegt nicht im Bild ({width} × {height}).",
        "Rectangle {index} is not inside the image ({width} × {height}).",
    ),
    "box_not_found": (
        "Auf diesem Foto gibt es keinen Bereich {box}.",
        "This photo has no box {box}.",
    ),
    "no_original": (
        "Dieses Foto ist älter als die automatische Prüfung: es hat keine erkannten Bereiche "
        "zum Entfernen.",
        "This photo predates the automatic check: it has no detected boxes to remove.",
    ),
    "support_closed": (
        "Diese Meldung ist bereits abgeschlossen; bitte ggf. neu melden.",
        "This report is already closed; please file a new one if needed.",
    ),
    "code_exists": ("Den Schlüssel {value} gibt es schon.", "The code {value} already exists."),
    "code_immutable": (
        "Der Schlüssel kann nicht geändert werden.",
        "The code cannot be changed.",
    ),
    "rate_limited": (
        "Zu viele Anfragen in kurzer Zeit. Bitte etwas später erneut versuchen.",
        "Too many requests in a short time. Please try again a little later.",
    ),
    "blank": ("Darf nicht leer sein.", "Must not be blank."),
    # abuse and spam defences
    "spam_suspected": (
        "Die Meldung konnte nicht angenommen werden. Bitte lassen Sie das Feld „Website“ leer "
        "und senden Sie erneut.",
        "The report could not be accepted. Please leave the field “Website” empty and send "
        "it again.",
    ),
    "blocklist_pattern_invalid": (
        "Bitte eine E-Mail-Adresse (name@example.org) oder eine Domain mit @ davor "
        "(@example.org) angeben.",
        "Please give an e-mail address (name@example.org) or a domain with an @ in front "
        "(@example.org).",
    ),
    "blocklist_duplicate": (
        "{pattern} steht bereits auf der Sperrliste.",
        "{pattern} is already on the block list.",
    ),
    "blocklist_not_found": (
        "Diesen Eintrag gibt es auf der Sperrliste nicht.",
        "There is no such entry on the block list.",
    ),
    # undeliverable mails (admin)
    "mail_not_failed": (
        "Eine nicht zustellbare Mail mit dieser Nummer gibt es nicht (mehr).",
        "There is no (longer an) undeliverable mail with this number.",
    ),
    "mail_retried": (
        "Die Mail wird erneut gesendet.",
        "The mail will be sent again.",
    ),
    "abuse_received": (
        "Danke für Ihren Hinweis. Wir sehen uns die Meldung an.",
        "Thank you for letting us know. We will look at this report.",
    ),
    "confirmation_invalid": (
        "Dieser Bestätigungslink ist ungültig. Bitte kopieren Sie ihn vollständig aus der E-Mail.",
        "This confirmation link is invalid. Please copy it completely from the e-mail.",
    ),
    "confirmation_expired": (
        "Dieser Bestätigungslink ist abgelaufen (gültig {days} Tage). Mit Ihrer nächsten Meldung "
        "erhalten Sie einen neuen.",
        "This confirmation link has expired (valid for {days} days). Your next report brings a "
        "new one.",
    ),
    "email_confirmed_published": (
        "Danke, Ihre E-Mail-Adresse ist bestätigt. Ihre Meldung ist jetzt öffentlich sichtbar.",
        "Thank you, your e-mail address is confirmed. Your report is now public.",
    ),
    "email_confirmed_review": (
        "Danke, Ihre E-Mail-Adresse ist bestätigt. Ihre Meldung wird vor der Veröffentlichung "
        "noch geprüft.",
        "Thank you, your e-mail address is confirmed. Your report will be reviewed before it "
        "is published.",
    ),
    "email_confirmed_following": (
        "Danke, Ihre E-Mail-Adresse ist bestätigt. Sie erhalten Nachricht, wenn sich an der "
        "Meldung {public_id} etwas ändert.",
        "Thank you, your e-mail address is confirmed. You will hear when report {public_id} "
        "changes.",
    ),
    "too_fast": (
        "Das ging sehr schnell – bitte prüfen Sie Ihre Angaben und senden Sie erneut.",
        "That was very quick – please check your report and send it again.",
    ),
    "no_html": ("Bitte nur Text, kein HTML.", "Plain text only, no HTML."),
    # The command line's demo history.
    "history_not_empty": (
        "Die Datenbank enthält schon {count} Meldungen. Mit --append wird der Verlauf ergänzt.",
        "The database already holds {count} reports. Use --append to add the history to them.",
    ),
    "history_in_future": (
        "Der Verlauf kann nicht nach heute ({today}) enden.",
        "The history cannot end after today ({today}).",
    ),
    "history_no_catalogue": (
        "Es gibt noch keine Kategorien; zuerst „maengelmelder demo load“ ausführen.",
        "There are no categories yet; run `maengelmelder demo load` first.",
    ),
}

# Marshmallow's built-in English messages -> German. Patterns are anchored.
_MARSHMALLOW_DE: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), de)
    for p, de in [
        (r"Missing data for required field\.", "Pflichtfeld fehlt."),
        (r"Field may not be null\.", "Darf nicht leer sein."),
        (r"Unknown field\.", "Unbekanntes Feld."),
        (r"Invalid input type\.", "Ungültiger Eingabetyp."),
        (r"Invalid value\.", "Ungültiger Wert."),
        (r"Not a valid number\.", "Keine gültige Zahl."),
        (r"Not a valid integer\.", "Keine gültige ganze Zahl."),
        (r"Number too large\.", "Zahl zu groß."),
        (
            r"Special numeric values \(nan or infinity\) are not permitted\.",
            "Sonderwerte (NaN oder unendlich) sind nicht erlaubt.",
        ),
        (r"Not a valid string\.", "Keine gültige Zeichenkette."),
        (r"Not a valid utf-8 string\.", "Kein gültiger UTF-8-Text."),
        (r"Not a valid email address\.", "Keine gültige E-Mail-Adresse."),
        (r"Not a valid boolean\.", "Kein gültiger Wahrheitswert."),
        (r"Not a valid datetime\.", "Kein gültiger Zeitpunkt."),
        (
            r"Not a valid aware datetime\.",
            "Kein gültiger Zeitpunkt mit Zeitzone (z. B. 2026-03-10T11:00:00Z).",
        ),
        (r"Not a valid list\.", "Keine gültige Liste."),
        (r"Shorter than minimum length (\d+)\.", r"Kürzer als die Mindestlänge \1."),
        (r"Longer than maximum length (\d+)\.", r"Länger als die Höchstlänge \1."),
        (r"Length must be between (\d+) and (\d+)\.", r"Die Länge muss zwischen \1 und \2 liegen."),
        (
            r"Must be greater than or equal to (\S+) and less than or equal to (\S+)\.",
            r"Muss zwischen \1 und \2 liegen.",
        ),
        (r"Must be greater than or equal to (\S+)\.", r"Muss mindestens \1 sein."),
        (r"Must be less than or equal to (\S+)\.", r"Darf höchstens \1 sein."),
        (r"Must be one of: (.*)\.", r"Muss einer der folgenden Werte sein: \1."),
        (r"String does not match expected pattern\.", "Der Text hat nicht das erwartete Format."),
    ]
]


def msg(code: str, **params: Any) -> Message:
    """Return the German and English text of a message code."""
    de, en = MESSAGES[code]
    return {"de": de.format(**params), "en": en.format(**params)}


def english_to_bilingual(text: str) -> Message:
    """Turn an English validation message (marshmallow's or ours) into a de/en pair."""
    for de, en in MESSAGES.values():
        if "{" not in en and text == en:
            return {"de": de, "en": en}
    for pattern, de in _MARSHMALLOW_DE:
        if pattern.fullmatch(text):
            return {"de": pattern.sub(de, text), "en": text}
    # An untranslated message is a bug; tests walk every schema error to catch it.
    return {"de": text, "en": text}


def translate_errors(errors: Any) -> Any:
    """Translate marshmallow's nested error structure into de/en message pairs."""
    if isinstance(errors, str):
        return english_to_bilingual(errors)
    if isinstance(errors, dict):
        if set(errors) == {"de", "en"}:
            return errors
        return {str(k): translate_errors(v) for k, v in errors.items()}
    if isinstance(errors, list | tuple):
        return [translate_errors(e) for e in errors]
    return errors
