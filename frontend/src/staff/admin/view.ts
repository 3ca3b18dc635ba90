/** "Verwaltung": departments, categories, accounts and API tokens, zones, routing rules, external bodies, sign-in. */
import { h } from "../../shared/dom";
import { st, type StaffKey } from "../i18n";
import type { StaffView } from "../shell";
import { accountsSection } from "./accounts";
import { categoriesSection } from "./categories";
import { departmentsSection } from "./departments";
import { destinationsSection } from "./destinations";
import type { Section } from "./form";
import { rulesSection } from "./rules";
import { signInSection } from "./sign-in";
import { zonesSection } from "./zones";

export function adminView(): StaffView {
  const sections: Section[] = [departmentsSection(), categoriesSection(), accountsSection(), zonesSection(), rulesSection(), destinationsSection(), signInSection()];
  let loaded = false;
  return {
    render(main) {
      main.append(h("div", { class: "view-admin" }, h("h2", {}, st("adminTitle")), ...sections.map((s) => s.root)));
      sections.forEach((s) => {
        s.root.querySelector("h3")!.textContent = st(["departments", "categories", "accounts", "zones", "rules", "destinations", "signIn"][sections.indexOf(s)] as StaffKey);
        s.draw();
      });
      if (!loaded) {
        loaded = true;
        sections.forEach((s) => void s.load());
      }
    },
  };
}
