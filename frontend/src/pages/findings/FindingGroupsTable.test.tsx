import { describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, within } from "@testing-library/react";
import type { FindingGroups } from "../../api/types";
import { FindingGroupsTable } from "./FindingGroupsTable";

const DATA: FindingGroups = {
  by: "cve",
  total_groups: 7,
  ungrouped: 12,
  groups: [
    { key: "CVE-2019-12900", label: null, tool: null, count: 3, worst_severity: "critical", by_severity: { critical: 2, low: 1 } },
    { key: "CVE-2020-28196", label: null, tool: null, count: 1, worst_severity: "high", by_severity: { high: 1 } },
  ],
};

describe("FindingGroupsTable", () => {
  it("lists each group with its count and severities, and says what is left out", () => {
    render(<FindingGroupsTable data={DATA} by="cve" onOpen={vi.fn()} />);
    const table = screen.getByRole("table", { name: "Findings by cve" });
    const [first] = within(table).getAllByRole("row").slice(1);
    expect(within(first).getByText("3")).toBeInTheDocument();
    expect(within(first).getByText("2 critical")).toBeInTheDocument();
    expect(within(first).getByText("1 low")).toBeInTheDocument();
    expect(screen.getByText(/2 of 7 groups by CVE/)).toHaveTextContent("12 findings without a CVE");
  });

  it("opens a group's findings by its key", () => {
    const onOpen = vi.fn();
    render(<FindingGroupsTable data={DATA} by="cve" onOpen={onOpen} />);
    fireEvent.click(screen.getByRole("button", { name: "CVE-2020-28196" }));
    expect(onOpen).toHaveBeenCalledWith("CVE-2020-28196");
  });
});
