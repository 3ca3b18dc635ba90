/** One ticket: facts, photos, place, history, the next steps, notes, after photo, forward. */
import { carryValues, h, keepingInput } from "../shared/dom";
import { formatDateTime, pick, statusLabel } from "../shared/i18n";
import L from "../shared/leaflet";
import { createMap, pinIcon } from "../shared/mapcommon";
import { resizePhoto } from "../shared/resize";
import type { Event, TicketFull } from "../shared/types";
import { flagSection, heldFacts } from "./abuse";
import { ApiError, addNote, addPhotos, assign, dismissAbuse, forward, getTicket, privacyPass, publication, transition, type ChangeResult, type Versioned } from "./api";
import { forwardForm } from "./forward";
import { activeDestinations, deliveriesList, externalForm, forwardExternal, isForbidden, listDeliveries, retryDelivery, type Delivery, type DestinationChoice } from "./forwarding";
import { actedBy, st } from "./i18n";
import { mailFailureSection } from "./mails";
import { nameOf, routingText, type Routing } from "./names";
import { follower, passPending } from "./follow";
import { passNote, privacyEventDetail } from "./privacy";
import { placeText } from "./queue";
import { CONFIRMED_STATES, confirmStateChange } from "./second-look";
import { city, errorText, messageEl, myId, type StaffView } from "./shell";
import { slaBadge } from "./sla";

type Msg = { text: string; kind: "ok" | "error" | "conflict" } | null;

/** The ticket's forms: a refused one shows the server's message beside it; a sent one starts afresh. */
type FormName = "notes" | "forward" | "external" | "after";
const FORM_FIELDS: Record<FormName, readonly string[]> = {
  notes: ["t-public", "t-internal", "t-dup"],
  forward: ["fw-t-dept", "fw-t-reason"],
  external: ["xf-t-dest", "xf-t-note", "xf-t-copy"],
  after: ["t-after"],
};

/** Where a form's refusal is shown (and focused). */
const ERROR_OF: Record<FormName, string> = { notes: "t-notes-err", forward: "fw-t-err", external: "xf-t-err", after: "t-after-err" };

/** A history entry's line; the privacy pass and a redaction say what they did (for "Foto n" the ticket's photos). */
export function eventLine(e: Event, photos: readonly { id: number }[] = []): string {
  if (e.to_status && e.from_status !== e.to_status) return `${e.from_status ? `${statusLabel(e.from_status)} → ` : ""}${statusLabel(e.to_status)}`;
  if (e.kind === "supported") return st("eventSupported");
  const detail = privacyEventDetail(e, (id) => photos.findIndex((p) => p.id === id) + 1 || null);
  return detail ? `${nameOf("event", e.kind)} – ${detail}` : nameOf("event", e.kind);
}

/** Whose photo it is: the reporter's ("vorher"), a supporter's, or the crew's "after" photo. */
export function photoKind(kind: string | undefined): string {
  return st(kind === "after" ? "kind_after" : kind === "support" ? "kind_support" : "kind_before");
}

/** A `geo:` URI phones hand to their map app for navigation; the label is the address (or the coordinates). */
export function geoUri(t: Pick<TicketFull, "lat" | "lon" | "address" | "zones">): string {
  const at = `${t.lat},${t.lon}`;
  // Brackets would end the label early; the map app shows it as the place's name.
  const label = placeText(t).replace(/[()]/g, " ").replace(/\s+/g, " ").trim();
  return `geo:${at}?q=${at}(${encodeURIComponent(label)})`;
}

export function ticketView(id: string): StaffView {
  let data: Versioned | null = null;
  let failure: unknown = null;
  let msg: Msg = null;
  let busy = false;
  const notes = { pub: "", int: "", dup: "" };
  let root: HTMLElement;
  let map: L.Map | null = null;
  let alive = true;
  let deliveries: Delivery[] | null = null;
  let destinations: DestinationChoice[] | null = null;
  let destinationsHidden = false;
  let refusal: { form: FormName; text: string } | null = null;
  const refusedText = (form: FormName) => (refusal?.form === form ? refusal.text : "");

  async function loadDeliveries(): Promise<void> {
    try {
      deliveries = await listDeliveries(id);
    } catch {
      deliveries = deliveries ?? null;
    }
  }

  /** The switched-on destinations once (a 403: only admins may read them). */
  async function loadDestinations(): Promise<void> {
    if (destinations !== null || destinationsHidden) return;
    try {
      destinations = await activeDestinations();
    } catch (e) {
      destinationsHidden = isForbidden(e);
      destinations = destinationsHidden ? null : [];
    }
  }

  async function load(): Promise<void> {
    try {
      data = await getTicket(id);
      failure = null;
    } catch (e) {
      failure = e;
    }
    if (alive) draw();
    // The hand-over part fills in on its own: the rest of the screen is not drawn again.
    await Promise.all([loadDeliveries(), loadDestinations()]);
    if (alive && data) fillExternal(data.ticket);
  }

  /** Hand the ticket over; the answer names the delivery, the ticket and its deliveries are read again. */
  async function handOver(body: { destination: number; note: string | null; copy_only: boolean }): Promise<void> {
    const name = pick(destinations?.find((d) => d.id === body.destination)?.name ?? { de: "", en: "" });
    await run(async () => {
      await forwardExternal(id, data!.etag, body);
      await loadDeliveries();
      return getTicket(id);
    }, () => st(body.copy_only ? "externalCopySent" : "externalSent", { d: name }), false, "external");
  }

  function retry(d: Delivery): void {
    void run(async () => {
      await retryDelivery(id, d.id);
      await loadDeliveries();
      return getTicket(id);
    }, () => st("deliveryRetried", { d: pick(d.destination_name) }));
  }

  const extBox = h("div", {});

  /** The hand-over form and the ticket's deliveries, in their own box. */
  function fillExternal(t: TicketFull, fresh: readonly string[] = []): void {
    const canSend = t.allowed_next.length > 0;
    if (!canSend && !deliveries?.length) {
      extBox.replaceChildren();
      return;
    }
    let form: HTMLElement | null = null;
    if (canSend) {
      if (destinationsHidden) form = h("p", { class: "hint" }, st("destinationsAdminOnly"));
      else if (destinations === null) form = h("p", { "aria-live": "polite" }, st("loading"));
      else if (!destinations.length) form = h("p", { class: "hint" }, st("noDestinations"));
      else form = externalForm(destinations, handOver, busy, "t", refusedText("external"));
    }
    keepingInput(extBox, () => extBox.replaceChildren(
      h(
        "section",
        { class: "external-section", "aria-labelledby": "t-ext-h" },
        h("h3", { id: "t-ext-h" }, st("externalTitle")),
        form,
        h("h4", {}, st("deliveriesTitle")),
        deliveries === null ? h("p", { class: "hint" }, "–") : deliveriesList(deliveries, retry, busy),
      ),
    ), fresh);
  }

  /**
   * Run a change; on 412 show the conflict and the reloaded ticket (never overwrite silently).
   * `form` is the form that sent it: refused, it keeps what was typed and shows why beside it;
   * done, it starts afresh.
   */
  async function run(fn: () => Promise<ChangeResult | Versioned>, ok: (t: TicketFull) => string, clear = false, form: FormName | null = null): Promise<void> {
    if (busy) return;
    busy = true;
    msg = null;
    refusal = null;
    draw();
    let sent: readonly string[] = [];
    try {
      const r = await fn();
      data = { ticket: r.ticket, etag: r.etag };
      if ("conflict" in r && r.conflict) {
        msg = { text: st("conflict"), kind: "conflict" };
      } else {
        msg = { text: ok(r.ticket), kind: "ok" };
        if (clear) {
          notes.pub = "";
          notes.int = "";
          notes.dup = "";
          sent = FORM_FIELDS.notes;
        }
        if (form) sent = [...sent, ...FORM_FIELDS[form]];
      }
    } catch (e) {
      if (form) refusal = { form, text: errorText(e) };
      else msg = { text: errorText(e), kind: "error" };
      if (e instanceof ApiError && e.status === 409) void load();
    }
    busy = false;
    if (alive) {
      draw(sent);
      const beside = refusal ? root.querySelector<HTMLElement>(`#${ERROR_OF[refusal.form]}`) : null;
      (beside ?? root.querySelector<HTMLElement>(".msg-anchor"))?.focus();
    }
  }

  function textarea(id: string, label: string, key: "pub" | "int", help?: string): HTMLElement {
    const ta = h("textarea", { id, rows: 3, maxlength: 4000, "aria-describedby": help ? `${id}-help` : null });
    ta.value = notes[key];
    ta.addEventListener("input", () => (notes[key] = ta.value));
    return h("div", { class: "field" }, h("label", { for: id }, label), help ? h("p", { class: "hint", id: `${id}-help` }, help) : null, ta);
  }

  function doTransition(to: string): void {
    if (!data) return;
    const d = data;
    if (to === "rejected" && !notes.pub.trim()) {
      msg = { text: st("needPublicNote"), kind: "error" };
      draw();
      root.querySelector<HTMLElement>("#t-public")?.focus();
      return;
    }
    if (to === "duplicate" && !notes.dup.trim()) {
      msg = { text: st("needDuplicate"), kind: "error" };
      draw();
      root.querySelector<HTMLElement>("#t-dup")?.focus();
      return;
    }
    const change = () =>
      run(
      () =>
        transition(id, d.etag, {
          to,
          public_note: notes.pub.trim() || null,
          internal_note: notes.int.trim() || null,
          duplicate_of: to === "duplicate" ? notes.dup.trim() : null,
        }),
      (t) => st("movedTo", { s: statusLabel(t.status) }),
      true,
      "notes",
    );
    // Rejecting and resolving reach the reporter: a second look at what they will read first.
    if (CONFIRMED_STATES.includes(to)) void confirmStateChange(d.ticket, to, notes.pub.trim()).then((yes) => (yes ? change() : undefined));
    else void change();
  }

  /** Publish a supporter's photo of an already published report, keeping what is public. */
  function publishPhoto(t: TicketFull, photoId: number, n: number): void {
    const ids = t.photos.filter((x) => x.kind !== "after" && (x.approved || x.id === photoId)).map((x) => x.id);
    void run(() => publication(id, data!.etag, { action: "publish", public_description: t.public_description ?? null, photo_ids: ids }), () => st("supportPhotoPublished", { n }));
  }

  function photosList(t: TicketFull): HTMLElement | null {
    if (!t.photos?.length) return null;
    return h(
      "ul",
      { class: "thumbs" },
      ...t.photos.map((p, i) =>
        h(
          "li",
          {},
          h("a", { href: p.url, target: "_blank", rel: "noopener" }, h("img", { src: p.thumbnail_url, alt: st("photoAlt", { n: i + 1, kind: photoKind(p.kind) }), width: 96, height: 96, loading: "lazy" })),
          h("span", { class: "hint" }, photoKind(p.kind), p.approved || p.kind === "after" ? "" : ` · ${st("notPublicYet")}`),
          // A report still unpublished is decided in moderation; a published one gets its supporter's photo here.
          p.kind === "support" && !p.approved && t.published
            ? h("button", { type: "button", class: "btn btn-small", disabled: busy, onclick: () => publishPhoto(t, p.id, i + 1) }, st("photoPublish", { n: i + 1 }))
            : null,
          passNote(p, i + 1, () => void run(() => privacyPass(id, p.id), () => st("privacyRetried")), busy),
        ),
      ),
    );
  }

  function history(t: TicketFull): HTMLElement {
    return h(
      "ol",
      { class: "history", "aria-labelledby": "t-history-h" },
      ...(t.history ?? []).map((e) =>
        h(
          "li",
          {},
          h("time", { datetime: e.at }, formatDateTime(e.at)),
          " – ",
          h("strong", {}, eventLine(e, t.photos)),
          e.actor ? [" ", h("span", { class: "hint" }, actedBy(e.actor, e.actor_name))] : null,
          e.public_note ? h("p", { class: "note" }, h("span", { class: "tag" }, st("public")), " ", e.public_note) : null,
          e.internal_note ? h("p", { class: "note note-internal" }, h("span", { class: "tag tag-internal" }, st("internal")), " ", e.internal_note) : null,
        ),
      ),
    );
  }

  function afterPhoto(): HTMLElement {
    const input = h("input", { id: "t-after", type: "file", accept: "image/*", capture: "environment" });
    const btn = h("button", { type: "submit", class: "btn", disabled: busy }, st("uploadPhoto"));
    const err = h("p", { class: "field-error", id: "t-after-err", "aria-live": "polite", tabindex: "-1" }, refusedText("after"));
    const form = h("form", { class: "after-photo" }, h("div", { class: "field" }, h("label", { for: "t-after" }, st("afterPhoto")), input), err, btn);
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const file = input.files?.[0];
      if (!file) {
        msg = { text: st("noPhotoChosen"), kind: "error" };
        draw();
        root.querySelector<HTMLElement>("#t-after")?.focus();
        return;
      }
      void run(async () => addPhotos(id, [await resizePhoto(file)]), () => st("photoUploaded"), false, "after");
    });
    return form;
  }

  /**
   * The page drawn anew from `data`; what was typed or chosen in its forms, the focus and the
   * caret stay (except in the fields of a form just sent, `fresh`).
   */
  function draw(fresh: readonly string[] = []): void {
    if (root) keepingInput(root, () => drawNow(fresh), fresh);
    following.check();
  }

  /** While a photo's privacy pass is pending the ticket is read again; drawn anew only when it changed. */
  const following = follower(
    () => alive && !!data && passPending(data.ticket),
    async () => {
      const seen = data;
      if (busy) return;
      const next = await getTicket(id);
      // A change of the person's own (or a reload) came in meanwhile: it has the newer ticket.
      if (alive && !busy && data === seen && JSON.stringify(next.ticket) !== JSON.stringify(seen?.ticket)) {
        data = next;
        draw();
      }
    },
  );

  function drawNow(fresh: readonly string[]): void {
    map?.remove();
    map = null;
    const head = h("h2", {}, st("ticketTitle", { id }));
    const back = h("p", { class: "back" }, h("a", { href: "#/queue", class: "back-link" }, `← ${st("backToList")}`));
    if (!data) {
      const nf = failure instanceof ApiError && failure.status === 404;
      root.replaceChildren(
        head,
        back,
        failure ? h("div", { class: "alert", role: "alert" }, nf ? st("notFound") : errorText(failure)) : h("p", { "aria-live": "polite" }, st("loading")),
      );
      return;
    }
    const t = data.ticket;
    const me = myId();
    const message = h("div", { class: "msg-anchor", tabindex: "-1" }, messageEl(msg));
    const facts = h(
      "dl",
      { class: "facts" },
      h("dt", {}, st("status")),
      h("dd", {}, h("span", { class: `status status-${t.status}` }, statusLabel(t.status, t.status_label))),
      h("dt", {}, st("deadline")),
      h("dd", {}, slaBadge(t.sla?.state), t.sla?.deadline ? ` ${formatDateTime(t.sla.deadline)}` : ""),
      h("dt", {}, st("category")),
      h("dd", {}, pick(t.category.name)),
      h("dt", {}, st("department")),
      h("dd", {}, t.department ? pick(t.department.name) : "–"),
      h("dt", {}, st("assignee")),
      h("dd", {}, t.assignee?.name ?? st("nobody")),
      h("dt", {}, st("created")),
      h("dd", {}, formatDateTime(t.created_at)),
      h("dt", {}, st("place")),
      h("dd", {}, placeText(t)),
      t.reporter_email ? [h("dt", {}, st("reporterEmail")), h("dd", {}, h("a", { href: `mailto:${t.reporter_email}` }, t.reporter_email))] : null,
      t.routing?.text ? [h("dt", {}, st("routing")), h("dd", {}, routingText(t.routing as Routing))] : null,
      t.supporters ? [h("dt", {}, st("supporters")), h("dd", {}, String(t.supporters))] : null,
      heldFacts(t),
    );
    const flags = t.abuse_flags ?? [];
    const abuse = flags.length
      ? h(
          "section",
          { class: "abuse-flags", "aria-labelledby": "t-flags-h" },
          ...flagSection(flags, "t-flags-h"),
          h("div", { class: "row" }, h("button", { type: "button", class: "btn", disabled: busy, onclick: () => void run(() => dismissAbuse(id, data!.etag), (x) => st("flagsDismissed", { id: x.public_id })) }, st("dismissFlags"))),
        )
      : null;
    const take =
      me && t.assignee?.id !== me && t.allowed_next.length
        ? h("button", { type: "button", class: "btn", disabled: busy, onclick: () => void run(() => assign(id, data!.etag, me), () => st("taken")) }, st("take"))
        : null;

    const stateButtons = t.allowed_next.map((s) =>
      h("button", { type: "button", class: `btn ${s === "resolved" ? "btn-primary" : ""} btn-state`, disabled: busy, onclick: () => doTransition(s) }, statusLabel(s)),
    );
    const dupField = t.allowed_next.includes("duplicate")
      ? (() => {
          const inp = h("input", { id: "t-dup", type: "text", inputmode: "numeric", autocomplete: "off", "aria-describedby": "t-dup-help", value: notes.dup });
          inp.addEventListener("input", () => (notes.dup = inp.value));
          return h("div", { class: "field" }, h("label", { for: "t-dup" }, st("duplicateOf")), h("p", { class: "hint", id: "t-dup-help" }, st("duplicateHelp")), inp);
        })()
      : null;
    const saveNote = h(
      "button",
      {
        type: "button",
        class: "btn",
        disabled: busy,
        onclick: () => {
          if (!notes.pub.trim() && !notes.int.trim()) {
            msg = { text: st("needNote"), kind: "error" };
            draw();
            return;
          }
          void run(() => addNote(id, notes.pub.trim() || null, notes.int.trim() || null), () => st("saved"), true, "notes");
        },
      },
      st("saveNote"),
    );
    const actions = h(
      "section",
      { class: "actions", "aria-labelledby": "t-next-h" },
      h("h3", { id: "t-next-h" }, st("nextState")),
      take ? h("div", { class: "row" }, take) : null,
      textarea("t-public", st("publicNote"), "pub", st("publicNoteHelp")),
      textarea("t-internal", st("internalNote"), "int"),
      dupField,
      // Taken on the spot, right before "Erledigt".
      afterPhoto(),
      stateButtons.length ? h("div", { class: "row state-buttons" }, ...stateButtons) : h("p", {}, st("noNext")),
      h("div", { class: "row" }, saveNote),
      // A refused note or step: the server's message here, beside what was typed (which stays).
      h("p", { class: "field-error", id: ERROR_OF.notes, "aria-live": "polite", tabindex: "-1" }, refusedText("notes")),
    );
    const mapEl = h("div", { class: "map map-ticket" });
    // Phone first: what the crew looks for on the spot (photos, text, address, map, the way there), then the work.
    const onSite = h(
      "section",
      { class: "on-site", "aria-label": st("onSite") },
      h("h3", {}, st("photos")),
      photosList(t) ?? h("p", { class: "hint" }, "–"),
      h("h3", {}, st("citizenText")),
      h("p", { class: "desc" }, t.description || st("noText")),
      h("h3", {}, st("place")),
      h("p", { class: "address" }, placeText(t)),
      h("p", { class: "nav-start" }, h("a", { href: geoUri(t), class: "btn" }, st("startNavigation"))),
      mapEl,
    );
    root.replaceChildren(h("div", {},
      head,
      back,
      message,
      onSite,
      actions,
      facts,
      abuse,
      mailFailureSection(t.mail_failures),
      t.allowed_next.length
        ? h(
            "section",
            { class: "forward-section", "aria-labelledby": "t-fw-h" },
            h("h3", { id: "t-fw-h" }, st("forwardTitle")),
            forwardForm(
              t.department?.code,
              (dept, reason) => run(() => forward(id, data!.etag, dept, reason), () => st("forwarded", { d: nameOf("department", dept) }), false, "forward"),
              "t",
              refusedText("forward"),
            ),
          )
        : null,
      (fillExternal(t, fresh), extBox),
      h("h3", { id: "t-history-h" }, st("history")),
      history(t),
    ));
    void city()
      .then((c) => {
        if (!mapEl.isConnected) return;
        map = createMap(mapEl, c, st("placeMap"), { lat: t.lat, lon: t.lon, zoom: 17 });
        L.marker([t.lat, t.lon], { icon: pinIcon(), keyboard: false, title: placeText(t) }).addTo(map);
      })
      .catch(() => mapEl.replaceChildren(h("p", { class: "hint" }, placeText(t))));
  }

  return {
    render(main) {
      // Drawn again on a language switch: what was typed in the page before moves into the new one.
      const before = root as HTMLElement | undefined;
      root = h("div", { class: "view-ticket" });
      main.append(root);
      draw();
      if (before) carryValues(before, root);
      if (!data && !failure) void load();
    },
    destroy() {
      alive = false;
      following.stop();
      map?.remove();
      map = null;
    },
  };
}
