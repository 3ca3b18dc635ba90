/** A second look before a destructive step: an accessible modal `<dialog>` that asks once. */
import { h } from "../shared/dom";
import { st } from "./i18n";

export interface ConfirmOptions {
  title: string;
  /** What will happen, shown between the title and the buttons. */
  body: (Node | string)[];
  confirm: string;
  cancel?: string;
  /** The step cannot be undone: the confirm button is styled as a warning. */
  danger?: boolean;
}

let counter = 0;

/**
 * Ask once. Resolves true on the confirm button, false on cancel, Escape or a click on the
 * backdrop. Focus moves into the dialog (to the cancel button, the safe choice) and back to
 * where it was when the dialog closes.
 */
export function confirmDialog(opts: ConfirmOptions): Promise<boolean> {
  const n = ++counter;
  const before = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  const cancel = h("button", { type: "button", class: "btn", value: "cancel" }, opts.cancel ?? st("dialogCancel"));
  const ok = h("button", { type: "button", class: `btn ${opts.danger ? "btn-danger" : "btn-primary"}`, value: "confirm" }, opts.confirm);
  const dlg = h(
    "dialog",
    { class: "confirm-dialog", "aria-labelledby": `dlg-${n}-h`, "aria-describedby": `dlg-${n}-b` },
    h("h2", { id: `dlg-${n}-h` }, opts.title),
    h("div", { id: `dlg-${n}-b`, class: "dialog-body" }, ...opts.body),
    h("div", { class: "row dialog-buttons" }, cancel, ok),
  );
  document.body.append(dlg);
  return new Promise<boolean>((resolve) => {
    let done = false;
    const finish = (answer: boolean) => {
      if (done) return;
      done = true;
      if (typeof dlg.close === "function" && dlg.open) dlg.close();
      dlg.remove();
      if (before?.isConnected) before.focus();
      resolve(answer);
    };
    cancel.addEventListener("click", () => finish(false));
    ok.addEventListener("click", () => finish(true));
    // The browser's own Escape handling fires "cancel"; the keydown covers browsers without it.
    dlg.addEventListener("cancel", (e) => {
      e.preventDefault();
      finish(false);
    });
    dlg.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        e.preventDefault();
        finish(false);
      }
    });
    dlg.addEventListener("click", (e) => {
      if (e.target === dlg) finish(false); // the backdrop
    });
    if (typeof dlg.showModal === "function") dlg.showModal();
    else dlg.setAttribute("open", "");
    cancel.focus();
  });
}
