"""The accounts feature's messages about signing in with the identity provider, German
first, added to the app's one catalogue."""

from __future__ import annotations

from ..i18n import MESSAGES

MESSAGES.update(
    {
        "oidc_off": (
            "Die Anmeldung mit Dienstkonto ist hier nicht eingerichtet.",
            "Sign-in with a work account is not set up here.",
        ),
        "oidc_unavailable": (
            "Der Anmeldedienst der Stadt ist gerade nicht erreichbar. Bitte später erneut "
            "versuchen.",
            "The city's sign-in service cannot be reached right now. Please try again later.",
        ),
        "oidc_state_invalid": (
            "Diese Anmeldung ist abgelaufen oder gehört nicht zu diesem Browser. Bitte erneut "
            "mit Dienstkonto anmelden.",
            "This sign-in has expired or belongs to another browser. Please sign in with your "
            "work account again.",
        ),
        "oidc_failed": (
            "Der Anmeldedienst hat die Anmeldung nicht bestätigt. Bitte erneut anmelden.",
            "The sign-in service did not confirm the sign-in. Please sign in again.",
        ),
        "oidc_token_invalid": (
            "Die Bestätigung des Anmeldedienstes ist ungültig (Signatur, Aussteller, "
            "Empfänger oder Gültigkeit). Bitte erneut anmelden.",
            "The sign-in service's confirmation is invalid (signature, issuer, audience or "
            "validity). Please sign in again.",
        ),
        "oidc_no_role": (
            "Ihr Dienstkonto gehört zu keiner Gruppe, die hier eine Rolle hat. Bitte wenden "
            "Sie sich an die IT oder Ihre Leitung.",
            "Your work account is in no group that has a role here. Please ask IT or your "
            "supervisor.",
        ),
        "oidc_account_inactive": (
            "Dieses Konto ist deaktiviert.",
            "This account is deactivated.",
        ),
        "oidc_email_taken": (
            "Ein anderes Konto hat schon diese E-Mail-Adresse. Bitte wenden Sie sich an die "
            "Verwaltung.",
            "Another account already has this e-mail address. Please ask an admin.",
        ),
        "passwords_needed_no_provider": (
            "Die Anmeldung mit Passwort kann nicht abgeschaltet werden: Es ist keine Anmeldung "
            "mit Dienstkonto eingerichtet.",
            "Password sign-in cannot be switched off: no work-account sign-in is set up.",
        ),
        "passwords_needed_own_access": (
            "Damit würden Sie sich selbst aussperren: Sie sind mit Passwort angemeldet und "
            "kein Notfallkonto. Bitte erst mit Dienstkonto anmelden.",
            "This would lock you out: you signed in with a password and are no break-glass "
            "account. Please sign in with your work account first.",
        ),
        "password_login_off": (
            "Die Anmeldung mit Passwort ist für Mitarbeitende abgeschaltet. Bitte mit "
            "Dienstkonto anmelden.",
            "Password sign-in is switched off for staff. Please sign in with your work account.",
        ),
    }
)
