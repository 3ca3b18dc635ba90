/**
 * "Ist es einer davon?": right after the category, open reports of that category near the
 * chosen place. The citizen compares (published ones show their photo and text, unchecked ones
 * only category, status, distance and age) and supports one, with an optional comment and
 * photo for the city, instead of filing a duplicate; or goes on to the photos.
 */
import { request } from "../shared/api";
import { ApiError } from "../shared/api";
import { h } from "../shared/dom";
import { lang, pick, statusLabel } from "../shared/i18n";
import { resizePhoto } from "../shared/resize";
import type { NearbyReport, Report } from "../shared/types";
import { deviceId, getNearby } from "./api";
import { t } from "./i18n";

export const NEARBY_RADIUS_M = 50;
/** The longest comment a supporter may add (the server's limit). */
export const SUPPORT_COMMENT_MAX = 500;

type FetchNearby = (lat: number, lon: number, category: string, radius: number) => Promise<{ items: NearbyReport[] }>;

/**
 * The open reports to ask about, nearest first as the server orders them; none when offline,
 * without a place or category, or when the server does not answer: the flow then simply goes on.
 */
export async function nearbyReports(
  lat: number | null,
  lon: number | null,
  category: string,
  online: boolean = navigator.onLine !== false,
  fetchNearby: FetchNearby = getNearby,
): Promise<NearbyReport[]> {
  if (!online || lat === null || lon === null || !category) return [];
  try {
    return (await fetchNearby(lat, lon, category, NEARBY_RADIUS_M)).items ?? [];
  } catch {
    return [];
  }
}

/** Whether the public sees the report's text or a photo of it, to compare with. */
export function hasEvidence(r: NearbyReport): boolean {
  return Boolean(r.published && (r.description || r.photos?.length));
}

/** How long ago a report was filed, in words ("heute gemeldet", "vor 3 Tagen gemeldet"). */
export function ageText(createdAt: string | undefined, now: Date = new Date()): string {
  const at = createdAt ? Date.parse(createdAt) : Number.NaN;
  if (Number.isNaN(at)) return "";
  const days = Math.max(0, Math.floor((now.getTime() - at) / 86_400_000));
  if (days === 0) return t("ageToday");
  if (days === 1) return t("ageYesterday");
  return t("ageDays", { n: days });
}

/** What a supporter adds for the city: everything optional. */
export interface SupportInput {
  comment: string;
  email: string;
  photo: Blob | null;
}

/** The support's body: multipart when there is a photo, else JSON; empty fields left out, the comment trimmed to its limit. */
export function supportBody(input: SupportInput, language: string): FormData | Record<string, string> {
  const fields: Record<string, string> = { lang: language };
  const comment = input.comment.trim().slice(0, SUPPORT_COMMENT_MAX);
  if (comment) fields.comment = comment;
  const email = input.email.trim();
  if (email) fields.email = email;
  if (!input.photo) return fields;
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append("photos", input.photo, "photo-1.jpg");
  return form;
}

/** Support a report ("me too"), once per device, with what the supporter added. */
export function supportWithEvidence(publicId: string, input: SupportInput, language: string): Promise<Report> {
  const body = supportBody(input, language);
  const headers: Record<string, string> = {};
  const device = deviceId();
  if (device) headers["X-Device-Id"] = device;
  if (!(body instanceof FormData)) headers["Content-Type"] = "application/json";
  return request<Report>(`/api/v1/reports/${encodeURIComponent(publicId)}/support`, {
    method: "POST",
    headers,
    body: body instanceof FormData ? body : JSON.stringify(body),
  });
}

/** One nearby report as the citizen can compare it; `id` names it for its button. */
export function reportSummary(r: NearbyReport, id: string): HTMLElement {
  const evidence = hasEvidence(r);
  const thumb = evidence ? r.photos?.[0] : undefined;
  const age = ageText(r.created_at);
  return h(
    "div",
    { class: "summary", id },
    thumb ? h("img", { src: thumb.thumbnail_url, alt: t("nearbyPhotoAlt", { id: r.public_id }), width: 80, height: 80, loading: "lazy" }) : null,
    h(
      "div",
      {},
      h("strong", {}, pick(r.category?.name)),
      " · ",
      h("span", { class: `status status-${r.status}` }, statusLabel(r.status, r.status_label)),
      h("br"),
      t("reportId", { id: r.public_id }),
      r.distance_m !== undefined ? ` · ${t("distance", { m: Math.round(r.distance_m) })}` : "",
      age ? ` · ${age}` : "",
      evidence && r.description ? h("p", { class: "desc" }, r.description) : null,
      evidence ? null : h("p", { class: "hint" }, t("nearbyUnchecked")),
    ),
  );
}

/** What the nearby screen needs of the flow around it. */
export interface NearbyFlow {
  root: HTMLElement;
  heading(text: string): HTMLElement;
  /** Back to the category. */
  back(): void;
  /** None of them: on to the photos. */
  none(): void;
  supported(report: Report, evidence: boolean): void;
}

/** "Ist es einer davon?" with a support form per report (comment, photo, e-mail; all optional). */
export function nearbyScreen(items: NearbyReport[], flow: NearbyFlow): void {
  const list = h("ul", { class: "nearby" });
  const alertBox = h("div");
  let open: number | null = null;
  const photoUrls: string[] = [];
  const forms: HTMLElement[] = [];

  const supportForm = (r: NearbyReport, i: number): HTMLElement => {
    const input: SupportInput = { comment: "", email: "", photo: null };
    const p = `support-${i}`;
    const comment = h("textarea", { id: `${p}-comment`, rows: 3, maxlength: SUPPORT_COMMENT_MAX, "aria-describedby": `${p}-comment-help` });
    comment.addEventListener("input", () => (input.comment = comment.value));
    const file = h("input", { id: `${p}-photo`, type: "file", accept: "image/*", capture: "environment", "aria-describedby": `${p}-photo-help` });
    const preview = h("div", { "aria-live": "polite" });
    file.addEventListener("change", async () => {
      const chosen = file.files?.[0];
      file.value = "";
      if (!chosen) return;
      preview.replaceChildren(h("p", { class: "hint" }, t("photoProcessing")));
      try {
        input.photo = await resizePhoto(chosen);
        const url = URL.createObjectURL(input.photo);
        photoUrls.push(url);
        preview.replaceChildren(h("img", { src: url, alt: t("supportPhotoAlt"), width: 96, height: 96 }));
      } catch {
        input.photo = null;
        preview.replaceChildren(h("p", { class: "hint" }, t("photoFailed")));
      }
    });
    const email = h("input", { id: `${p}-email`, type: "email", autocomplete: "email", inputmode: "email", "aria-describedby": `${p}-email-help` });
    email.addEventListener("input", () => (input.email = email.value));
    const send = h("button", { type: "submit", class: "btn btn-primary" }, t("supportSend"));
    const form = h(
      "form",
      { class: "support-form", id: `${p}-form`, novalidate: true, hidden: true },
      h("div", { class: "field" }, h("label", { for: `${p}-comment` }, t("supportComment")), comment, h("p", { class: "hint", id: `${p}-comment-help` }, t("supportCommentHelp"))),
      h("div", { class: "field" }, h("label", { for: `${p}-photo`, class: "file-label" }, t("supportPhoto")), file, h("p", { class: "hint", id: `${p}-photo-help` }, t("supportPhotoHelp")), preview),
      h("div", { class: "field" }, h("label", { for: `${p}-email` }, t("email")), email, h("p", { class: "hint", id: `${p}-email-help` }, t("supportEmailHelp"))),
      h("div", { class: "nav" }, send),
    );
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      if (send.disabled) return;
      if (!email.checkValidity()) {
        alertBox.replaceChildren(h("p", { class: "alert", role: "alert" }, email.validationMessage || "E-Mail?"));
        email.focus();
        return;
      }
      send.disabled = true;
      send.textContent = t("sending");
      alertBox.replaceChildren();
      try {
        const report = await supportWithEvidence(r.public_id, input, lang());
        photoUrls.forEach((u) => URL.revokeObjectURL(u));
        flow.supported(report, Boolean(input.comment.trim() || input.photo));
      } catch (err) {
        send.disabled = false;
        send.textContent = t("supportSend");
        const text = err instanceof ApiError ? err.text(lang()) : t("networkError");
        alertBox.replaceChildren(h("div", { class: "alert", role: "alert" }, h("strong", {}, `${t("errorTitle")}: `), text));
      }
    });
    return form;
  };

  items.forEach((r, i) => {
    const id = `nearby-${i}`;
    const form = supportForm(r, i);
    forms.push(form);
    const btn = h("button", { type: "button", class: "btn btn-primary", "aria-describedby": id, "aria-expanded": "false", "aria-controls": form.id }, t("support"));
    btn.addEventListener("click", () => {
      open = open === i ? null : i;
      forms.forEach((f, k) => (f.hidden = k !== open));
      list.querySelectorAll<HTMLButtonElement>("button[aria-controls]").forEach((b, k) => b.setAttribute("aria-expanded", String(k === open)));
      if (open === i) form.querySelector<HTMLTextAreaElement>("textarea")?.focus();
    });
    list.append(h("li", {}, reportSummary(r, id), btn, form));
  });
  const back = h("button", { type: "button", class: "btn" }, t("back"));
  back.addEventListener("click", () => flow.back());
  const none = h("button", { type: "button", class: "btn" }, t("reportAnyway"));
  none.addEventListener("click", () => flow.none());
  flow.root.append(flow.heading(t("nearbyTitle")), h("p", {}, t("nearbyHelp")), alertBox, list, h("div", { class: "nav" }, back, none));
}

/** Thanks for the support; with a comment or photo, that the city checks it before anything is public. */
export function supportedScreen(root: HTMLElement, heading: (text: string) => HTMLElement, r: Report, evidence: boolean, toMap: HTMLElement): void {
  root.append(
    heading(t("supportThanks")),
    h("p", {}, `${t("supportText")} `, h("strong", { class: "public-id" }, r.public_id), "."),
    ...(evidence ? [h("p", {}, t("supportEvidenceReview"))] : []),
    toMap,
  );
}
