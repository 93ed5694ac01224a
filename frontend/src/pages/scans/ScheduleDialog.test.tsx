import { afterEach, describe, expect, it, vi } from "vitest";
import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { Target } from "../../api/hooks/scans";
import { jsonResponse, renderWithProviders, signedInServer } from "../../test/render";
import { ScheduleDialog } from "./ScheduleDialog";

afterEach(() => vi.unstubAllGlobals());

const TARGET: Target = {
  id: "t1", name: "Service checkout", kind: "repository", value: "/srv/app", options: {}, tools: ["trivy"], cloud_account_id: null,
  schedule: { cron: "0 3 * * *", timezone: "Europe/Paris", enabled: true, next_run_at: "2026-11-26T02:00:00Z" },
  created_by: "u", created_at: "2026-11-25T08:00:00Z", last_scan_run_id: null,
};

describe("ScheduleDialog", () => {
  it("saves cron, time zone and pause state", async () => {
    const onClose = vi.fn();
    const calls = signedInServer({ "PATCH /api/targets/t1": (body) => jsonResponse({ ...TARGET, schedule: { ...(body as { schedule: object }).schedule, next_run_at: null } }) });
    const user = userEvent.setup();
    renderWithProviders(<ScheduleDialog target={TARGET} onClose={onClose} />);
    expect(screen.getByText(/next run/)).toBeInTheDocument();
    const cron = screen.getByLabelText("Cron");
    expect(screen.getByText("Every day at 03:00 (Europe/Paris)")).toBeInTheDocument();
    await user.clear(cron);
    await user.type(cron, "0 24 * * *");
    expect(screen.getByText("The hour field allows 0–23.")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Save schedule" })).toBeDisabled();
    await user.click(screen.getByRole("button", { name: "Weekdays 06:00" }));
    await user.selectOptions(screen.getByLabelText("Time zone"), "UTC");
    await user.click(screen.getByLabelText(/Run on this schedule/));
    await user.click(screen.getByRole("button", { name: "Save schedule" }));
    await waitFor(() => expect(onClose).toHaveBeenCalled());
    expect(calls.find((call) => call.method === "PATCH")?.body).toEqual({ schedule: { cron: "0 6 * * 1-5", timezone: "UTC", enabled: false }, clear_schedule: false });
  });

  it("asks before removing the schedule", async () => {
    const onClose = vi.fn();
    const calls = signedInServer({ "PATCH /api/targets/t1": () => jsonResponse({ ...TARGET, schedule: null }) });
    const user = userEvent.setup();
    renderWithProviders(<ScheduleDialog target={TARGET} onClose={onClose} />);
    await user.click(screen.getByRole("button", { name: "Remove schedule…" }));
    expect(screen.getByText(/Remove the schedule\?/)).toBeInTheDocument();
    expect(calls.some((call) => call.method === "PATCH")).toBe(false);
    await user.click(screen.getByRole("button", { name: "Remove schedule" }));
    await waitFor(() => expect(onClose).toHaveBeenCalled());
    expect(calls.find((call) => call.method === "PATCH")?.body).toEqual({ clear_schedule: true });
  });

  it("shows the server's refusal in words", async () => {
    signedInServer({ "PATCH /api/targets/t1": () => jsonResponse({ detail: "unknown time zone 'Mars/Olympus'" }, 422) });
    const user = userEvent.setup();
    renderWithProviders(<ScheduleDialog target={TARGET} onClose={() => {}} />);
    await user.click(screen.getByRole("button", { name: "Save schedule" }));
    expect(await screen.findByText("unknown time zone 'Mars/Olympus'")).toBeInTheDocument();
  });
});
