/** "Fristen": the SLA board for supervisors and admins. */
import { getCategories } from "../shared/api";
import { carryValues, h, keepingInput } from "../shared/dom";
import { formatDateTime, pick } from "../shared/i18n";
import type { Breach, BreachPage, Category, Department, Figures, Summary, Ticket, Trend, User } from "../shared/types";
import { assign, exportUrl, forward, get, optional, type ChangeResult } from "./api";
import { barChart, dataTable, lineChart } from "./chart";
import { forwardForm } from "./forward";
import { failedDeliveryCount } from "./forwarding";
import { st } from "./i18n";
import { nameOf } from "./names";
import { filterQueueByStatus } from "./queue";
import { departments, errorText, messageEl, session, type StaffView } from "./shell";
import { slaBadge } from "./sla";

const filter = { department: "", category: "" };

export function pct(v: number | null | undefined): string {
  return v === null || v === undefined ? "–" : `${v.toLocaleString("de-DE", { maximumFractionDigits: 1 })} %`;
}

export function boardView(): StaffView {
  let summary: Summary | null = null;
  let trend: Trend | null | undefined; // undefined: loading, null: not available yet
  let breaches: Breach[] | null = null;
  let breachCount = 0;
  let breachCursor: string | null = null;
  let failedDeliveries: number | null = null;
  let depts: Department[] = [];
  let cats: Category[] = [];
  let users: User[] = [];
  let error = "";
  let msg: { text: string; kind: "ok" | "error" | "conflict" } | null = null;
  let results: HTMLElement;
  let exportsRow: HTMLElement;
  let alive = true;
  /** A row's form the server refused (its id prefix) and why; a row's form just sent, to start afresh. */
  let refusal: { form: string; text: string } | null = null;
  let fresh = "";
  const refusedText = (form: string) => (refusal?.form === form ? refusal.text : "");

  const deptName = (code: string) => {
    const d = depts.find((x) => x.code === code);
    return d ? pick(d.name) : nameOf("department", code);
  };
  const catName = (code: string) => {
    const c = cats.find((x) => x.code === code);
    return c ? pick(c.name) : nameOf("category", code);
  };

  async function load(): Promise<void> {
    error = "";
    const q = { department: filter.department || undefined, category: filter.category || undefined };
    try {
      let page: BreachPage;
      [summary, page] = await Promise.all([get<Summary>("/api/v1/sla/summary", q), get<BreachPage>("/api/v1/sla/breaches", q)]);
      breaches = page.items;
      breachCount = page.count;
      breachCursor = page.next_cursor;
    } catch (e) {
      error = errorText(e);
    }
    try {
      failedDeliveries = (await optional(failedDeliveryCount())) ?? null;
    } catch {
      failedDeliveries = null;
    }
    try {
      trend = await optional(get<Trend>("/api/v1/sla/trend", { days: 30, ...q }));
    } catch {
      trend = null;
    }
    if (alive) draw();
  }

  async function moreBreaches(): Promise<void> {
    if (!breachCursor) return;
    const q = { department: filter.department || undefined, category: filter.category || undefined, cursor: breachCursor };
    try {
      const page = await get<BreachPage>("/api/v1/sla/breaches", q);
      const first = page.items[0]?.public_id;
      breaches = [...(breaches ?? []), ...page.items];
      breachCount = page.count;
      breachCursor = page.next_cursor;
      draw();
      // Keyboard and screen-reader users land on the first row just loaded.
      if (first) results.querySelector<HTMLElement>(`a[href="#/ticket/${encodeURIComponent(first)}"]`)?.focus();
    } catch (e) {
      msg = { text: errorText(e), kind: "error" };
      draw();
    }
  }

  async function loadRefs(): Promise<void> {
    const [d, c, u] = await Promise.all([
      departments().catch(() => [] as Department[]),
      getCategories().catch(() => [] as Category[]),
      session?.role === "admin" ? get<User[]>("/api/v1/admin/users").catch(() => [] as User[]) : Promise.resolve([] as User[]),
    ]);
    depts = d;
    cats = c;
    users = Array.isArray(u) ? u : [];
  }

  /**
   * A row's assign or forward form sent (`form`: its id prefix). Refused, the form keeps what was
   * typed and shows the server's message beside it, focused; done, it starts afresh.
   */
  async function change(fn: () => Promise<ChangeResult>, ok: string, form: string): Promise<void> {
    try {
      const r = await fn();
      msg = r.conflict ? { text: st("conflict"), kind: "conflict" } : { text: ok, kind: "ok" };
      refusal = null;
      fresh = form;
    } catch (e) {
      msg = null;
      refusal = { form, text: errorText(e) };
    }
    await load();
    fresh = "";
    (results.querySelector<HTMLElement>(refusal ? `#${CSS.escape(form)}-err` : ".msg-anchor") ?? results.querySelector<HTMLElement>(".msg-anchor"))?.focus();
  }

  function figuresTable(caption: string, first: string, rows: [string, Figures][]): HTMLElement {
    const head = [first, st("open"), st("atRisk"), st("breached"), st("paused"), st("resolved"), st("withinPct")];
    const t = dataTable(
      caption,
      head,
      rows.map(([k, f]) => [k, f.open, f.at_risk, f.breached, f.paused, f.resolved, pct(f.resolved_within_sla_pct)]),
    );
    t.querySelectorAll("td").forEach((td) => td.classList.add("num"));
    return h("div", { class: "table-wrap" }, t);
  }

  function trendPart(): HTMLElement {
    const sec = h("section", { "aria-labelledby": "b-trend-h" }, h("h3", { id: "b-trend-h" }, st("trendTitle")));
    if (trend === undefined) sec.append(h("p", {}, st("loading")));
    else if (trend === null) sec.append(h("p", { class: "hint" }, st("notAvailable")));
    else {
      const days = trend.days ?? [];
      const weeks = trend.weeks ?? [];
      const dayLabels = days.map((d) => d.date.slice(8, 10) + "." + d.date.slice(5, 7) + ".");
      sec.append(
        h("h4", {}, st("trendDaily")),
        barChart(st("trendDaily"), dayLabels, [
          { label: st("createdCount"), cls: "bar-a", values: days.map((d) => d.created) },
          { label: st("resolvedCount"), cls: "bar-b", values: days.map((d) => d.resolved) },
        ]),
        h(
          "details",
          { class: "chart-data" },
          h("summary", {}, st("chartTable")),
          h("div", { class: "table-wrap" }, dataTable(st("trendDaily"), [st("day"), st("createdCount"), st("resolvedCount")], days.map((d) => [d.date, d.created, d.resolved]))),
        ),
        h("h4", {}, st("trendWeekly")),
        lineChart(st("trendWeekly"), weeks.map((w) => w.week), weeks.map((w) => w.within_promise_pct), st("withinPct")),
        h(
          "details",
          { class: "chart-data" },
          h("summary", {}, st("chartTable")),
          h("div", { class: "table-wrap" }, dataTable(st("trendWeekly"), [st("week"), st("resolvedCount"), st("pct")], weeks.map((w) => [w.week, w.resolved, pct(w.within_promise_pct)]))),
        ),
      );
    }
    return sec;
  }

  function assignForm(t: Ticket): HTMLElement | null {
    if (session?.role !== "admin" || !t.department) return null;
    const dept = t.department.code;
    const crew = users.filter((u) => u.active !== false && u.departments.includes(dept) && u.role !== "admin");
    if (!crew.length) return null;
    const id = `as-${t.public_id}`;
    const sel = h("select", { id }, h("option", { value: "" }, "—"), ...crew.map((u) => h("option", { value: String(u.id) }, u.name)));
    const form = h(
      "form",
      { class: "forward" },
      h("div", { class: "field" }, h("label", { for: id }, st("assignTo")), sel),
      h("p", { class: "field-error", id: `${id}-err`, "aria-live": "polite", tabindex: "-1" }, refusedText(id)),
      h("button", { type: "submit", class: "btn btn-small" }, st("assign")),
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      if (!sel.value) {
        sel.focus();
        return;
      }
      const u = crew.find((x) => String(x.id) === sel.value)!;
      void change(() => assign(t.public_id, `"${t.version}"`, u.id), st("assigned", { name: u.name }), id);
    });
    return form;
  }

  function breachPart(): HTMLElement {
    // The server filters and sorts (oldest deadline first) and sends a page at a time.
    const list = breaches ?? [];
    const table = h(
      "table",
      { class: "data breaches", "aria-labelledby": "b-breach-h" },
      h("thead", {}, h("tr", {}, ...[st("ticket"), st("category"), st("department"), st("deadline"), st("overdue"), st("assignee"), st("actions")].map((c) => h("th", { scope: "col" }, c)))),
      h(
        "tbody",
        {},
        ...list.map((t) =>
          h(
            "tr",
            {},
            h("th", { scope: "row" }, h("a", { href: `#/ticket/${encodeURIComponent(t.public_id)}` }, t.public_id)),
            h("td", {}, pick(t.category.name)),
            h("td", {}, t.department ? pick(t.department.name) : "–"),
            h("td", {}, slaBadge(t.sla?.state), " ", formatDateTime(t.sla?.deadline)),
            h("td", { class: "num" }, t.overdue_hours !== undefined ? st("overdueHours", { n: Math.round(t.overdue_hours) }) : "–"),
            h("td", {}, t.assignee?.name ?? st("nobody")),
            h(
              "td",
              {},
              assignForm(t),
              forwardForm(
                t.department?.code,
                (dept, reason) => change(() => forward(t.public_id, `"${t.version}"`, dept, reason), st("forwarded", { d: deptName(dept) }), `fw-${t.public_id}`),
                t.public_id,
                refusedText(`fw-${t.public_id}`),
              ),
            ),
          ),
        ),
      ),
    );
    const more = breachCursor ? h("button", { type: "button", class: "btn btn-small", onclick: () => void moreBreaches() }, st("moreBreaches")) : null;
    const shown = list.length ? h("p", { class: "count", "aria-live": "polite" }, st("breachShown", { shown: list.length, n: breachCount })) : null;
    return h(
      "section",
      { "aria-labelledby": "b-breach-h" },
      h("h3", { id: "b-breach-h" }, st("breachTable")),
      ...(list.length ? [shown as Node, h("div", { class: "table-wrap" }, table), ...(more ? [more] : [])] : [h("p", {}, st("noBreaches"))]),
    );
  }

  /** The page drawn anew; what was typed or chosen in the rows' forms, the focus and the caret stay. */
  function draw(): void {
    keepingInput(results, drawNow, fresh ? [`${fresh}`, `${fresh}-dept`, `${fresh}-reason`] : []);
  }

  function drawNow(): void {
    const exportFilter = { department: filter.department || undefined, category: filter.category || undefined };
    // The links stay the same elements (only their addresses follow the filter): a click
    // while the figures arrive is never lost to a link replaced between press and release.
    const [csv, geojson] = exportsRow.querySelectorAll("a");
    csv.setAttribute("href", exportUrl(exportFilter, "csv"));
    geojson.setAttribute("href", exportUrl(exportFilter, "geojson"));
    const parts: (Node | null)[] = [h("div", { class: "msg-anchor", tabindex: "-1" }, messageEl(msg))];
    if (error) parts.push(h("div", { class: "alert", role: "alert" }, error));
    if (!summary) {
      if (!error) parts.push(h("p", { "aria-live": "polite" }, st("loading")));
      results.replaceChildren(...parts.filter((p): p is Node => !!p));
      return;
    }
    const tot = summary.total;
    parts.push(
      h("h3", {}, st("totals")),
      h(
        "dl",
        { class: "totals" },
        ...(
          [
            [st("open"), tot.open],
            [st("atRisk"), tot.at_risk],
            [st("breached"), tot.breached],
            [st("paused"), tot.paused],
            [st("withinPct"), pct(tot.resolved_within_sla_pct)],
          ] as [string, string | number][]
        ).map(([k, v]) => h("div", {}, h("dt", {}, k), h("dd", {}, String(v)))),
      ),
      failedDeliveries === null
        ? null
        : h(
            "p",
            { class: `failed-deliveries${failedDeliveries ? " alert" : ""}` },
            h("strong", {}, `${st("failedDeliveries")}: `),
            h("span", { class: "failed-deliveries-count" }, String(failedDeliveries)),
            " ",
            h("a", { href: "#/queue", class: "btn", onclick: () => filterQueueByStatus("waiting_external") }, st("failedDeliveriesLink")),
            ...(failedDeliveries ? [" ", h("a", { href: "#/deliveries", class: "btn failed-deliveries-list" }, st("failedDeliveriesListLink"))] : []),
          ),
      figuresTable(st("byDepartment"), st("department"), Object.entries(summary.by_department).map(([k, f]) => [deptName(k), f])),
      figuresTable(st("byCategory"), st("category"), Object.entries(summary.by_category).map(([k, f]) => [catName(k), f])),
      breachPart(),
      trendPart(),
    );
    results.replaceChildren(...parts.filter((p): p is Node => !!p));
  }

  function filters(): HTMLElement {
    const dSel = h("select", { id: "b-dept" }, h("option", { value: "" }, st("all")));
    const cSel = h("select", { id: "b-cat" }, h("option", { value: "" }, st("all")));
    const fill = () => {
      dSel.replaceChildren(h("option", { value: "" }, st("all")), ...depts.map((d) => h("option", { value: d.code }, pick(d.name))));
      cSel.replaceChildren(h("option", { value: "" }, st("all")), ...cats.map((c) => h("option", { value: c.code }, pick(c.name))));
      dSel.value = filter.department;
      cSel.value = filter.category;
    };
    fill();
    if (!depts.length) void loadRefs().then(() => { fill(); if (summary) draw(); });
    dSel.addEventListener("change", () => {
      filter.department = dSel.value;
      msg = null;
      void load();
    });
    cSel.addEventListener("change", () => {
      filter.category = cSel.value;
      msg = null;
      void load();
    });
    const form = h(
      "form",
      { class: "filters", "aria-label": st("filters") },
      h("div", { class: "field" }, h("label", { for: "b-dept" }, st("department")), dSel),
      h("div", { class: "field" }, h("label", { for: "b-cat" }, st("category")), cSel),
    );
    form.addEventListener("submit", (e) => e.preventDefault());
    return form;
  }

  return {
    render(main) {
      // Drawn again on a language switch: what was typed in the rows' forms moves into the new page.
      const before = results as HTMLElement | undefined;
      results = h("div", { class: "board-results" });
      exportsRow = h(
        "div",
        { class: "row exports", role: "group", "aria-label": st("exports") },
        h("a", { class: "btn btn-small", href: "", download: "tickets.csv" }, st("csv")),
        h("a", { class: "btn btn-small", href: "", download: "tickets.geojson" }, st("geojson")),
        h("a", { class: "btn btn-small", href: "#/hotspots" }, st("hotspotsLink")),
      );
      main.append(h("div", { class: "view-board" }, h("h2", {}, st("boardTitle")), filters(), exportsRow, results));
      draw();
      if (before) carryValues(before, results);
      if (!summary) void load();
    },
    destroy() {
      alive = false;
    },
  };
}
