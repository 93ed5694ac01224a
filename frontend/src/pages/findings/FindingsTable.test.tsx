import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, within } from "@testing-library/react";
import type { FindingSummary } from "../../api/types";
import { COMPACT_QUERY, FindingsTable, visibleRows, type FindingsTableProps } from "./FindingsTable";

function finding(index: number): FindingSummary {
  return {
    id: `f${index}`, dedup_key: `k${index}`, source_tool: "trivy", rule_id: `AVD-${index}`, title: `Finding number ${index}`,
    severity: index % 2 ? "high" : "critical", status: "open", result: "fail", category: "misconfiguration",
    resource: { type: "file", id: `/srv/app/file-${index}.tf` }, cve_ids: [], package: null,
    first_seen: "2026-01-01T00:00:00Z", last_seen: "2026-01-02T00:00:00Z", times_seen: 1, sla_due_at: null, overdue: false, assignee: null,
  };
}

function setup(overrides: Partial<FindingsTableProps> = {}) {
  const props: FindingsTableProps = {
    rows: Array.from({ length: 5000 }, (_, index) => finding(index)),
    total: 100_000, hasMore: true, loadingMore: false, onLoadMore: vi.fn(), sort: "severity", order: "desc",
    onSort: vi.fn(), selection: {}, onSelectionChange: vi.fn(), onOpen: vi.fn(), ...overrides,
  };
  render(<FindingsTable {...props} />);
  return props;
}

// jsdom lays nothing out: give the scroll container a laptop-sized viewport.
beforeAll(() => {
  Object.defineProperty(HTMLElement.prototype, "clientHeight", { configurable: true, get: () => 720 });
  Object.defineProperty(HTMLElement.prototype, "clientWidth", { configurable: true, get: () => 1200 });
});

describe("FindingsTable", () => {
  it("renders only a window of rows, not all of them", () => {
    setup();
    const rows = screen.getAllByRole("row").filter((row) => row.hasAttribute("data-index"));
    expect(rows.length).toBeGreaterThan(5);
    expect(rows.length).toBeLessThan(60);
    expect(screen.getByRole("table")).toHaveAttribute("aria-rowcount", "100000");
  });

  it("marks the previous filter's rows busy while the new ones load", () => {
    setup({ stale: true });
    expect(screen.getByRole("table")).toHaveAttribute("aria-busy", "true");
  });

  it("is not busy with current rows", () => {
    setup();
    expect(screen.getByRole("table")).not.toHaveAttribute("aria-busy");
  });

  it("sorts on the server: clicking the active column flips the order", () => {
    const props = setup();
    expect(screen.getByRole("columnheader", { name: /Severity/ })).toHaveAttribute("aria-sort", "descending");
    fireEvent.click(screen.getByRole("button", { name: /Severity/ }));
    expect(props.onSort).toHaveBeenCalledWith("severity", "asc");
    fireEvent.click(screen.getByRole("button", { name: /Last seen/ }));
    expect(props.onSort).toHaveBeenCalledWith("last_seen", "desc");
  });

  it("selects rows with the checkbox or Space, and opens with a click or Enter", () => {
    const props = setup();
    fireEvent.click(screen.getByRole("checkbox", { name: "Select Finding number 0" }));
    expect(props.onSelectionChange).toHaveBeenCalledWith({ f0: true });
    expect(props.onOpen).not.toHaveBeenCalled();
    const row = screen.getAllByRole("row").find((item) => item.getAttribute("data-index") === "1")!;
    fireEvent.keyDown(row, { key: " " });
    expect(props.onSelectionChange).toHaveBeenLastCalledWith({ f1: true });
    fireEvent.keyDown(row, { key: "Enter" });
    expect(props.onOpen).toHaveBeenCalledWith(expect.objectContaining({ id: "f1" }));
    fireEvent.click(within(row).getByText("Finding number 1"));
    expect(props.onOpen).toHaveBeenCalledTimes(2);
  });

  it("asks for the next page when the end of the loaded rows is near", () => {
    const props = setup({ rows: Array.from({ length: 10 }, (_, index) => finding(index)) });
    expect(props.onLoadMore).toHaveBeenCalled();
    expect(screen.getByText(/Loading more findings/)).toBeInTheDocument();
  });

  it("keeps the distinguishing tail of a resource visible, the full value on hover", () => {
    const arn = (name: string) => ({ type: "AwsIamRole", id: `arn:aws:iam::123456789012:role/${name}` });
    setup({ rows: [{ ...finding(0), resource: arn("deploy-role") }, { ...finding(1), title: "Finding number 0", resource: arn("audit-role") }], hasMore: false, total: 2 });
    const rows = screen.getAllByRole("row").filter((row) => row.hasAttribute("data-index"));
    const tails = rows.map((row) => row.querySelector(".ident-tail")?.textContent);
    expect(tails).toEqual(["deploy-role", "audit-role"]);
    expect(within(rows[1]).getByTitle("arn:aws:iam::123456789012:role/audit-role")).toHaveClass("ident");
    expect(rows[1].querySelector(".ident-head")?.textContent).toBe("arn:aws:iam::123456789012:role/");
  });

  it("says which rows the box shows out of how many match, and follows the scroll", () => {
    setup();
    const footer = screen.getByTestId("visible-range");
    // 720 px box, 40 px sticky header, 56 px rows: rows 1–12 show.
    expect(footer).toHaveTextContent("Showing rows 1–12 of 100,000");
    const box = screen.getByLabelText("Findings");
    box.scrollTop = 560;
    fireEvent.scroll(box);
    expect(footer).toHaveTextContent("Showing rows 11–22 of 100,000");
  });

  it("counts rows as the user sees them when fewer than match", () => {
    setup({ rows: Array.from({ length: 13 }, (_, index) => finding(index)), hasMore: false, total: 13 });
    expect(screen.getByTestId("visible-range")).toHaveTextContent("Showing rows 1–12 of 13 · scroll the table for more");
    // A 656 px box under a 40 px header shows 11 rows of 56 px: "1–11 of 13", not "13 match".
    expect(visibleRows(0, 656, 13)).toEqual({ first: 0, last: 10 });
    expect(visibleRows(112, 656, 13)).toEqual({ first: 2, last: 12 });
    expect(visibleRows(0, 0, 0)).toBeNull();
  });

  describe("at phone width", () => {
    afterEach(() => vi.unstubAllGlobals());

    it("keeps severity, finding, resource, status and SLA and drops the rest", () => {
      vi.stubGlobal("matchMedia", (query: string) => ({ matches: query === COMPACT_QUERY, media: query, addEventListener: () => {}, removeEventListener: () => {} }));
      setup({ rows: Array.from({ length: 3 }, (_, index) => finding(index)), hasMore: false, total: 3 });
      const headers = screen.getAllByRole("columnheader").map((header) => header.textContent?.replace(/[↕↑↓]/g, "").trim());
      expect(headers).toEqual(["", "Severity", "Finding", "Resource", "Status", "SLA due"]);
      const table = screen.getByRole("table");
      expect(table).toHaveClass("data-table-compact");
      expect(table.querySelectorAll("col")).toHaveLength(6);
    });

    it("shows every column on a wider screen", () => {
      vi.stubGlobal("matchMedia", (query: string) => ({ matches: false, media: query, addEventListener: () => {}, removeEventListener: () => {} }));
      setup({ rows: [finding(0)], hasMore: false, total: 1 });
      expect(screen.getAllByRole("columnheader")).toHaveLength(12);
    });
  });
});
