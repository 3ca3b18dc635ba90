import { describe, expect, it } from "vitest";
import { reportPath, routeFromPath } from "./routes";

describe("routes", () => {
  it("opens the view a path names", () => {
    expect(routeFromPath("/")).toEqual({ kind: "home" });
    expect(routeFromPath("/track/abc_DEF-1")).toEqual({ kind: "track", token: "abc_DEF-1" });
    expect(routeFromPath("/reports/2026-000123")).toEqual({ kind: "report", publicId: "2026-000123" });
    expect(routeFromPath("/reports/2026-000123/")).toEqual({ kind: "report", publicId: "2026-000123" });
    expect(routeFromPath("/confirm/tok.en")).toEqual({ kind: "confirm", token: "tok.en" });
    expect(routeFromPath("/reports/")).toEqual({ kind: "home" });
    expect(routeFromPath("/reports/a/b")).toEqual({ kind: "home" });
    expect(routeFromPath("/confirm/%E0%A4%A")).toEqual({ kind: "home" });
  });
  it("builds the public page's path", () => {
    expect(reportPath("2026-000123")).toBe("/reports/2026-000123");
    expect(reportPath("a/b")).toBe("/reports/a%2Fb");
  });
});
