import { describe, expect, it } from "vitest";
import { barChart, lineChart, niceMax } from "./chart";

describe("charts", () => {
  it("rounds the axis up to whole, nice steps", () => {
    expect(niceMax(0)).toBe(4);
    expect(niceMax(3)).toBe(4);
    expect(niceMax(6)).toBe(8);
    expect(niceMax(10)).toBe(20);
    expect(niceMax(37)).toBe(40);
    expect(niceMax(130)).toBe(200);
  });
  it("draws one bar per value and series, with a title for each", () => {
    const s = barChart("Neu und erledigt", ["1.", "2."], [
      { label: "Neu", cls: "bar-a", values: [3, 5] },
      { label: "Erledigt", cls: "bar-b", values: [1, 0] },
    ]);
    expect(s.getAttribute("role")).toBe("img");
    expect(s.getAttribute("aria-label")).toBe("Neu und erledigt");
    expect(s.querySelectorAll("rect.bar-a, rect.bar-b").length).toBe(4 + 2); // bars + legend keys
    expect(s.querySelector("rect.bar-a title")?.textContent).toBe("1.: Neu 3");
  });
  it("draws a line with gaps for weeks without figures", () => {
    const s = lineChart("Anteil", ["W1", "W2", "W3"], [80, null, 100], "In der Frist");
    expect(s.querySelectorAll("circle").length).toBe(2);
    expect(s.querySelector("polyline")).not.toBeNull();
  });
});
