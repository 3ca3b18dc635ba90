import { describe, expect, it } from "vitest";
import { checkRows, moved, newRow, rowFromRule, ruleSetFromRows, serverErrors, toYaml } from "./rule-rows";

const rules = [
  { id: "strasse", department: "tiefbau", category_group: "strasse", priority: 2 },
  { id: "hafen", department: "hafen", zone: "hafen", sla_hours: 72 },
  { id: "park", department: "gruen", category: "wilder_muell", zone_kind: "park", sla_hours: 24.5 },
];

describe("rule rows", () => {
  it("round-trips a rule set through the rows unchanged", () => {
    const rows = rules.map(rowFromRule);
    expect(rows[0].what).toBe("g:strasse");
    expect(rows[1].where).toBe("z:hafen");
    expect(rows[2].where).toBe("k:park");
    expect(ruleSetFromRows("ordnung", rows)).toEqual({ fallback_department: "ordnung", rules });
  });
  it("checks each row: id, doubled id, department, priority, hours", () => {
    const rows = rules.map(rowFromRule);
    rows[1].id = "strasse";
    rows[2].department = "";
    rows[2].hours = "0";
    rows[0].priority = "1.5";
    const errors = checkRows(rows);
    expect(errors.get(rows[1].key)).toEqual({ id: { key: "ruleErrDupId", params: { id: "strasse" } } });
    expect(errors.get(rows[2].key)).toEqual({ department: { key: "ruleErrDeptOrDest" }, sla_hours: { key: "ruleErrHours" } });
    expect(errors.get(rows[0].key)).toEqual({ priority: { key: "ruleErrPriority" } });
    expect(checkRows(rules.map(rowFromRule)).size).toBe(0);
  });
  it("takes a destination besides or instead of a department, and a copy only with one", () => {
    const named = [
      { id: "licht", category: "laterne", destination: 3, copy_only: false },
      { id: "kopie", department: "tiefbau", category_group: "strasse", destination: 4, copy_only: true },
    ];
    const rows = named.map(rowFromRule);
    expect(rows[0].destination).toBe("3");
    expect(rows[1].copyOnly).toBe(true);
    expect(checkRows(rows).size).toBe(0);
    expect(ruleSetFromRows("ordnung", rows)).toEqual({ fallback_department: "ordnung", rules: named });
    rows[0].destination = "";
    rows[0].copyOnly = true;
    expect(checkRows(rows).get(rows[0].key)).toEqual({ department: { key: "ruleErrDeptOrDest" }, copy_only: { key: "ruleErrCopyOnly" } });
    const yaml = toYaml(ruleSetFromRows("ordnung", [rows[1]]));
    expect(yaml).toContain("  destination: 4\n  copy_only: true\n");
  });
  it("maps the server's field errors to the rows they name", () => {
    const rows = rules.map(rowFromRule);
    const m = { de: "unbekannt", en: "unknown" };
    const out = serverErrors(rows, { "rules.1.department": [m], fallback_department: [m], "rules.9.id": [m] });
    expect(out.rows.get(rows[1].key)).toEqual({ department: { text: m } });
    expect(out.rows.size).toBe(1);
    expect(out.fallback).toEqual(m);
  });
  it("moves rows and gives new rows a fresh id", () => {
    expect(moved([1, 2, 3], 2, -1)).toEqual([1, 3, 2]);
    expect(moved([1, 2, 3], 0, 1)).toEqual([2, 1, 3]);
    const same = [1, 2];
    expect(moved(same, 0, -1)).toBe(same);
    const rows = [rowFromRule({ id: "regel-2", department: "x" })];
    expect(newRow(rows).id).toBe("regel-3");
  });
  it("writes YAML with every text quoted", () => {
    const yaml = toYaml({ fallback_department: "ordnung", rules: [{ id: 'a: "b"', department: "tiefbau", sla_hours: 24, name: { de: "Straße", en: "Road" } }] });
    expect(yaml).toBe('fallback_department: "ordnung"\nrules:\n- id: "a: \\"b\\""\n  department: "tiefbau"\n  sla_hours: 24\n  name:\n    de: "Straße"\n    en: "Road"\n');
    expect(toYaml({ fallback_department: "x", rules: [] })).toBe('fallback_department: "x"\nrules: []\n');
  });
});
