/** A moderation row: a report's thumbnails, text, category and place with one-click publish, hide,
 * text edit and dismissing its flags; a thumbnail opens that photo's black-out tool. */
import { h, keepingFocus } from "../../shared/dom";
import { formatDateTime, pick } from "../../shared/i18n";
import type { Ticket } from "../../shared/types";
import { flagSection, heldFacts } from "../abuse";
import { dismissAbuse, privacyPass, publication } from "../api";
import { st } from "../i18n";
import { passNote, privacyOf } from "../privacy";
import { errorText, messageEl } from "../shell";
import { photoKind } from "../ticket";
import { filter, type Entry, type Msg } from "./entries";
import { photoEditor } from "./photo-editor";

/** What a row needs of the list it is in. */
export interface RowContext {
  /** Whether the view is still shown. */
  alive(): boolean;
  /** The list's container. */
  results(): HTMLElement;
  /** The message above the list (published, hidden, flags dismissed), shown when the list is drawn next. */
  announce(msg: Msg): void;
  /** Takes the row out of the list and moves the focus to a neighbour. */
  remove(e: Entry): void;
  /** Draws the whole list anew. */
  draw(): void;
}

/** Where a report is, as a row says it: its address, else its coordinates. */
export function placeText(t: Pick<Ticket, "lat" | "lon"> & { address?: string | null }): string {
  return t.address?.trim() || `${t.lat.toFixed(5)}, ${t.lon.toFixed(5)}`;
}

export function moderationRow(e: Entry, ctx: RowContext): HTMLElement {
  const t = e.v.ticket;
  const el = h("article", { class: "mod-item mod-row", "aria-labelledby": `m-${t.public_id}-h` });
  // The row drawn anew keeps the focus (a refused "Veröffentlichen" leaves it on the button) and the caret.
  const redraw = () => {
    if (ctx.alive() && ctx.results().contains(el)) keepingFocus(ctx.results(), () => el.replaceWith(moderationRow(e, ctx)));
    else if (ctx.alive()) el.replaceWith(moderationRow(e, ctx));
  };
  const act = async (action: "publish" | "hide") => {
    try {
      const r = await publication(
        t.public_id,
        e.v.etag,
        action === "publish" ? { action, public_description: e.text, photo_ids: [...e.photoIds] } : { action },
      );
      e.v = r;
      if (r.conflict) {
        e.msg = { text: st("conflict"), kind: "conflict" };
        redraw();
        return;
      }
      ctx.announce({ text: st(action === "publish" ? "published" : "hidden", { id: t.public_id }), kind: "ok" });
      ctx.remove(e);
    } catch (err) {
      e.msg = { text: errorText(err), kind: "error" };
      redraw();
    }
  };
  const dismiss = async () => {
    try {
      const r = await dismissAbuse(t.public_id, e.v.etag);
      e.v = r;
      if (r.conflict) {
        e.msg = { text: st("conflict"), kind: "conflict" };
        redraw();
        return;
      }
      ctx.announce({ text: st("flagsDismissed", { id: t.public_id }), kind: "ok" });
      // Gone from this list once it has no flags (flagged filter) or is public again.
      if (filter.flagged || r.ticket.published) {
        ctx.remove(e);
        return;
      }
      e.msg = null;
      ctx.draw();
      ctx.results().querySelector<HTMLElement>(".msg-anchor")?.focus();
    } catch (err) {
      e.msg = { text: errorText(err), kind: "error" };
      redraw();
    }
  };
  const befores = t.photos.filter((p) => p.kind !== "after");
  const retry = async (photoId: number) => {
    try {
      e.v = await privacyPass(t.public_id, photoId);
      e.msg = { text: st("privacyRetried"), kind: "ok" };
    } catch (err) {
      e.msg = { text: errorText(err), kind: "error" };
    }
    redraw();
  };
  // A photo whose privacy pass failed says why on the row, with "Erneut prüfen".
  const failedPasses = befores.map((p, i) => (privacyOf(p).state === "failed" ? passNote(p, i + 1, () => void retry(p.id)) : null));
  const held = heldFacts(t);
  const flags = t.abuse_flags ?? [];
  const bust = (url: string) => (e.bust ? `${url}?v=${e.bust}` : url);

  const thumbs = befores.map((p, i) => {
    const n = i + 1;
    const b = h(
      "button",
      { type: "button", class: "mod-thumb", id: `m-${t.public_id}-t${p.id}`, "aria-expanded": e.open === p.id ? "true" : "false", title: st("modRedactPhoto", { n }) },
      h("img", { src: bust(p.thumbnail_url), alt: "", width: 96, height: 72, loading: "lazy", decoding: "async" }),
      h("span", { class: "visually-hidden" }, st("modRedactPhoto", { n })),
      // A supporter's photo says so: it is not the reporter's, and publishing it is a choice of its own.
      p.kind === "support" ? h("span", { class: "mod-thumb-kind" }, ` (${photoKind(p.kind)})`) : "",
      e.photoIds.has(p.id) ? "" : h("span", { class: "mod-thumb-off", "aria-hidden": "true" }, "✕"),
    );
    b.addEventListener("click", () => {
      e.open = e.open === p.id ? null : p.id;
      e.refocus = e.open === null ? -p.id : p.id;
      redraw();
    });
    if (e.refocus === -p.id) {
      e.refocus = null;
      queueMicrotask(() => b.focus());
    }
    return b;
  });

  let textPart: HTMLElement;
  const editBtn = h("button", { type: "button", class: "btn", "aria-expanded": e.editing ? "true" : "false" }, e.editing ? st("modEditDone") : st("modEdit"));
  editBtn.addEventListener("click", () => {
    e.editing = !e.editing;
    redraw();
    queueMicrotask(() => document.getElementById(e.editing ? `m-${t.public_id}-text` : `m-${t.public_id}-edit`)?.focus());
  });
  editBtn.id = `m-${t.public_id}-edit`;
  if (e.editing) {
    const ta = h("textarea", { id: `m-${t.public_id}-text`, rows: 3, maxlength: 4000 });
    ta.value = e.text;
    ta.addEventListener("input", () => (e.text = ta.value));
    textPart = h("div", { class: "field" }, h("label", { for: ta.id }, st("publicText")), ta);
  } else {
    textPart = h("p", { class: "mod-text" }, e.text || st("modNoText"));
  }
  const open = befores.find((p) => p.id === e.open);

  el.append(
    h("div", { class: "mod-thumbs" }, ...(thumbs.length ? thumbs : [h("span", { class: "hint" }, st("modNoPhotos"))])),
    h(
      "div",
      { class: "mod-body" },
      h("h3", { id: `m-${t.public_id}-h` }, h("a", { href: `#/ticket/${encodeURIComponent(t.public_id)}` }, st("ticketTitle", { id: t.public_id }))),
      h(
        "p",
        { class: "hint mod-meta" },
        h("strong", {}, pick(t.category.name)),
        " · ",
        h("span", { class: "visually-hidden" }, `${st("modPlace")}: `),
        placeText(t),
        " · ",
        formatDateTime(t.created_at),
      ),
      textPart,
      ...failedPasses,
      messageEl(e.msg) ?? "",
      held.length ? h("dl", { class: "facts" }, ...held) : "",
      ...flagSection(flags, `m-${t.public_id}-flags`, "h4"),
    ),
    h(
      "div",
      { class: "mod-actions" },
      h("button", { type: "button", class: "btn btn-primary", id: `m-${t.public_id}-publish`, onclick: () => void act("publish") }, st("publish")),
      h("button", { type: "button", class: "btn", id: `m-${t.public_id}-hide`, onclick: () => void act("hide") }, st("hide")),
      editBtn,
      flags.length ? h("button", { type: "button", class: "btn", id: `m-${t.public_id}-dismiss`, onclick: () => void dismiss() }, st("dismissFlags")) : "",
    ),
    open ? h("div", { class: "mod-tool" }, photoEditor(e, open, befores.indexOf(open) + 1, redraw)) : "",
  );
  return el;
}
