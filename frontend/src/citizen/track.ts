/** The reporter's tracking page at /track/<token>. */
import { ApiError } from "../shared/api";
import { focusHeading, h } from "../shared/dom";
import { formatDateTime, lang, pick, statusLabel } from "../shared/i18n";
import type { HistoryEntry, Photo, Tracked } from "../shared/types";
import { confirmFixed, getTracked, reopenReport } from "./api";
import type { View } from "./app";
import { t } from "./i18n";

/** What a history entry says happened: the reporter's own reopening in words, else the new status. */
export function entryTitle(e: HistoryEntry): string {
  if (e.kind === "reopened" && e.your_note) return `${t("reopenedByYou")} → ${statusLabel(e.to_status ?? "")}`;
  return e.to_status ? statusLabel(e.to_status) : e.kind;
}

/**
 * The history as an ordered list, labelled by the heading with id `labelledBy`; in the
 * reporter's own view an entry also shows what they wrote themselves (`your_note`).
 */
export function historyList(entries: HistoryEntry[], labelledBy: string): HTMLElement {
  return h(
    "ol",
    { class: "history", "aria-labelledby": labelledBy },
    ...entries.map((e) =>
      h(
        "li",
        {},
        h("time", { datetime: e.at }, formatDateTime(e.at)),
        " – ",
        h("strong", {}, entryTitle(e)),
        e.note ? h("p", { class: "note" }, e.note) : null,
        e.your_note ? h("p", { class: "note note-own" }, h("span", { class: "tag" }, t("yourNote")), " ", e.your_note) : null,
      ),
    ),
  );
}

/** Thumbnails linking to the web-size photos, or null without photos. */
export function photoList(photos: Photo[] | undefined): HTMLElement | null {
  if (!photos?.length) return null;
  return h(
    "ul",
    { class: "thumbs" },
    ...photos.map((p, i) =>
      h("li", {}, h("a", { href: p.url }, h("img", { src: p.thumbnail_url, alt: t("photoAlt", { n: i + 1 }), width: 96, height: 96, loading: "lazy" }))),
    ),
  );
}

export function trackView(token: string): View {
  let data: Tracked | null = null;
  let failure: unknown = null;
  let showReopen = false;
  let note = "";
  let message = "";
  let error: ApiError | null = null;
  let root: HTMLElement;
  let focusNext = true;

  async function load(): Promise<void> {
    try {
      data = await getTracked(token);
      failure = null;
    } catch (e) {
      failure = e;
    }
    draw();
  }

  async function act(fn: () => Promise<Tracked>, done: string): Promise<void> {
    error = null;
    try {
      data = await fn();
      showReopen = false;
      note = "";
      message = done;
    } catch (e) {
      error = e instanceof ApiError ? e : new ApiError(0, "network", { de: t("networkError"), en: t("networkError") });
    }
    focusNext = true;
    draw();
  }

  function draw(): void {
    root.replaceChildren();
    if (!data) {
      if (failure) {
        const nf = failure instanceof ApiError && failure.status === 404;
        root.append(h("h2", {}, nf ? t("notFound") : t("loadFailed")), h("p", {}, h("a", { href: "/" }, t("toMap"))));
      } else {
        root.append(h("p", { "aria-live": "polite" }, t("loading")));
      }
      return;
    }
    const r = data;
    const title = h("h2", { tabindex: "-1" }, t("trackTitle", { id: r.public_id }));
    const history = historyList(r.history, "history-h");
    const photos = photoList(r.photos);

    let actions: HTMLElement | null = null;
    if (r.status === "resolved") {
      const yes = h("button", { type: "button", class: "btn btn-primary" }, t("fixed"));
      yes.addEventListener("click", () => void act(() => confirmFixed(token), t("confirmed")));
      const no = h("button", { type: "button", class: "btn", "aria-expanded": String(showReopen), "aria-controls": "reopen-form" }, t("notFixed"));
      no.addEventListener("click", () => {
        showReopen = !showReopen;
        focusNext = false;
        draw();
        root.querySelector<HTMLTextAreaElement>("#reopen-note")?.focus();
      });
      const form = showReopen
        ? h(
            "form",
            { id: "reopen-form", class: "reopen" },
            h("div", { class: "field" }, h("label", { for: "reopen-note" }, t("reopenNote")), h("textarea", { id: "reopen-note", rows: 4, maxlength: 2000, required: true })),
            h("button", { type: "submit", class: "btn btn-primary" }, t("reopen")),
          )
        : null;
      if (form) {
        const ta = form.querySelector("textarea")!;
        ta.value = note;
        ta.addEventListener("input", () => (note = ta.value));
        form.addEventListener("submit", (e) => {
          e.preventDefault();
          if (!note.trim()) {
            ta.focus();
            return;
          }
          void act(() => reopenReport(token, note.trim()), t("reopenDone"));
        });
      }
      actions = h("section", { class: "actions", "aria-label": t("resolvedQuestion") }, h("p", {}, t("resolvedQuestion")), h("div", { class: "row" }, yes, no), form);
    }

    root.append(
      h(
        "div",
        {},
        title,
      message ? h("p", { class: "ok", role: "status" }, message) : null,
      error ? h("div", { class: "alert", role: "alert" }, error.text(lang())) : null,
      h(
        "dl",
        { class: "facts" },
        h("dt", {}, t("status")),
        h("dd", {}, h("span", { class: `status status-${r.status}` }, statusLabel(r.status, r.status_label))),
        h("dt", {}, t("category")),
        h("dd", {}, pick(r.category?.name)),
        r.department ? [h("dt", {}, t("department")), h("dd", {}, pick(r.department.name))] : null,
        r.created_at ? [h("dt", {}, t("created")), h("dd", {}, formatDateTime(r.created_at))] : null,
        r.deadline ? [h("dt", {}, t("deadline")), h("dd", {}, formatDateTime(r.deadline))] : null,
      ),
      actions,
      r.description ? [h("h3", {}, t("yourDescription")), h("p", { class: "desc" }, r.description)] : null,
      photos ? [h("h3", {}, t("photos")), photos] : null,
      h("h3", { id: "history-h" }, t("history")),
        history,
      ),
    );
    if (focusNext) {
      focusNext = false;
      focusHeading(title);
    }
  }

  return {
    render(main) {
      root = h("section", { class: "track" });
      main.append(root);
      if (data || failure) draw();
      else {
        draw();
        void load();
      }
    },
  };
}
