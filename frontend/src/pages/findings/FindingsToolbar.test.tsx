import { describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { DisabledModulesContext } from "../../app/modules";
import { FindingsToolbar } from "./FindingsToolbar";

const downloadFile = vi.fn((path: string, fileName: string) => Promise.resolve(void [path, fileName]));
vi.mock("../../api/download", () => ({ downloadFile: (path: string, fileName: string) => downloadFile(path, fileName) }));
let permissions: string[] = [];
vi.mock("../../app/AuthGate", () => ({ useCan: (permission: string) => permissions.includes(permission) }));

function renderToolbar({ granted = ["findings:read", "exports:read"], disabled = [] as string[] } = {}) {
  permissions = granted;
  const onGrouping = vi.fn();
  render(
    <DisabledModulesContext.Provider value={new Set(disabled)}>
      <FindingsToolbar filters={{ severity: ["critical"], service: "s3" }} grouping="cve" onGrouping={onGrouping} />
    </DisabledModulesContext.Provider>,
  );
  return onGrouping;
}

describe("FindingsToolbar", () => {
  it("exports the filtered list in the chosen format", async () => {
    renderToolbar();
    fireEvent.click(screen.getByRole("button", { name: "OCSF" }));
    await waitFor(() => expect(downloadFile).toHaveBeenCalledOnce());
    const [path, fileName] = downloadFile.mock.calls[0];
    const url = new URL(path, "http://localhost");
    expect(url.pathname).toBe("/api/exports/findings");
    expect(url.searchParams.get("format")).toBe("ocsf");
    expect(url.searchParams.getAll("severity")).toEqual(["critical"]);
    expect(url.searchParams.get("service")).toBe("s3");
    expect(fileName).toMatch(/^findings-\d{4}-\d{2}-\d{2}\.ocsf\.json$/);
  });

  it("switches grouping, and says why exports are missing", () => {
    const onGrouping = renderToolbar({ disabled: ["exports"] });
    expect(screen.getByRole("button", { name: "CVE" })).toHaveAttribute("aria-pressed", "true");
    fireEvent.click(screen.getByRole("button", { name: "Resource" }));
    expect(onGrouping).toHaveBeenCalledWith("resource");
    expect(screen.queryByRole("button", { name: "CSV" })).toBeNull();
    expect(screen.getByText("Exports are switched off for this team")).toBeInTheDocument();
  });

  it("says which permission a member without exports lacks", () => {
    renderToolbar({ granted: ["findings:read"] });
    expect(screen.queryByRole("button", { name: "JSON" })).toBeNull();
    expect(screen.getByText("Exports need the exports:read permission")).toBeInTheDocument();
  });
});
