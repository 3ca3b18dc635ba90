/** The black-out tool of one photo in a moderation row: draw areas by pointer or keyboard, keep or
 * remove the privacy pass's boxes, choose whether the photo is published, and save. */
import { h } from "../../shared/dom";
import type { StaffPhoto } from "../../shared/types";
import { redact } from "../api";
import { svg } from "../chart";
import { st } from "../i18n";
import { boxName, boxPercent, boxRect, canSave, isAuto, originalUrl, passNote, privacyOf, redactBody, savesReview, type PrivacyBox } from "../privacy";
import { FRAME_START, frameRect, moveFrame, scaleRect, type Point } from "../rects";
import { errorText } from "../shell";
import { photoKind } from "../ticket";
import type { Entry } from "./entries";

export function photoEditor(e: Entry, p: StaffPhoto, n: number, redraw: () => void): HTMLElement {
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
