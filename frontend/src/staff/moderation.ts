/** Moderation as a compact list: a row per report (thumbnails, text, category, place) with one-click
 * publish, hide and text edit; the black-out tool opens per photo. */
import { h, keepingFocus } from "../shared/dom";
import { formatDateTime, pick } from "../shared/i18n";
import type { StaffPhoto, Ticket } from "../shared/types";
import { flagCount, flagSection, heldFacts } from "./abuse";
import { ApiError, dismissAbuse, getTicket, listTickets, privacyPass, publication, redact, type Versioned } from "./api";
import { svg } from "./chart";
import { st } from "./i18n";
import { boxName, boxPercent, boxRect, canSave, isAuto, needsPrivacyReview, originalUrl, passNote, privacyOf, redactBody, savesReview, type PrivacyBox } from "./privacy";
import { FRAME_START, frameRect, moveFrame, scaleRect, type Frame, type Point, type Rect } from "./rects";
import { errorText, messageEl, type StaffView } from "./shell";
import { photoKind } from "./ticket";

type Msg = { text: string; kind: "ok" | "error" | "conflict" } | null;

/** Tickets a moderation page holds (each is then loaded whole); "Weitere laden" adds the next. */
export const MODERATION_PAGE = 30;

export interface ModerationPage {
  items: Ticket[];
  /** The cursor of the next page; null on the last. */
  next: string | null;
}

/**
 * Tickets to moderate, a page at a time: the server's `published=false` filter (unpublished
 * reports, and published ones with a photo whose privacy pass failed) when it exists, else
 * the queue filtered here.
 */
export async function unpublished(cursor: string | null = null): Promise<ModerationPage> {
  try {
    const r = await listTickets({ published: "false", limit: MODERATION_PAGE, cursor });
    return { items: r.items, next: r.next };
  } catch (e) {
    if (!(e instanceof ApiError) || ![400, 404, 422].includes(e.status)) throw e;
  }
  return { items: (await listTickets({ limit: 500 })).items.filter((t) => t.published === false), next: null };
}

/** Flagged tickets (open abuse flags), public or not, a page at a time: the server's `flagged=true` filter. */
export async function flagged(cursor: string | null = null): Promise<ModerationPage> {
  const r = await listTickets({ flagged: "true", limit: MODERATION_PAGE, cursor });
  return { items: r.items, next: r.next };
}

/** The moderation filter, kept while the staff member moves between pages. */
const filter = { flagged: false };

interface Entry {
  v: Versioned;
  text: string;
  photoIds: Set<number>;
  rects: Map<number, Rect[]>;
  /** Per photo, the ids of the boxes (found by the pass or drawn before) to drop on saving. */
  removed: Map<number, Set<number>>;
  /** The keyboard frame per photo, kept while the item is redrawn. */
  frames: Map<number, Frame>;
  /** The photo whose box gets the focus back after a redraw (an area added by keyboard). */
  refocus: number | null;
  msg: Msg;
  bust: number;
  /** The row's text is being edited. */
  editing: boolean;
  /** The photo whose black-out tool is open, or null. */
  open: number | null;
}

/** Where a report is, as a row says it: its address, else its coordinates. */
export function placeText(t: Pick<Ticket, "lat" | "lon"> & { address?: string | null }): string {
  return t.address?.trim() || `${t.lat.toFixed(5)}, ${t.lon.toFixed(5)}`;
}

export function moderationView(): StaffView {
  let entries: Entry[] | null = null;
  let next: string | null = null;
  let loadingMore = false;
  let error = "";
  let done: Msg = null;
  let results: HTMLElement;
  let alive = true;

  /** A page of the list, each ticket loaded whole, and the next page's cursor. */
  async function fetchPage(onlyFlagged: boolean, cursor: string | null): Promise<{ entries: Entry[]; next: string | null }> {
    const page = onlyFlagged ? await flagged(cursor) : await unpublished(cursor);
    const full = await Promise.all(page.items.map((t) => getTicket(t.public_id)));
    const fresh = full
      .filter((v) => (onlyFlagged ? flagCount(v.ticket) > 0 : !v.ticket.published || needsPrivacyReview(v.ticket)))
      .map((v) => ({
        v,
        text: v.ticket.public_description ?? v.ticket.description ?? "",
        photoIds: new Set(v.ticket.photos.filter((p) => p.kind !== "after").map((p) => p.id)),
        rects: new Map(),
        removed: new Map(),
        frames: new Map(),
        refocus: null,
        msg: null,
        bust: 0,
        editing: false,
        open: null,
      }));
    return { entries: fresh, next: page.next };
  }

  async function load(): Promise<void> {
    try {
      const onlyFlagged = filter.flagged;
      const r = await fetchPage(onlyFlagged, null);
      if (onlyFlagged !== filter.flagged) return; // the filter changed meanwhile
      entries = r.entries;
      next = r.next;
      error = "";
    } catch (e) {
      error = errorText(e);
    }
    if (alive) draw();
  }

  /** The page after the last one shown (a ticket already here stays once); focus on the first new one. */
  async function loadMore(): Promise<void> {
    if (!next || loadingMore || !entries) return;
    const onlyFlagged = filter.flagged;
    const before = entries.length;
    loadingMore = true;
    draw();
    try {
      const r = await fetchPage(onlyFlagged, next);
      if (onlyFlagged === filter.flagged && entries) {
        const shown = new Set(entries.map((e) => e.v.ticket.public_id));
        entries = [...entries, ...r.entries.filter((e) => !shown.has(e.v.ticket.public_id))];
        next = r.next;
      }
    } catch (e) {
      done = { text: errorText(e), kind: "error" };
    }
    loadingMore = false;
    if (!alive) return;
    draw();
    results.querySelectorAll<HTMLElement>(".mod-item h3 a")[before]?.focus();
  }

  function photoEditor(e: Entry, p: StaffPhoto, n: number, redraw: () => void): HTMLElement {
    const id = e.v.ticket.public_id;
    const pass = privacyOf(p);
    // A photo with an unblurred original is shown unblurred, with the boxes that make the
    // public version; one from before the pass is blacked out where it is.
    const original = originalUrl(p);
    const boxes = original ? pass.boxes : [];
    const removed = e.removed.get(p.id) ?? new Set<number>();
    const img = h("img", { src: original ?? (e.bust ? `${p.url}?v=${e.bust}` : p.url), alt: st("photoAlt", { n, kind: photoKind(p.kind) }), draggable: "false" });
    const W = () => img.naturalWidth || p.width || 1;
    const H = () => img.naturalHeight || p.height || 1;
    const overlay = svg("svg", { viewBox: `0 0 ${p.width || 1} ${p.height || 1}`, preserveAspectRatio: "none", "aria-hidden": "true", focusable: "false" });
    // The boxes' names on the photo; the list below the photo says the same to everyone.
    const tags = h("div", { class: "box-tags", "aria-hidden": "true" });
    const rects = e.rects.get(p.id) ?? [];
    // The keyboard's frame: shown while the photo has the focus.
    let frame = e.frames.get(p.id) ?? FRAME_START;
    let cursor: SVGRectElement | null = null;
    const drawFrame = () => {
      if (!cursor) return;
      const [x, y, w, hh] = frameRect(frame, { width: W(), height: H() });
      for (const [k, v] of Object.entries({ x, y, width: w, height: hh })) cursor.setAttribute(k, String(v));
    };
    const shape = (b: PrivacyBox): SVGElement[] => {
      const [x, y, w, hh] = boxRect(b);
      if (!isAuto(b)) return [svg("rect", { x, y, width: w, height: hh, class: "redact-rect redact-saved" })];
      // Two strokes, light under dark, so the dashed frame shows on any photo.
      return [svg("rect", { x, y, width: w, height: hh, class: "auto-box-under" }), svg("rect", { x, y, width: w, height: hh, class: `auto-box auto-box-${b.kind}` })];
    };
    const paint = () => {
      overlay.setAttribute("viewBox", `0 0 ${W()} ${H()}`);
      const kept = boxes.filter((b) => !removed.has(b.id));
      overlay.replaceChildren(
        ...kept.flatMap(shape),
        ...rects.map(([x, y, w, hh]) => svg("rect", { x, y, width: w, height: hh, class: "redact-rect" })),
        ...(cursor ? [cursor] : []),
      );
      tags.replaceChildren(
        ...kept.map((b) => {
          const at = boxPercent(b, { width: W(), height: H() });
          const tag = h("span", { class: `box-tag ${isAuto(b) ? "box-tag-auto" : "box-tag-manual"}` }, boxName(b, boxes), isAuto(b) ? ` · ${st("privacyAuto")}` : "");
          // Through the style object: the page's content security policy refuses style attributes.
          tag.style.left = `${at.left}%`;
          tag.style.top = `${at.top}%`;
          // A box at the photo's top edge gets its name inside it, not above the photo.
          if (at.top < 4) tag.classList.add("box-tag-inside");
          return tag;
        }),
      );
      drawFrame();
    };
    img.addEventListener("load", paint);
    const box = h(
      "div",
      { class: "redact-box", role: "group", tabindex: "0", "aria-label": st("redactArea", { n }), "aria-describedby": `m-${id}-help` },
      img,
      overlay,
      tags,
    );
    box.addEventListener("focus", () => {
      cursor = svg("rect", { class: "redact-frame" });
      overlay.append(cursor);
      drawFrame();
    });
    box.addEventListener("blur", () => {
      cursor?.remove();
      cursor = null;
    });
    box.addEventListener("keydown", (ev) => {
      if (ev.target !== box) return;
      const next = moveFrame(frame, ev.key, ev.shiftKey);
      if (next) {
        ev.preventDefault();
        frame = next;
        e.frames.set(p.id, frame);
        drawFrame();
      } else if (ev.key === "Enter" || ev.key === " ") {
        ev.preventDefault();
        rects.push(frameRect(frame, { width: W(), height: H() }));
        e.rects.set(p.id, rects);
        e.refocus = p.id;
        redraw();
      }
    });
    if (e.refocus === p.id) {
      e.refocus = null; // an area added by keyboard, or the tool just opened
      queueMicrotask(() => box.focus()); // once the redrawn item is in the page
    }
    let start: Point | null = null;
    let live: SVGRectElement | null = null;
    const local = (ev: PointerEvent): Point => {
      const r = img.getBoundingClientRect();
      return { x: ev.clientX - r.left, y: ev.clientY - r.top };
    };
    const shown = () => ({ width: img.clientWidth, height: img.clientHeight });
    box.addEventListener("pointerdown", (ev) => {
      if (ev.button !== 0) return;
      ev.preventDefault();
      start = local(ev);
      box.setPointerCapture?.(ev.pointerId);
      live = svg("rect", { class: "redact-rect", x: 0, y: 0, width: 0, height: 0 });
      overlay.append(live);
    });
    box.addEventListener("pointermove", (ev) => {
      if (!start || !live) return;
      const r = scaleRect(start, local(ev), shown(), { width: W(), height: H() }, 0);
      if (r) {
        live.setAttribute("x", String(r[0]));
        live.setAttribute("y", String(r[1]));
        live.setAttribute("width", String(r[2]));
        live.setAttribute("height", String(r[3]));
      }
    });
    const finish = (ev: PointerEvent) => {
      if (!start) return;
      const r = scaleRect(start, local(ev), shown(), { width: W(), height: H() });
      start = null;
      live?.remove();
      live = null;
      if (r) {
        rects.push(r);
        e.rects.set(p.id, rects);
        redraw();
      }
    };
    box.addEventListener("pointerup", finish);
    box.addEventListener("pointercancel", () => {
      start = null;
      live?.remove();
      live = null;
    });
    if (img.complete) paint();

    // The boxes as a list, each with its button: remove it from the public version, or keep it after all.
    const boxList = boxes.length
      ? h(
          "ul",
          { class: "privacy-boxes", "aria-labelledby": `m-${id}-${p.id}-boxes` },
          ...boxes.map((b) => {
            const name = boxName(b, boxes);
            const state = h("span", { class: "hint" });
            const btn = h("button", { type: "button", class: "btn btn-small btn-touch" });
            const li = h(
              "li",
              {},
              h("span", { class: `box-swatch ${isAuto(b) ? "box-swatch-auto" : "box-swatch-manual"}`, "aria-hidden": "true" }),
              h("span", {}, name, " ", h("span", { class: "hint" }, `(${st(isAuto(b) ? "privacyAuto" : "privacyByHand")})`)),
              " ",
              state,
              btn,
            );
            const show = () => {
              const gone = removed.has(b.id);
              li.classList.toggle("box-removed", gone);
              state.textContent = gone ? st("privacyWillRemove") : "";
              btn.textContent = st(gone ? "privacyKeep" : "privacyRemove");
              btn.setAttribute("aria-label", st(gone ? "privacyKeepBox" : "privacyRemoveBox", { box: name }));
            };
            btn.addEventListener("click", () => {
              if (removed.has(b.id)) removed.delete(b.id);
              else removed.add(b.id);
              e.removed.set(p.id, removed);
              show();
              paint();
            });
            show();
            return li;
          }),
        )
      : null;

    const cb = h("input", { type: "checkbox", id: `pub-${id}-${p.id}`, checked: e.photoIds.has(p.id) });
    cb.addEventListener("change", () => (cb.checked ? e.photoIds.add(p.id) : e.photoIds.delete(p.id)));
    const review = savesReview(pass, !!original);
    const saveBtn = h("button", { type: "button", class: "btn btn-small" }, st(review ? "privacySave" : "redact"));
    saveBtn.addEventListener("click", async () => {
      if (!canSave(pass, rects.length, removed.size)) {
        e.msg = { text: st("redactNone"), kind: "error" };
        redraw();
        return;
      }
      saveBtn.disabled = true;
      const body = redactBody(rects, removed);
      try {
        e.v = await redact(id, p.id, body.rects, body.remove);
        e.rects.delete(p.id);
        e.removed.delete(p.id);
        e.bust = Date.now();
        e.msg = { text: st(review ? "privacySaved" : "redacted"), kind: "ok" };
      } catch (err) {
        e.msg = { text: errorText(err), kind: "error" };
      }
      redraw();
    });
    const clearBtn = h("button", { type: "button", class: "btn btn-small", disabled: !rects.length }, st("redactClear"));
    clearBtn.addEventListener("click", () => {
      e.rects.delete(p.id);
      redraw();
    });
    const closeBtn = h("button", { type: "button", class: "btn btn-small" }, st("modRedactClose"));
    closeBtn.addEventListener("click", () => {
      e.open = null;
      e.refocus = -p.id; // back to the photo's thumbnail
      redraw();
    });
    return h(
      "div",
      { class: "redact-photo" },
      h("p", { class: "hint", id: `m-${id}-help` }, st("redactHelp")),
      passNote(p, n, null),
      box,
      original
        ? h(
            "div",
            { class: "privacy-list" },
            h("h4", { id: `m-${id}-${p.id}-boxes` }, st("privacyBoxes")),
            h("p", { class: "hint" }, st("privacyBoxesHelp")),
            boxList,
          )
        : null,
      h("div", { class: "field check" }, cb, h("label", { for: cb.id }, st("photoPublish", { n }))),
      h("p", { class: "hint", "aria-live": "polite" }, st("redactCount", { n: rects.length })),
      h("div", { class: "row" }, saveBtn, clearBtn, closeBtn),
      // What the public sees: the version the pass (and the saved boxes) made unrecognisable.
      original
        ? h(
            "figure",
            { class: "privacy-public" },
            h("img", { src: p.url, alt: st("privacyPublicAlt", { n }), loading: "lazy", width: p.width || null, height: p.height || null }),
            h("figcaption", { class: "hint" }, st("privacyPublic", { n })),
          )
        : null,
    );
  }

  /** After a row left the list: the focus on the next row's link (else the previous one's, else the message). */
  function focusAfterRemoval(index: number): void {
    const links = results.querySelectorAll<HTMLElement>(".mod-item h3 a");
    (links[index] ?? links[index - 1] ?? results.querySelector<HTMLElement>(".msg-anchor"))?.focus();
  }

  function removeEntry(e: Entry): void {
    const index = (entries ?? []).indexOf(e);
    entries = (entries ?? []).filter((x) => x !== e);
    draw();
    focusAfterRemoval(index);
  }

  function item(e: Entry): HTMLElement {
    const t = e.v.ticket;
    const el = h("article", { class: "mod-item mod-row", "aria-labelledby": `m-${t.public_id}-h` });
    // The row drawn anew keeps the focus (a refused "Veröffentlichen" leaves it on the button) and the caret.
    const redraw = () => {
      if (alive && results.contains(el)) keepingFocus(results, () => el.replaceWith(item(e)));
      else if (alive) el.replaceWith(item(e));
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
        done = { text: st(action === "publish" ? "published" : "hidden", { id: t.public_id }), kind: "ok" };
        removeEntry(e);
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
        done = { text: st("flagsDismissed", { id: t.public_id }), kind: "ok" };
        // Gone from this list once it has no flags (flagged filter) or is public again.
        if (filter.flagged || r.ticket.published) {
          removeEntry(e);
          return;
        }
        e.msg = null;
        draw();
        results.querySelector<HTMLElement>(".msg-anchor")?.focus();
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

  function draw(): void {
    const parts: (Node | null)[] = [h("div", { class: "msg-anchor", tabindex: "-1" }, messageEl(done))];
    if (error) parts.push(h("div", { class: "alert", role: "alert" }, error));
    else if (!entries) parts.push(h("p", { "aria-live": "polite" }, st("loading")));
    else if (!entries.length) parts.push(h("p", {}, st("moderationEmpty")));
    else parts.push(h("div", { class: "mod-list", role: "group", "aria-label": st("modList") }, ...entries.map(item)));
    if (entries && next) {
      parts.push(
        h(
          "button",
          { type: "button", class: "btn mod-more", disabled: loadingMore, "aria-busy": loadingMore ? "true" : "false", onclick: () => void loadMore() },
          loadingMore ? st("loadingMore") : st("loadMore"),
        ),
      );
    }
    // The list drawn anew (a page arriving, a row leaving) keeps the focus and the caret where they were.
    keepingFocus(results, () => results.replaceChildren(...parts.filter((p): p is Node => !!p)));
  }

  function filterForm(): HTMLElement {
    const cb = h("input", { type: "checkbox", id: "m-flagged", checked: filter.flagged, "aria-describedby": "m-flagged-help" });
    cb.addEventListener("change", () => {
      filter.flagged = cb.checked;
      entries = null;
      next = null;
      error = "";
      done = null;
      draw();
      void load();
    });
    const form = h(
      "form",
      { class: "mod-filter", "aria-label": st("filters") },
      h("div", { class: "field check" }, cb, h("label", { for: "m-flagged" }, st("flaggedFilter"))),
      h("p", { class: "hint", id: "m-flagged-help" }, st("flaggedHelp")),
    );
    form.addEventListener("submit", (e) => e.preventDefault());
    return form;
  }

  return {
    render(main) {
      results = h("div", {});
      main.append(h("div", { class: "view-moderation" }, h("h2", {}, st("moderationTitle")), h("p", {}, st("moderationHelp")), filterForm(), results));
      draw();
      if (!entries && !error) void load();
    },
    destroy() {
      alive = false;
    },
  };
}
