import { describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen } from "@testing-library/react";
import type { HeatMap as HeatMapData } from "../../api/hooks/risks";
import type { Horizons, ImpactRow } from "../../api/hooks/bia";
import { HeatMap, Sparkline } from "./HeatMap";
import { ImpactMatrix, rowsFor } from "../bia/ImpactMatrix";

const data: HeatMapData = {
  size: 3, likelihood_labels: ["Unlikely", "Possible", "Likely"], impact_labels: ["Minor", "Moderate", "Major"],
  levels: [{ name: "low", colour: "#2e7d32" }, { name: "high", colour: "#c62828" }],
  cells: [["low", "low", "high"], ["low", "high", "high"], ["high", "high", "high"]],
  inherent: [[0, 0, 0], [0, 0, 0], [0, 0, 2]], residual: [[0, 0, 1], [0, 0, 0], [0, 0, 1]],
};

describe("HeatMap", () => {
  it("shows each cell's count in its level colour and filters by the clicked cell", () => {
    const pick = vi.fn();
    render(<HeatMap data={data} which="residual" picked={null} onPick={pick} />);
    const top = screen.getByTestId("heat-residual-3-3");
    expect(top).toHaveTextContent("1");
    expect(top).toHaveStyle({ background: "#c62828" });
    expect(screen.getByTestId("heat-residual-2-2")).toHaveTextContent("");
    fireEvent.click(screen.getByRole("button", { name: "residual: likelihood 1, impact 3, high, 1 risks" }));
    expect(pick).toHaveBeenCalledWith({ which: "residual", likelihood: 1, impact: 3 });
  });

  it("clears the filter when the picked cell is clicked again", () => {
    const pick = vi.fn();
    render(<HeatMap data={data} which="inherent" picked={{ which: "inherent", likelihood: 3, impact: 3 }} onPick={pick} />);
    fireEvent.click(screen.getByTestId("heat-inherent-3-3"));
    expect(pick).toHaveBeenCalledWith(null);
  });
});

describe("Sparkline", () => {
  it("draws one point per value and says when there is too little history", () => {
    const { container } = render(<Sparkline values={[1, 3, 2]} label="KRI history" />);
    expect(container.querySelector("polyline")?.getAttribute("points")?.split(" ")).toHaveLength(3);
    render(<Sparkline values={[4]} label="single" />);
    expect(screen.getByText("one value so far")).toBeInTheDocument();
  });
});

describe("ImpactMatrix", () => {
  const horizons: Horizons = { hours: [1, 24], labels: ["1 h", "1 day"], scale: { "1": "negligible", "2": "minor", "3": "moderate", "4": "severe", "5": "critical" },
    categories: ["financial", "operational", "legal", "reputational", "safety"], severe_level: 4 };

  it("fills the team's horizons with stored rows and edits one level", () => {
    const stored = [{ horizon_hours: 24, financial: 4, operational: 2, legal: 1, reputational: 1, safety: 1, financial_amount: 5000 }] as ImpactRow[];
    const rows = rowsFor(horizons, stored);
    expect(rows.map((row) => row.financial)).toEqual([1, 4]);
    const change = vi.fn();
    render(<ImpactMatrix horizons={horizons} rows={rows} onChange={change} />);
    expect(screen.getByLabelText("financial impact at 24 h")).toHaveClass("sev-critical");
    fireEvent.change(screen.getByLabelText("operational impact at 1 h"), { target: { value: "5" } });
    expect(change.mock.calls[0][0][0].operational).toBe(5);
  });
});
