import { describe, expect, it } from "vitest";
import { categoryIcon, ICON_NAMES } from "./icons";

describe("categoryIcon", () => {
  it("has a pictogram for every icon name the API sends", () => {
    const names = ["pothole", "sidewalk", "sign", "lamp", "trash", "bin", "broom", "spray", "tree", "playground", "car", "other"];
    expect([...ICON_NAMES].sort()).toEqual([...names].sort());
    const drawings = new Set<string>();
    for (const name of names) {
      const svg = categoryIcon(name);
      expect(svg.namespaceURI).toBe("http://www.w3.org/2000/svg");
      expect(svg.getAttribute("aria-hidden")).toBe("true");
      expect(svg.getAttribute("stroke")).toBe("currentColor");
      expect(svg.childElementCount).toBeGreaterThan(0);
      drawings.add(svg.innerHTML);
    }
    expect(drawings.size).toBe(names.length);
  });

  it("falls back to a pin for unknown names, without touching the prototype", () => {
    const pin = categoryIcon("").innerHTML;
    expect(categoryIcon("unknown").innerHTML).toBe(pin);
    expect(categoryIcon("toString").innerHTML).toBe(pin);
    expect(categoryIcon("__proto__").innerHTML).toBe(pin);
    expect(pin).not.toBe(categoryIcon("other").innerHTML);
  });

  it("returns a fresh element each time", () => {
    expect(categoryIcon("car")).not.toBe(categoryIcon("car"));
  });
});
