/**
 * The API's shapes under the names both apps use: aliases of the types generated from the
 * OpenAPI document (api-types.ts; `make types` writes it, a Python test checks it is current).
 * Nothing else imports api-types.ts, so when a schema is renamed only this file changes.
 */
import type { components, paths } from "./api-types";
import type { Bilingual } from "./i18n";

type Schemas = components["schemas"];

/**
 * The JSON body of an answer of one operation (status 200 unless named); should the operation
 * no longer answer so, a type without fields, so every use of it fails to compile.
 */
type Json<P extends keyof paths, M extends keyof paths[P], S extends number = 200> = paths[P][M] extends {
  responses: Record<S, { content: { "application/json": infer T } }>;
}
  ? T
  : { "no JSON answer": [P, M, S] };

// What the document leaves open, as the server sends it: the public report's `address` and the
// reporter's `status_label` (computed fields without a type), a ticket's `routing` (an object).
type WithAddress<T> = Omit<T, "address"> & { address: string | null };
type WithStatusLabel<T> = Omit<T, "status_label"> & { status_label: Bilingual };
/** How a ticket came to its department (the routing explanation, or the forwarding). */
type Routing = { text?: Bilingual; rule_id?: string | null; fallback?: boolean };
type StaffTicket<T> = Omit<WithAddress<T>, "routing"> & { routing: Routing | null };

// -- both apps ----------------------------------------------------------------------------

export type Category = Schemas["CategoryOut"];
export type City = Schemas["City"];
export type Photo = Schemas["PhotoOut"];

// -- the citizen app ----------------------------------------------------------------------

/** A public report (a report page, a support's answer). */
export type Report = WithAddress<Schemas["ReportPublic"]>;
/** A report near the chosen place ("Ist es einer davon?"), with its distance. */
export type NearbyReport = WithAddress<Schemas["NearbyReport"]>;
/** A history entry; only the reporter's own view (the tracking link) carries `your_note`. */
export type HistoryEntry = Omit<Schemas["EventForReporter"], "your_note"> & { your_note?: string | null };
/** The reporter's own view of a report (the tracking link), with its public history. */
export type Tracked = WithStatusLabel<Schemas["TrackedReport"]>;
/** A report's public page: the public report, with its public history should the server send it. */
export type PublicReport = Report & { history?: HistoryEntry[] };
export type SubmitResult = Omit<Schemas["ReportCreated"], "report"> & { report: WithStatusLabel<Schemas["ReportForReporter"]> };
/** What a map marker shows (the list's `view=map` as GeoJSON: the position is the geometry). */
export type MapReport = Omit<Schemas["MapReport"], "lat" | "lon">;
/** A street address from the city's address data (the place step's lookup and search). */
export type Address = Schemas["Address"];
export type AbuseReason = Schemas["AbuseIn"]["reason"];
export type AbuseReceipt = Json<"/api/v1/reports/{public_id}/abuse", "post", 202>;
export type Confirmation = Json<"/api/v1/reports/confirm", "post">;

// -- the staff app ------------------------------------------------------------------------

export type User = Schemas["User"];
export type Role = User["role"];
export type Me = Schemas["Me"];
export type Login = Schemas["Login"];
export type SignInOptions = Schemas["SignInOptions"];
export type OidcLogout = Schemas["OidcLogout"];
/** A department as the staff app knows it: the admin list's, or the one a category names. */
export type Department = Schemas["DepartmentRef"] & { email?: Schemas["Department"]["email"] };
/** A ticket as the queue lists it. */
export type Ticket = StaffTicket<Schemas["Ticket"]>;
/**
 * A ticket loaded on its own or after a change: photos with ids, history, undeliverable mails.
 * (`photos` is the generated intersection of two array types, which TypeScript reads as the wider.)
 */
/** Staff of the ticket's own department also see the reporter's address (`TicketFullOwnDepartment`). */
export type TicketFull = Omit<StaffTicket<Schemas["TicketFull"]>, "photos"> & {
  photos: StaffPhoto[];
} & Partial<Pick<Schemas["TicketFullOwnDepartment"], "reporter_email">>;
export type AbuseFlag = Ticket["abuse_flags"][number];
export type StaffPhoto = Schemas["TicketPhoto"];
export type Event = Schemas["StaffEvent"];
export type MailFailure = TicketFull["mail_failures"][number];
export type TicketQueue = Omit<Schemas["TicketQueue"], "items"> & { items: Ticket[] };
/** A ticket past its deadline, with how many hours. */
export type Breach = StaffTicket<Schemas["SlaBreaches"]["items"][number]>;
export type BreachPage = Omit<Schemas["SlaBreaches"], "items"> & { items: Breach[] };
export type Figures = Schemas["SlaFigures"];
export type Summary = Schemas["SlaSummary"];
export type Trend = Schemas["SlaTrend"];
export type StaffSession = Json<"/api/v1/auth/sessions", "get">["items"][number];
export type LoginThrottlePage = Json<"/api/v1/admin/login-throttles", "get">;
export type LoginThrottle = LoginThrottlePage["items"][number];
export type SessionsEnded = Json<"/api/v1/auth/logout-everywhere", "post">;
export type BlockPage = Json<"/api/v1/admin/blocklist", "get">;
export type BlockEntry = BlockPage["items"][number];
export type FailedMailPage = Json<"/api/v1/admin/mails/failed", "get">;
export type FailedMail = FailedMailPage["items"][number];
export type AdminCategory = Schemas["CategoryAdmin"];
export type ApiToken = Schemas["ApiToken"];
export type ApiTokenCreated = Schemas["ApiTokenCreated"];
export type ZoneImportResult = Schemas["ZoneImportResult"];
export type RuleSetVersion = Schemas["RuleSetVersion"];
export type RuleSetApplied = Schemas["RuleSetApplied"];
export type DryRun = Schemas["DryRun"];
export type Move = Schemas["Move"];
