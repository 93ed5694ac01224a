import { describe, expect, it } from "vitest";
import { render, screen } from "@testing-library/react";
import type { Classification } from "../../api/hooks/aiGovernance";
import { ClassificationResult } from "./ClassificationWizard";
import { GroupBars } from "./GroupBars";

describe("GroupBars", () => {
  it("marks the groups below the threshold line and labels the line", () => {
    const { container } = render(<GroupBars title="Selection rate" groups={[{ group: "A", value: 0.6 }, { group: "B", value: 0.3 }]} threshold={0.48} thresholdLabel="0.8 × best =" />);
    expect(screen.getByRole("img", { name: "Selection rate by group" })).toBeInTheDocument();
    expect(container.querySelectorAll(".aig-bar-below")).toHaveLength(1);
    expect(container.querySelector(".aig-threshold")).not.toBeNull();
    expect(screen.getByText("0.8 × best = 0.480")).toBeInTheDocument();
    expect(screen.getByText("0.300")).toBeInTheDocument();
  });

  it("draws no line without a threshold and says n/a for a missing rate", () => {
    const { container } = render(<GroupBars title="FPR" groups={[{ group: "A", value: null }, { group: "B", value: 0.2 }]} threshold={null} thresholdLabel="" />);
    expect(container.querySelector(".aig-threshold")).toBeNull();
    expect(screen.getByText("n/a")).toBeInTheDocument();
  });
});

describe("ClassificationResult", () => {
  it("shows the class, its basis and the article text of each reasoning step", () => {
    const result: Classification = {
      risk_class: "high_risk", label: "high-risk", high_risk_basis: ["Article 6(2), Annex III"], annex_iii_points: ["III.4.a"],
      transparency: [], gpai: false, gpai_systemic_risk: false, derogation: null, answers: { "annex3.4.a": true },
      reasoning: [{ question: "annex3.4.a", prompt: "Annex III, Employment, point (a)", answer: true,
        conclusion: "Listed in Annex III (III.4.a): high-risk under Article 6(2)", provisions: [{ ref: "III.4.a", text: "AI systems intended to be used for the recruitment" }] }],
    };
    render(<ClassificationResult result={result} />);
    expect(screen.getByText("high-risk")).toBeInTheDocument();
    expect(screen.getByText("Article 6(2), Annex III")).toBeInTheDocument();
    expect(screen.getByText("III.4.a")).toBeInTheDocument();
    expect(screen.getByText(/recruitment/)).toBeInTheDocument();
  });
});
