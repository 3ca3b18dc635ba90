import "../shared/style.css";
import "./staff.css";
import { followBrowserLang } from "../shared/i18n";
import { adminView } from "./admin/view";
import { blocklistView } from "./blocklist";
import { boardView } from "./board";
import { failedDeliveriesView } from "./deliveries";
import { hotspotsView } from "./hotspots";
import { mailsView } from "./mails";
import { moderationView } from "./moderation";
import { queueView } from "./queue";
import { sessionsView } from "./sessions";
import { start } from "./shell";
import { ticketView } from "./ticket";

// A first visit starts in the browser's language; a choice made since is kept.
followBrowserLang();
void start(document.getElementById("app")!, {
  queue: () => queueView(),
  ticket: (id) => ticketView(id),
  board: () => boardView(),
  hotspots: () => hotspotsView(),
  moderation: () => moderationView(),
  admin: () => adminView(),
  blocklist: () => blocklistView(),
  mails: () => mailsView(),
  deliveries: () => failedDeliveriesView(),
  sessions: () => sessionsView(),
});
