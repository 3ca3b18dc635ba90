import "../style.css";
import "./staff.css";
import { lang } from "../i18n";
import { queueView } from "./queue";
import { start } from "./shell";
import { ticketView } from "./ticket";

document.documentElement.lang = lang();
void start(document.getElementById("app")!, {
  queue: () => queueView(),
  ticket: (id) => ticketView(id),
});
