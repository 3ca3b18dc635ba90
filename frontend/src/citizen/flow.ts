/** Reporting in at most four steps (after the category "Ist es einer davon?", nearby.ts), sending or queuing. */
import { ApiError } from "../shared/api";
import { focusHeading, h } from "../shared/dom";
import { formatDateTime, lang, pick } from "../shared/i18n";
import { resizePhoto } from "../shared/resize";
import type { Category, NearbyReport, Report, SubmitResult } from "../shared/types";
import { newKey, submitReport, type ReportFields } from "./api";
import { categories, outbox, queued, trackPath, type View } from "./app";
import { t } from "./i18n";
import { categoryIcon } from "./icons";
import { nearbyReports, nearbyScreen, supportedScreen } from "./nearby";
import { placeStep, type PlaceStep } from "./place";
import { isRetryable, resumeKey, type Resume } from "./queue";
import { FillClock, honeypotField } from "./spam";

export const MAX_PHOTOS = 5;
export const MAX_ADDRESS = 300;

export interface DraftPhoto {
  blob: Blob;
  url: string;
}

export interface Draft {
  /** Made once per report and kept with it: every retry sends the same key. */
  key: string;
  lat: number | null;
  lon: number | null;
  /** The chosen place's street address (its label), "" when none is known. */
  address: string;
  category: string;
  photos: DraftPhoto[];
  description: string;
  email: string;
  notify: boolean;
  notifyTouched: boolean;
  /** The honeypot's value as it was when send was pressed (a person leaves it empty). */
  website: string;
  /** Milliseconds from starting the flow to pressing send; measured at each press. */
  fillMs: number | null;
}

/** The multipart text fields of a draft, the honeypot and fill_ms included. */
export function draftFields(draft: Draft, language: string): ReportFields {
  return {
    category: draft.category,
    lat: String(draft.lat),
    lon: String(draft.lon),
    // The server takes at most 300 characters; a longer label goes shortened, never refused.
    ...(draft.address ? { address: draft.address.slice(0, MAX_ADDRESS) } : {}),
    description: draft.description,
    email: draft.email,
    notify: draft.email ? String(draft.notify) : "false",
    lang: language,
    website: draft.website,
    ...(draft.fillMs !== null ? { fill_ms: String(draft.fillMs) } : {}),
  };
}

type Screen =
  | { kind: "step"; n: 1 | 2 | 3 | 4 }
  | { kind: "nearby"; items: NearbyReport[] }
  | { kind: "done"; result: SubmitResult }
  | { kind: "supported"; report: Report; evidence: boolean }
  | { kind: "queued" };

/**
 * The report flow; `toHome` leaves it for the start screen (back from step 1, "Zur Karte").
 * With `resume`, a report the server refused opens on the last step, everything kept.
 */
export function flowView(toHome: () => void, resume?: Resume): View {
  // fill_ms counts from here: the citizen pressed "Mangel melden".
  const clock = new FillClock();
  const draft: Draft = {
    key: newKey(),
    lat: null,
    lon: null,
    address: "",
    category: "",
    photos: [],
    description: "",
    email: "",
    notify: false,
    notifyTouched: false,
    website: "",
    fillMs: null,
  };
  let screen: Screen = { kind: "step", n: 1 };
  let root: HTMLElement;
  let placeView: PlaceStep | null = null;
  let error: ApiError | string | null = null;
  let busy = false;
  if (resume) {
    const f = resume.fields;
    Object.assign(draft, {
      key: resume.key,
      lat: Number(f.lat),
      lon: Number(f.lon),
      address: f.address ?? "",
      category: f.category,
      photos: resume.photos.map((blob) => ({ blob, url: URL.createObjectURL(blob) })),
      description: f.description,
      email: f.email,
      notify: f.notify === "true",
      notifyTouched: true,
      website: f.website ?? "",
    });
    screen = { kind: "step", n: 4 };
    error = resume.error;
  }

  const go = (next: Screen) => {
    screen = next;
    draw();
  };

  const cleanupMap = () => {
    placeView?.destroy();
    placeView = null;
  };

  function draw(): void {
    cleanupMap();
    root.replaceChildren();
    switch (screen.kind) {
      case "step":
        [stepWhere, stepWhat, stepPhotos, stepDetails][screen.n - 1]();
        break;
      case "nearby":
        nearbyScreen(screen.items, {
          root,
          heading,
          back: () => go({ kind: "step", n: 2 }),
          none: () => go({ kind: "step", n: 3 }),
          supported: (report, evidence) => go({ kind: "supported", report, evidence }),
        });
        break;
      case "done":
        doneScreen(screen.result);
        break;
      case "supported":
        supportedScreen(root, heading, screen.report, screen.evidence, toMapButton());
        break;
      case "queued":
        queuedScreen();
        break;
    }
  }

  function heading(text: string): HTMLHeadingElement {
    const el = h("h2", { tabindex: "-1" }, text);
    queueMicrotask(() => focusHeading(el));
    return el;
  }

  function stepHeader(n: number, title: string): HTMLElement[] {
    return [h("p", { class: "step-of" }, t("stepOf", { n })), heading(title)];
  }

  function nav(n: number, nextOk: boolean, onNext: () => void): HTMLElement {
    const back = h("button", { type: "button", class: "btn" }, t("back"));
    back.addEventListener("click", () => (n === 1 ? toHome() : go({ kind: "step", n: (n - 1) as 1 | 2 | 3 })));
    const next = h("button", { type: "button", class: "btn btn-primary", disabled: !nextOk }, t("next"));
    next.addEventListener("click", onNext);
    return h("div", { class: "nav" }, back, next);
  }

  function errorBox(): HTMLElement | null {
    if (!error) return null;
    const text = typeof error === "string" ? error : error.text(lang());
    return h("div", { class: "alert", role: "alert" }, h("strong", {}, `${t("errorTitle")}: `), text);
  }

  // Step 1: where (place.ts)
  function stepWhere(): void {
    const navEl = nav(1, false, () => go({ kind: "step", n: 2 }));
    placeView = placeStep(root, draft, { header: stepHeader(1, t("stepWhere")), nav: navEl, next: navEl.querySelector<HTMLButtonElement>(".btn-primary")! });
  }

  // Step 2: what
  function stepWhat(): void {
    const grid = h("div", { class: "cat-grid", role: "group", "aria-label": t("stepWhat") });
    // Right after the category: the same defect may have been reported nearby (offline: on).
    const navEl = nav(2, Boolean(draft.category), async () => {
      nextBtn.disabled = true;
      const items = await nearbyReports(draft.lat, draft.lon, draft.category);
      if (screen.kind === "step" && screen.n === 2) go(items.length ? { kind: "nearby", items } : { kind: "step", n: 3 });
    });
    const nextBtn = navEl.querySelector<HTMLButtonElement>(".btn-primary")!;
    root.append(...stepHeader(2, t("stepWhat")), h("p", { class: "hint" }, t("whatHelp")), grid, navEl);
    categories().then(
      (cats: Category[]) => {
        for (const cat of cats) {
          const btn = h(
            "button",
            { type: "button", class: "cat", "aria-pressed": String(draft.category === cat.code), "data-code": cat.code },
            h("span", { class: "cat-icon", "aria-hidden": "true" }, categoryIcon(cat.icon)),
            h("span", { class: "cat-name" }, pick(cat.name)),
          );
          btn.addEventListener("click", () => {
            draft.category = cat.code;
            grid.querySelectorAll("button").forEach((b) => b.setAttribute("aria-pressed", String(b === btn)));
            nextBtn.disabled = false;
          });
          grid.append(btn);
        }
      },
      () => grid.replaceChildren(h("p", { class: "alert", role: "alert" }, t("loadFailed"))),
    );
  }

  // Step 3: photos
  function stepPhotos(): void {
    const input = h("input", { type: "file", id: "photos", accept: "image/*", capture: "environment", multiple: true, disabled: draft.photos.length >= MAX_PHOTOS });
    const list = h("ul", { class: "thumbs" });
    const status = h("p", { class: "hint", "aria-live": "polite" });
    const renderList = () => {
      list.replaceChildren(
        ...draft.photos.map((p, i) => {
          const rm = h("button", { type: "button", class: "btn btn-small" }, t("photoRemove", { n: i + 1 }));
          rm.addEventListener("click", () => {
            URL.revokeObjectURL(p.url);
            draft.photos.splice(i, 1);
            input.disabled = false;
            renderList();
            status.textContent = t("photoCount", { n: draft.photos.length, max: MAX_PHOTOS });
          });
          return h("li", {}, h("img", { src: p.url, alt: t("photoAlt", { n: i + 1 }), width: 96, height: 96 }), rm);
        }),
      );
    };
    input.addEventListener("change", async () => {
      const files = Array.from(input.files ?? []);
      input.value = "";
      const room = MAX_PHOTOS - draft.photos.length;
      if (files.length > room) status.textContent = t("photoTooMany", { max: MAX_PHOTOS });
      for (const file of files.slice(0, Math.max(0, room))) {
        status.textContent = t("photoProcessing");
        try {
          const blob = await resizePhoto(file);
          draft.photos.push({ blob, url: URL.createObjectURL(blob) });
        } catch {
          status.textContent = t("photoFailed");
        }
      }
      input.disabled = draft.photos.length >= MAX_PHOTOS;
      renderList();
      status.textContent = t("photoCount", { n: draft.photos.length, max: MAX_PHOTOS });
    });
    renderList();
    root.append(
      ...stepHeader(3, t("stepPhotos")),
      h("p", { class: "hint" }, t("photosHelp", { max: MAX_PHOTOS })),
      h("div", { class: "field" }, h("label", { for: "photos", class: "file-label" }, t("photoInput")), input),
      status,
      list,
      nav(3, true, () => go({ kind: "step", n: 4 })),
    );
  }

  // Step 4: description and contact
  function stepDetails(): void {
    const desc = h("textarea", { id: "description", maxlength: 4000, rows: 5, "aria-describedby": "description-help" });
    desc.value = draft.description;
    const email = h("input", { id: "email", type: "email", autocomplete: "email", inputmode: "email", "aria-describedby": "email-help", value: draft.email });
    const notify = h("input", { id: "notify", type: "checkbox", checked: draft.notify });
    desc.addEventListener("input", () => (draft.description = desc.value));
    email.addEventListener("input", () => {
      draft.email = email.value.trim();
      if (!draft.notifyTouched) {
        draft.notify = draft.email !== "";
        notify.checked = draft.notify;
      }
    });
    notify.addEventListener("change", () => {
      draft.notify = notify.checked;
      draft.notifyTouched = true;
    });
    const honeypot = honeypotField(draft.website);
    const send = h("button", { type: "submit", class: "btn btn-primary", disabled: busy }, busy ? t("sending") : t("send"));
    const back = h("button", { type: "button", class: "btn" }, t("back"));
    back.addEventListener("click", () => go({ kind: "step", n: 3 }));
    const form = h(
      "form",
      { class: "details", novalidate: true },
      h("div", { class: "field" }, h("label", { for: "description" }, t("description")), desc, h("p", { id: "description-help", class: "hint" }, t("descriptionHelp"))),
      h("div", { class: "field" }, h("label", { for: "email" }, t("email")), email, h("p", { id: "email-help", class: "hint" }, t("emailHelp"))),
      h("div", { class: "field check" }, notify, h("label", { for: "notify" }, t("notify"))),
      honeypot.el,
      errorBox(),
      h("div", { class: "nav" }, back, send),
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      if (busy) return;
      draft.website = honeypot.input.value;
      draft.fillMs = clock.elapsed();
      if (!email.checkValidity()) {
        error = email.validationMessage || "E-Mail?";
        draw();
        return;
      }
      void sendNow();
    });
    root.append(...stepHeader(4, t("stepDetails")), h("p", { class: "public-note", id: "public-note" }, t("publicNote")), form);
  }

  const fields = (): ReportFields => draftFields(draft, lang());

  async function sendNow(): Promise<void> {
    const photos = draft.photos.map((p) => p.blob);
    // One body for this press: a queued retry sends exactly what was tried now.
    if (resume) draft.key = resumeKey(resume, draft.key, newKey);
    const body = fields();
    // The time spent on the report before it was refused counts too.
    if (resume?.fields.fill_ms && body.fill_ms) body.fill_ms = String(Number(body.fill_ms) + (Number(resume.fields.fill_ms) || 0));
    if (navigator.onLine === false) {
      await queueIt(body, photos);
      return;
    }
    busy = true;
    error = null;
    if (screen.kind === "step") draw();
    try {
      const result = await submitReport(body, photos, draft.key);
      busy = false;
      if (resume) await outbox.remove(resume.id);
      go({ kind: "done", result });
    } catch (e) {
      busy = false;
      if (isRetryable(e)) {
        // 429, 5xx, no answer: kept on the phone and sent again (same key) after the backoff.
        await queueIt(body, photos, e);
      } else {
        // e.g. 422 too_fast: the server's message, everything entered kept; send again works.
        error = e instanceof ApiError ? e : String(e);
        go({ kind: "step", n: 4 });
      }
    }
  }

  async function queueIt(body: ReportFields, photos: Blob[], failure?: unknown): Promise<void> {
    if (resume) await outbox.replace(resume.id, draft.key, body, photos, failure);
    else await outbox.add(draft.key, body, photos, failure);
    await queued();
    go({ kind: "queued" });
  }

  function toMapButton(): HTMLElement {
    const b = h("button", { type: "button", class: "btn" }, t("toMap"));
    b.addEventListener("click", () => toHome());
    return b;
  }

  function doneScreen(result: SubmitResult): void {
    const r = result.report;
    root.append(
      heading(t("doneTitle")),
      h(
        "dl",
        { class: "facts" },
        h("dt", {}, t("doneId")),
        h("dd", {}, h("strong", { class: "public-id" }, r.public_id)),
        r.department ? [h("dt", {}, t("doneDepartment")), h("dd", {}, pick(r.department.name))] : null,
        r.deadline ? [h("dt", {}, t("doneDeadline")), h("dd", {}, formatDateTime(r.deadline))] : null,
      ),
      h("p", {}, h("a", { href: trackPath(result.tracking_url), class: "btn btn-primary" }, t("track"))),
      toMapButton(),
    );
  }

  function queuedScreen(): void {
    // "Offline" only when the phone is: a lost answer or a busy server is no missing connection.
    const text = navigator.onLine === false ? t("queuedText") : t("queuedTextOnline");
    root.append(heading(t("queuedTitle")), h("p", {}, text), toMapButton());
  }

  return {
    render(main) {
      root = h("section", { class: "flow" });
      main.append(root);
      draw();
    },
    destroy() {
      cleanupMap();
      if (screen.kind === "done" || screen.kind === "supported" || screen.kind === "queued") {
        draft.photos.forEach((p) => URL.revokeObjectURL(p.url));
      }
    },
  };
}
