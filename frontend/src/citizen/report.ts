/** A report's public page at /reports/<public_id>: what everyone may see, "support", "report abuse". */
import { ApiError } from "../shared/api";
import { focusHeading, h } from "../shared/dom";
import { formatDateTime, lang, pick, statusLabel } from "../shared/i18n";
import L from "../shared/leaflet";
import { createMap, pinIcon } from "../shared/mapcommon";
import type { PublicReport } from "../shared/types";
import { abuseDialog, type AbuseSender } from "./abuse";
import { getReport, reportAbuse, supportReport } from "./api";
import { city, type View } from "./app";
import { t } from "./i18n";
import { historyList, photoList } from "./track";

const OPEN = ["new", "acknowledged", "in_progress", "waiting_external"];

/** The place as words: the address when there is one, else the coordinates. */
export function placeOf(r: Pick<PublicReport, "address" | "lat" | "lon">): string {
  return r.address || `${r.lat.toFixed(5)}, ${r.lon.toFixed(5)}`;
}

export function reportView(publicId: string, sendAbuse: AbuseSender = reportAbuse): View {
  let data: PublicReport | null = null;
  let failure: unknown = null;
  let supportMsg: { ok: boolean; text: string } | null = null;
  let supportBusy = false;
  let root: HTMLElement;
  let map: L.Map | null = null;
  let focusNext = true;

  async function load(): Promise<void> {
    try {
      data = await getReport(publicId);
      failure = null;
    } catch (e) {
      failure = e;
    }
    draw();
  }

  async function support(): Promise<void> {
    if (supportBusy || !data) return;
    supportBusy = true;
    try {
      const r = await supportReport(data.public_id, null, lang());
      data = { ...data, supporters: r.supporters ?? (data.supporters ?? 0) + 1 };
      supportMsg = { ok: true, text: t("supportThanks") };
    } catch (e) {
      supportMsg = { ok: false, text: e instanceof ApiError ? e.text(lang()) : t("networkError") };
    }
    supportBusy = false;
    draw();
    root.querySelector<HTMLElement>("#support-msg")?.focus();
  }

  function draw(): void {
    map?.remove();
    map = null;
    root.replaceChildren();
    if (!data) {
      if (failure) {
        const nf = failure instanceof ApiError && failure.status === 404;
        const title = h("h2", { tabindex: "-1" }, nf ? t("notFound") : t("loadFailed"));
        root.append(title, h("p", {}, h("a", { href: "/" }, t("toMap"))));
        focusHeading(title);
      } else {
        root.append(h("p", { "aria-live": "polite" }, t("loading")));
      }
      return;
    }
    const r = data;
    const title = h("h2", { tabindex: "-1" }, t("trackTitle", { id: r.public_id }));
    const mapEl = h("div", { class: "map map-report" });

    // Only published citizen content can be flagged (the server answers 404 for the rest).
    let abuseBtn: HTMLButtonElement | null = null;
    if (r.published !== false) {
      const btn = h("button", { type: "button", class: "btn", "aria-haspopup": "dialog" }, t("abuseOpen"));
      const dialog = abuseDialog(r.public_id, btn, sendAbuse);
      btn.addEventListener("click", () => dialog.open());
      abuseBtn = btn;
    }

    const open = OPEN.includes(r.status);
    const supportBtn = open ? h("button", { type: "button", class: "btn btn-primary", disabled: supportBusy, onclick: () => void support() }, t("support")) : null;

    const actions =
      supportBtn || abuseBtn || supportMsg
        ? h(
            "section",
            { class: "actions", "aria-label": t("reportActions") },
            open ? h("p", {}, t("supportHelp")) : null,
            r.supporters ? h("p", {}, t("supportersNow", { n: r.supporters })) : null,
            supportMsg ? h("p", { id: "support-msg", tabindex: "-1", class: supportMsg.ok ? "ok" : "alert", role: supportMsg.ok ? "status" : "alert" }, supportMsg.text) : null,
            h("div", { class: "row" }, supportBtn, abuseBtn),
          )
        : null;

    root.append(
      h(
        "div",
        {},
        title,
        h(
          "dl",
          { class: "facts" },
          h("dt", {}, t("status")),
          h("dd", {}, h("span", { class: `status status-${r.status}` }, statusLabel(r.status, r.status_label))),
          h("dt", {}, t("category")),
          h("dd", {}, pick(r.category?.name)),
          r.department ? [h("dt", {}, t("department")), h("dd", {}, pick(r.department.name))] : null,
          h("dt", {}, t("place")),
          h("dd", {}, placeOf(r)),
          r.created_at ? [h("dt", {}, t("created")), h("dd", {}, formatDateTime(r.created_at))] : null,
          r.deadline && open ? [h("dt", {}, t("deadline")), h("dd", {}, formatDateTime(r.deadline))] : null,
        ),
        actions,
        r.published === false ? h("p", { class: "hint" }, t("notPublic")) : null,
        r.description ? [h("h3", {}, t("publicText")), h("p", { class: "desc" }, r.description)] : null,
        r.photos?.length ? [h("h3", {}, t("photos")), photoList(r.photos)] : null,
        mapEl,
        r.history?.length ? [h("h3", { id: "history-h" }, t("history")), historyList(r.history, "history-h")] : null,
        h("p", {}, h("a", { href: "/" }, t("toMap"))),
      ),
    );
    if (focusNext) {
      focusNext = false;
      focusHeading(title);
    }
    city().then(
      (c) => {
        if (!mapEl.isConnected) return;
        map = createMap(mapEl, c, t("reportMap"), { lat: r.lat, lon: r.lon, zoom: 17 });
        L.marker([r.lat, r.lon], { icon: pinIcon(), keyboard: false, interactive: false }).addTo(map);
      },
      () => mapEl.remove(),
    );
  }

  return {
    render(main) {
      root = h("section", { class: "report" });
      main.append(root);
      draw();
      if (!data && !failure) void load();
    },
    destroy() {
      map?.remove();
      map = null;
    },
  };
}
