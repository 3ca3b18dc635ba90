/** Every visible string of the staff app, German first, English second. Language state is shared with the citizen app. */
import { fill, lang } from "../shared/i18n";
import { de, type StaffKey } from "./i18n-de";
import { en } from "./i18n-en";

export type { StaffKey };

export const staffStrings: Record<"de" | "en", Record<StaffKey, string>> = { de, en };

/** The staff string for key in the current language, with {placeholders} filled in. */
export function st(key: StaffKey, params: Record<string, string | number> = {}): string {
  return fill(staffStrings[lang()][key] ?? staffStrings.de[key] ?? key, params);
}

const ACTORS: Record<string, [StaffKey, StaffKey]> = {
  citizen: ["actorCitizen", "byCitizen"],
  system: ["actorSystem", "bySystem"],
  cli: ["actorCli", "byCli"],
};

/** Who did something, readably: the name the server resolved, else a word for the citizen, the system or the command line, else the raw actor. */
export function actorLabel(actor: string | null | undefined, name?: string | null): string {
  if (name) return name;
  if (!actor) return "";
  return actor in ACTORS ? st(ACTORS[actor][0]) : actor;
}

/** "von Erika Muster", "vom System": a history entry's author as a phrase. */
export function actedBy(actor: string, name?: string | null): string {
  if (!name && actor in ACTORS) return st(ACTORS[actor][1]);
  return st("by", { actor: actorLabel(actor, name) });
}
