/** "Verwaltung", external bodies: the paged list, switching one off, and a new one (Open311, e-mail, webhook). */
import { h } from "../../shared/dom";
import { pick } from "../../shared/i18n";
import { createDestination, destinationBody, listDestinations, serviceCodes, switchOffDestination, type Destination, type DestinationCreated, type DestinationIn } from "../forwarding";
import { st, type StaffKey } from "../i18n";
import { errorText, messageEl } from "../shell";
import { field, keptForm, placeOnce, section, table, text, yesNo, type Msg, type Section } from "./form";

const CHANNELS: DestinationIn["channel"][] = ["email", "open311", "webhook"];

export function destinationsSection(): Section {
  const { root, body } = section("destinations", "a-dest");
  let list: Destination[] | null = null;
  let next: string | null = null;
  let msg: Msg = null;
  let secret: DestinationCreated | null = null;
  let channel: DestinationIn["channel"] = "email";
  /** Service-code rows in the form: a rebuild (another language) has as many as were added. */
  let rowCount = 1;

  /** The next page; `focusFirst` (a click on "more") moves focus to its first row, never a
   * load of its own, which would take the caret from a field the admin is typing in. */
  async function more(focusFirst = false): Promise<void> {
    const first = list?.length ?? 0;
    try {
      const page = await listDestinations(next);
      list = [...(list ?? []), ...page.items];
      next = page.next;
    } catch (e) {
      msg = { text: errorText(e), kind: "error" };
    }
    s.draw();
    if (focusFirst) body.querySelectorAll<HTMLElement>("tbody tr td:first-child span")[first]?.focus();
  }

  async function switchOff(d: Destination): Promise<void> {
    try {
      const changed = await switchOffDestination(d.id);
      list = (list ?? []).map((x) => (x.id === d.id ? changed : x));
      msg = { text: st("switchedOff", { d: pick(d.name) }), kind: "ok" };
    } catch (e) {
      msg = { text: errorText(e), kind: "error" };
    }
    s.draw();
  }

  function where(d: Destination): string {
    return (d.channel === "email" ? d.email : d.url) ?? "";
  }

  function newForm(): HTMLFormElement {
    const de = h("input", { type: "text", required: true, name: "name_de" });
    const en = h("input", { type: "text", required: true, name: "name_en" });
    const chan = h("select", { name: "channel" }, ...CHANNELS.map((c) => h("option", { value: c }, st(`channel_${c}` as StaffKey))));
    chan.value = channel;
    const url = h("input", { type: "url", id: "ds-url", name: "url", "aria-describedby": "ds-url-help" });
    const urlHelp = h("p", { class: "hint", id: "ds-url-help" }, st("destUrlOpen311Help"));
    const apiKey = h("input", { type: "text", autocomplete: "off" });
    const jur = text();
    const mail = h("input", { type: "email", name: "email" });
    const rows: { category: HTMLInputElement; code: HTMLInputElement }[] = [];
    const rowBox = h("div", {});
    const addRow = (): HTMLInputElement => {
      const i = rows.length;
      const r = { category: text(), code: text() };
      rows.push(r);
      rowBox.append(h("div", { class: "row" }, field(`ds-cat-${i}`, st("serviceCodeCategory"), r.category), field(`ds-code-${i}`, st("serviceCode"), r.code)));
      return r.category;
    };
    while (rows.length < rowCount) addRow();
    const err = h("p", { class: "field-error", "aria-live": "polite" });
    const mailField = field("ds-mail", st("destEmail"), mail);
    const urlField = h("div", { class: "field" }, h("label", { for: "ds-url" }, st("destUrl")), urlHelp, url);
    const open311 = h(
      "div",
      {},
      field("ds-key", st("apiKey"), apiKey),
      field("ds-jur", st("jurisdiction"), jur),
      h(
        "fieldset",
        { class: "service-codes" },
        h("legend", {}, st("serviceCodes")),
        rowBox,
        h("button", { type: "button", class: "btn", onclick: () => { rowCount += 1; addRow().focus(); } }, st("addServiceCodeRow")),
      ),
    );
    /** Only the chosen channel's fields are shown; what was typed stays. */
    const show = (): void => {
      channel = chan.value as DestinationIn["channel"];
      mailField.hidden = channel !== "email";
      urlField.hidden = channel === "email";
      urlHelp.hidden = channel !== "open311";
      open311.hidden = channel !== "open311";
    };
    chan.addEventListener("change", show);
    show();
    const form = h(
      "form",
      { class: "inline-form destination-form", "aria-label": st("newDestination") },
      field("ds-de", st("nameDe"), de),
      field("ds-en", st("nameEn"), en),
      field("ds-channel", st("channel"), chan),
      mailField,
      urlField,
      open311,
      err,
      h("button", { type: "submit", class: "btn" }, st("create")),
    );
    form.noValidate = true;
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      err.textContent = "";
      const codes = channel === "open311" ? serviceCodes(rows.map((r) => ({ category: r.category.value, code: r.code.value }))) : { map: null, error: null };
      if (codes.error) {
        err.textContent = st(codes.error);
        return;
      }
      if (!de.value.trim()) {
        err.textContent = st("needName");
        de.focus();
        return;
      }
      try {
        const made = await createDestination(
          destinationBody({ nameDe: de.value, nameEn: en.value, channel, url: url.value, apiKey: apiKey.value, jurisdiction: jur.value, email: mail.value, codes: codes.map }),
        );
        secret = made.secret ? made : null;
        msg = { text: st("created_ok"), kind: "ok" };
        rowCount = 1;
        kept.reset();
        await s.load();
        body.querySelector<HTMLElement>(".secret-once code, .msg-anchor")?.focus();
      } catch (x) {
        kept.refuse(x);
      }
    });
    return form;
  }

  // Built once and never moved: a redraw (the list arriving, a switch-off) replaces only the
  // list above it, so what is being typed and the caret stay where they are (moving a focused
  // field out of the page and back drops its focus).
  const kept = keptForm(newForm);
  const listBox = h("div", {});
  const formHeading = h("h4", {});
  const place = placeOnce(body, () => [listBox, formHeading, kept.current()]);

  const s: Section = {
    root,
    async load() {
      list = null;
      next = null;
      await more();
    },
    draw() {
      place();
      kept.current();
      formHeading.textContent = st("newDestination");
      const secretBox = secret
        ? h(
            "div",
            { class: "secret-once alert", role: "status" },
            h("p", {}, h("strong", {}, `${st("webhookSecret")} (${pick(secret.name)}): `), h("code", { tabindex: "0" }, secret.secret ?? "")),
            h("p", { class: "hint" }, st("webhookSecretHint")),
          )
        : null;
      listBox.replaceChildren(
        h("div", { class: "msg-anchor", tabindex: "-1" }, messageEl(msg)),
        ...(secretBox ? [secretBox] : []),
        list
          ? list.length
            ? table(
                st("destinations"),
                [st("nameDe"), st("nameEn"), st("channel"), st("destUrl"), st("active"), st("actions")],
                list.map((d) => [
                  h("span", { tabindex: "-1" }, d.name.de),
                  d.name.en,
                  st(`channel_${d.channel}` as StaffKey),
                  where(d),
                  yesNo(d.active),
                  d.active ? h("button", { type: "button", class: "btn", "aria-label": st("switchOffNamed", { d: pick(d.name) }), onclick: () => void switchOff(d) }, st("switchOff")) : "",
                ]),
              )
            : h("p", {}, st("noDestinations"))
          : h("p", {}, st("loading")),
        next ? h("button", { type: "button", class: "btn", onclick: () => void more(true) }, st("moreDestinations")) : "",
      );
    },
  };
  return s;
}
