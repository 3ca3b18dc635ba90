import { afterEach, describe, expect, it } from "vitest";
import { ApiError } from "../shared/api";
import { setLang } from "../shared/i18n";
import { errorText } from "./shell";

afterEach(() => setLang("de"));

describe("errorText", () => {
  it("shows the API's message in the user's language", () => {
    const e = new ApiError(422, "invalid_rule_name", { de: "Regel r1: Name fehlt.", en: "Rule r1: name missing." }, {});
    expect(errorText(e)).toBe("Regel r1: Name fehlt.");
    setLang("en");
    expect(errorText(e)).toBe("Rule r1: name missing.");
  });

  it("never shows the browser's English error text in German", () => {
    let thrown: unknown;
    try {
      JSON.parse("<html>");
    } catch (e) {
      thrown = e;
    }
    expect(errorText(thrown)).toBe("Die Antwort des Servers war nicht lesbar. Bitte erneut versuchen.");
    expect(errorText(new TypeError("x is undefined"))).toBe("Etwas ist schiefgegangen. Bitte die Seite neu laden.");
    setLang("en");
    expect(errorText(thrown)).toBe("The server's answer could not be read. Please try again.");
  });
});
