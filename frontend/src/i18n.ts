/** Every visible string of the app, in German (default) and English. */

export type Lang = "de" | "en";
export type Bilingual = { de: string; en: string };

const de = {
  appTitle: "Mängelmelder",
  skipLink: "Zum Inhalt springen",
  switchLang: "English",
  loading: "Wird geladen …",
  loadFailed: "Die Daten konnten nicht geladen werden. Bitte später erneut versuchen.",
  mapLabel: "Karte der gemeldeten Mängel",
  zoomIn: "Hineinzoomen",
  zoomOut: "Herauszoomen",
  startReport: "Mangel melden",
  intro: "Melden Sie Schlaglöcher, wilden Müll, defekte Laternen und andere Mängel direkt an die zuständige Stelle.",
  filters: "Meldungen filtern",
  filterCategory: "Kategorie",
  filterStatus: "Status",
  all: "Alle",
  statusOpen: "Offen",
  statusDone: "Erledigt oder abgeschlossen",
  reportsShown: "{n} Meldungen auf der Karte",
  reportId: "Vorgang {id}",
  back: "Zurück",
  next: "Weiter",
  stepOf: "Schritt {n} von 4",
  stepWhere: "Wo ist der Mangel?",
  whereHelp: "Tippen Sie auf die Karte oder ziehen Sie die Nadel an die richtige Stelle.",
  pinMapLabel: "Karte zur Auswahl des Ortes",
  pinTitle: "Ort des Mangels (verschiebbar)",
  useMyPosition: "Meine Position verwenden",
  useMapCentre: "Kartenmitte übernehmen",
  locating: "Position wird bestimmt …",
  locateFailed: "Ihre Position konnte nicht bestimmt werden. Bitte wählen Sie den Ort auf der Karte.",
  chosenPlace: "Gewählter Ort: {lat}, {lon}",
  outside: "Dieser Ort liegt außerhalb von {city}. Bitte wählen Sie einen Ort im Stadtgebiet.",
  stepWhat: "Was ist es?",
  whatHelp: "Wählen Sie die passende Kategorie.",
  stepPhotos: "Fotos",
  photosHelp: "Fotos helfen bei der Bearbeitung (freiwillig, höchstens {max}).",
  photoInput: "Foto aufnehmen oder auswählen",
  photoCount: "{n} von {max} Fotos",
  photoAlt: "Foto {n}",
  photoRemove: "Foto {n} entfernen",
  photoProcessing: "Foto wird verkleinert …",
  photoTooMany: "Es sind höchstens {max} Fotos möglich.",
  photoFailed: "Ein Foto konnte nicht gelesen werden.",
  stepDetails: "Beschreibung und Kontakt",
  description: "Beschreibung",
  descriptionHelp: "Was ist los? Höchstens 4000 Zeichen.",
  email: "E-Mail (freiwillig)",
  emailHelp: "Nur für Rückfragen und Benachrichtigungen; wird nie veröffentlicht.",
  notify: "Über den Fortschritt per E-Mail informieren",
  send: "Absenden",
  sending: "Wird gesendet …",
  nearbyTitle: "Ist es einer davon?",
  nearbyHelp: "In der Nähe wurde schon etwas Ähnliches gemeldet. Unterstützen Sie die bestehende Meldung, statt sie doppelt zu melden.",
  support: "Unterstützen",
  reportAnyway: "Nein, neu melden",
  distance: "{m} m entfernt",
  supportThanks: "Danke für Ihre Unterstützung!",
  supportText: "Sie unterstützen jetzt die Meldung",
  doneTitle: "Danke! Ihre Meldung ist eingegangen",
  doneId: "Ihre Vorgangsnummer:",
  doneDepartment: "Zuständig:",
  doneDeadline: "Erledigung angestrebt bis:",
  track: "Meldung verfolgen",
  toMap: "Zur Karte",
  queuedTitle: "Meldung gespeichert",
  queuedText: "Sie sind offline. Ihre Meldung wird automatisch gesendet, sobald wieder eine Verbindung besteht.",
  waiting: "Wartet auf Verbindung",
  waitingCount: "Wartet auf Verbindung ({n} Meldungen)",
  sent: "Gesendet",
  sentId: "Gesendet: Vorgang {id}",
  failedQueued: "Eine gespeicherte Meldung wurde abgelehnt:",
  networkError: "Keine Verbindung zum Server.",
  errorTitle: "Fehler",
  trackTitle: "Meldung {id}",
  notFound: "Diese Meldung wurde nicht gefunden.",
  status: "Status:",
  category: "Kategorie:",
  department: "Zuständig:",
  deadline: "Erledigung angestrebt bis:",
  yourDescription: "Ihre Beschreibung",
  photos: "Fotos",
  history: "Verlauf",
  fixed: "Ist behoben",
  notFixed: "Ist nicht behoben",
  reopenNote: "Was ist noch nicht in Ordnung?",
  reopen: "Wieder öffnen",
  resolvedQuestion: "Die Stadt hat den Mangel als erledigt gemeldet. Stimmt das?",
  confirmed: "Danke für Ihre Rückmeldung.",
  supporters: "{n} Unterstützer",
  created: "Gemeldet am:",
  cat_none: "Bitte eine Kategorie wählen.",
  honeypot: "Website (bitte leer lassen)",
  details: "Details",
  detailsFor: "Details zu Vorgang {id}",
  place: "Ort:",
  reportMap: "Ort der Meldung auf der Karte",
  publicText: "Beschreibung",
  reportActions: "Was Sie tun können",
  notPublic: "Text und Fotos dieser Meldung sind nicht öffentlich.",
  supportHelp: "Ist Ihnen dieser Mangel auch aufgefallen? Unterstützen Sie die Meldung.",
  supportersNow: "Unterstützt von {n} Personen.",
  abuseOpen: "Missbrauch melden",
  abuseHelp: "Enthält diese Meldung etwas, das nicht öffentlich sein sollte? Die Stadt prüft Ihren Hinweis.",
  abuseReason: "Grund",
  abuse_offensive: "Beleidigend oder anstößig",
  abuse_personal_data: "Enthält persönliche Daten",
  abuse_spam: "Werbung oder Spam",
  abuse_wrong_place: "Falscher Ort",
  abuse_other: "Anderer Grund",
  abuseComment: "Kommentar (freiwillig)",
  abuseCommentHelp: "Höchstens 500 Zeichen.",
  abuseSend: "Hinweis senden",
  abuseNeedReason: "Bitte einen Grund wählen.",
  abuseThanks: "Danke, Ihr Hinweis ist eingegangen.",
  cancel: "Abbrechen",
  close: "Schließen",
  tooMany: "Zu viele Hinweise von diesem Gerät. Bitte versuchen Sie es in {wait} erneut.",
  tooManyLater: "Zu viele Hinweise von diesem Gerät. Bitte versuchen Sie es später erneut.",
  waitSecond: "einer Sekunde",
  waitSeconds: "{n} Sekunden",
  waitMinute: "einer Minute",
  waitMinutes: "{n} Minuten",
  waitHour: "einer Stunde",
  waitHours: "{n} Stunden",
  confirmTitle: "Bestätigung Ihrer Meldung",
  confirming: "Ihre E-Mail-Adresse wird bestätigt …",
  confirmPublished: "Danke! Ihre Meldung ist bestätigt und jetzt öffentlich sichtbar.",
  confirmReview: "Danke! Ihre Meldung ist bestätigt. Die Stadt prüft sie, bevor sie öffentlich erscheint.",
  confirmFollowing: "Danke! Ihre E-Mail-Adresse ist bestätigt. Sie erhalten Nachricht, wenn sich an der Meldung etwas ändert.",
  confirmExpiredTitle: "Bestätigungslink abgelaufen",
  confirmExpiredHelp: "Der Link in der E-Mail gilt nur eine begrenzte Zeit. Sie können den Mangel gern erneut melden.",
  confirmInvalidTitle: "Bestätigungslink ungültig",
  confirmInvalidHelp: "Bitte prüfen Sie, ob der Link vollständig aus der E-Mail übernommen wurde.",
  viewReport: "Meldung ansehen",
  retry: "Erneut versuchen",
};

export type Key = keyof typeof de;

const en: Record<Key, string> = {
  appTitle: "Defect reporter",
  skipLink: "Skip to content",
  switchLang: "Deutsch",
  loading: "Loading …",
  loadFailed: "The data could not be loaded. Please try again later.",
  mapLabel: "Map of reported issues",
  zoomIn: "Zoom in",
  zoomOut: "Zoom out",
  startReport: "Report an issue",
  intro: "Report potholes, dumped rubbish, broken street lights and other issues straight to the office in charge.",
  filters: "Filter reports",
  filterCategory: "Category",
  filterStatus: "Status",
  all: "All",
  statusOpen: "Open",
  statusDone: "Resolved or closed",
  reportsShown: "{n} reports on the map",
  reportId: "Report {id}",
  back: "Back",
  next: "Next",
  stepOf: "Step {n} of 4",
  stepWhere: "Where is the issue?",
  whereHelp: "Tap the map or drag the pin to the right place.",
  pinMapLabel: "Map to choose the place",
  pinTitle: "Place of the issue (draggable)",
  useMyPosition: "Use my location",
  useMapCentre: "Use the map centre",
  locating: "Finding your location …",
  locateFailed: "Your location could not be found. Please choose the place on the map.",
  chosenPlace: "Chosen place: {lat}, {lon}",
  outside: "This place is outside {city}. Please choose a place within the city.",
  stepWhat: "What is it?",
  whatHelp: "Choose the matching category.",
  stepPhotos: "Photos",
  photosHelp: "Photos help the crew (optional, at most {max}).",
  photoInput: "Take or choose a photo",
  photoCount: "{n} of {max} photos",
  photoAlt: "Photo {n}",
  photoRemove: "Remove photo {n}",
  photoProcessing: "Resizing photo …",
  photoTooMany: "At most {max} photos are possible.",
  photoFailed: "A photo could not be read.",
  stepDetails: "Description and contact",
  description: "Description",
  descriptionHelp: "What is wrong? At most 4000 characters.",
  email: "E-mail (optional)",
  emailHelp: "Only for questions and notifications; never published.",
  notify: "Keep me informed by e-mail",
  send: "Send",
  sending: "Sending …",
  nearbyTitle: "Is it one of these?",
  nearbyHelp: "Something similar has already been reported nearby. Support the existing report instead of filing a duplicate.",
  support: "Support",
  reportAnyway: "No, file a new report",
  distance: "{m} m away",
  supportThanks: "Thank you for your support!",
  supportText: "You now support report",
  doneTitle: "Thank you! Your report has been received",
  doneId: "Your reference number:",
  doneDepartment: "In charge:",
  doneDeadline: "Target date:",
  track: "Track the report",
  toMap: "Back to the map",
  queuedTitle: "Report saved",
  queuedText: "You are offline. Your report will be sent automatically as soon as there is a connection.",
  waiting: "Waiting for a connection",
  waitingCount: "Waiting for a connection ({n} reports)",
  sent: "Sent",
  sentId: "Sent: report {id}",
  failedQueued: "A saved report was rejected:",
  networkError: "No connection to the server.",
  errorTitle: "Error",
  trackTitle: "Report {id}",
  notFound: "This report was not found.",
  status: "Status:",
  category: "Category:",
  department: "In charge:",
  deadline: "Target date:",
  yourDescription: "Your description",
  photos: "Photos",
  history: "History",
  fixed: "It is fixed",
  notFixed: "It is not fixed",
  reopenNote: "What is still wrong?",
  reopen: "Reopen",
  resolvedQuestion: "The city reports the issue as resolved. Is that right?",
  confirmed: "Thank you for your feedback.",
  supporters: "{n} supporters",
  created: "Reported on:",
  cat_none: "Please choose a category.",
  honeypot: "Website (leave empty)",
  details: "Details",
  detailsFor: "Details of report {id}",
  place: "Place:",
  reportMap: "Place of the report on the map",
  publicText: "Description",
  reportActions: "What you can do",
  notPublic: "The text and photos of this report are not public.",
  supportHelp: "Have you noticed this issue too? Support the report.",
  supportersNow: "Supported by {n} people.",
  abuseOpen: "Report abuse",
  abuseHelp: "Does this report contain something that should not be public? The city will check your notice.",
  abuseReason: "Reason",
  abuse_offensive: "Offensive or inappropriate",
  abuse_personal_data: "Contains personal data",
  abuse_spam: "Advertising or spam",
  abuse_wrong_place: "Wrong place",
  abuse_other: "Other reason",
  abuseComment: "Comment (optional)",
  abuseCommentHelp: "At most 500 characters.",
  abuseSend: "Send notice",
  abuseNeedReason: "Please choose a reason.",
  abuseThanks: "Thank you, your notice has been received.",
  cancel: "Cancel",
  close: "Close",
  tooMany: "Too many notices from this device. Please try again in {wait}.",
  tooManyLater: "Too many notices from this device. Please try again later.",
  waitSecond: "a second",
  waitSeconds: "{n} seconds",
  waitMinute: "a minute",
  waitMinutes: "{n} minutes",
  waitHour: "an hour",
  waitHours: "{n} hours",
  confirmTitle: "Confirming your report",
  confirming: "Confirming your e-mail address …",
  confirmPublished: "Thank you! Your report is confirmed and now public.",
  confirmReview: "Thank you! Your report is confirmed. The city will review it before it is shown publicly.",
  confirmFollowing: "Thank you! Your e-mail address is confirmed. You will hear when the report changes.",
  confirmExpiredTitle: "Confirmation link expired",
  confirmExpiredHelp: "The link in the e-mail is valid for a limited time only. You are welcome to report the issue again.",
  confirmInvalidTitle: "Invalid confirmation link",
  confirmInvalidHelp: "Please check that the whole link was copied from the e-mail.",
  viewReport: "View the report",
  retry: "Try again",
};

export const strings: Record<Lang, Record<Key, string>> = { de, en };

const STORAGE_KEY = "mm-lang";
let current: Lang = "de";
try {
  const stored = globalThis.localStorage?.getItem(STORAGE_KEY);
  if (stored === "en" || stored === "de") current = stored;
} catch {
  /* storage may be blocked */
}

const listeners = new Set<() => void>();

export function lang(): Lang {
  return current;
}

export function setLang(next: Lang): void {
  current = next;
  try {
    globalThis.localStorage?.setItem(STORAGE_KEY, next);
  } catch {
    /* ignore */
  }
  if (typeof document !== "undefined") document.documentElement.lang = next;
  listeners.forEach((fn) => fn());
}

export function onLangChange(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** The string for key in the current language, with {placeholders} filled in. */
export function t(key: Key, params: Record<string, string | number> = {}): string {
  const text = strings[current][key] ?? strings.de[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
}

/** The current language's side of a {de, en} pair from the API. */
export function pick(value: Bilingual | null | undefined): string {
  if (!value) return "";
  return value[current] || value.de || value.en || "";
}

const STATUS: Record<string, Bilingual> = {
  new: { de: "Neu", en: "New" },
  acknowledged: { de: "Angenommen", en: "Acknowledged" },
  in_progress: { de: "In Bearbeitung", en: "In progress" },
  waiting_external: { de: "Wartet auf Dritte", en: "Waiting for a third party" },
  resolved: { de: "Erledigt", en: "Resolved" },
  closed: { de: "Abgeschlossen", en: "Closed" },
  rejected: { de: "Abgelehnt", en: "Rejected" },
  duplicate: { de: "Doppelt gemeldet", en: "Duplicate" },
};

/** A status label: the API's status_label when given, else the built-in one. */
export function statusLabel(status: string, label?: Bilingual | null): string {
  return pick(label ?? STATUS[status]) || status;
}

/** A date and time shown in the city's time zone (Europe/Berlin), whatever the device's. */
export function formatDateTime(iso: string | null | undefined, l: Lang = current): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return new Intl.DateTimeFormat(l === "de" ? "de-DE" : "en-GB", {
    dateStyle: "medium",
    timeStyle: "short",
    timeZone: "Europe/Berlin",
  }).format(d);
}

/** A wait in words, for "try again in …": seconds, minutes or hours, rounded up. */
export function waitText(seconds: number): string {
  const s = Math.max(1, Math.ceil(seconds));
  if (s < 60) return s === 1 ? t("waitSecond") : t("waitSeconds", { n: s });
  const m = Math.ceil(s / 60);
  if (m < 60) return m === 1 ? t("waitMinute") : t("waitMinutes", { n: m });
  const hrs = Math.ceil(s / 3600);
  return hrs === 1 ? t("waitHour") : t("waitHours", { n: hrs });
}
