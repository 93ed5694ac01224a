import { describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen } from "@testing-library/react";
import { ApiError } from "../api/errors";
import { ConfirmDialog, ErrorState, Tabs } from "./ui";

describe("ConfirmDialog", () => {
  it("focuses Cancel, confirms on click and cancels on Escape", () => {
    const onConfirm = vi.fn();
    const onCancel = vi.fn();
    render(<ConfirmDialog open title="Delete target" message="Really?" confirmLabel="Delete target" onConfirm={onConfirm} onCancel={onCancel} />);
    expect(screen.getByRole("dialog", { name: "Delete target" })).toBeInTheDocument();
    expect(document.activeElement).toBe(screen.getByRole("button", { name: "Cancel" }));
    fireEvent.click(screen.getByRole("button", { name: "Delete target" }));
    expect(onConfirm).toHaveBeenCalledTimes(1);
    fireEvent.keyDown(document, { key: "Escape" });
    expect(onCancel).toHaveBeenCalledTimes(1);
  });

  it("shows the API's error in words", () => {
    render(<ConfirmDialog open title="Revoke" message="?" error={new ApiError(403, "not a member of the team named by X-Team-ID")} onConfirm={() => {}} onCancel={() => {}} />);
    expect(screen.getByRole("alert")).toHaveTextContent("not a member of the team named by X-Team-ID");
  });
});

describe("ErrorState and Tabs", () => {
  it("offers a retry", () => {
    const retry = vi.fn();
    render(<ErrorState error={new ApiError(500, "The server hit an unexpected error.")} onRetry={retry} />);
    fireEvent.click(screen.getByRole("button", { name: "Try again" }));
    expect(retry).toHaveBeenCalled();
  });

  it("moves between tabs with the arrow keys", () => {
    const onChange = vi.fn();
    render(<Tabs label="Sections" value="a" onChange={onChange} tabs={[{ id: "a", label: "A" }, { id: "b", label: "B" }]} />);
    fireEvent.keyDown(screen.getByRole("tab", { name: "A" }), { key: "ArrowRight" });
    expect(onChange).toHaveBeenCalledWith("b");
    fireEvent.keyDown(screen.getByRole("tab", { name: "A" }), { key: "ArrowLeft" });
    expect(onChange).toHaveBeenLastCalledWith("b");
  });
});
