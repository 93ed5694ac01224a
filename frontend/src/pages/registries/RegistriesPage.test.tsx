import { afterEach, describe, expect, it, vi } from "vitest";
import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { AuthGate } from "../../app/AuthGate";
import { jsonResponse, renderWithProviders, signedInServer, testMe } from "../../test/render";
import RegistriesPage from "./RegistriesPage";

afterEach(() => vi.unstubAllGlobals());

const ME = testMe({ permissions: [...testMe().permissions as string[], "registries:read", "registries:write"] });
const REGISTRY = {
  id: "6500000000000000000000aa", kind: "oci", name: "Local", url: "http://127.0.0.1:5000", identifiers: { username: null, repositories: [], insecure: true },
  has_credentials: false, created_by: "u1", created_at: "2026-12-01T10:00:00Z", last_sync: "2026-12-01T10:05:00Z", last_sync_state: "partial",
  last_sync_error: "team/broken: the registry refused access (HTTP 401)", repository_count: 2, image_count: 1,
};
const DIGEST = `sha256:${"ab".repeat(32)}`;

function registryServer(extra = {}) {
  return signedInServer({
    "GET /api/registries": () => jsonResponse([REGISTRY]),
    [`GET /api/registries/${REGISTRY.id}`]: () => jsonResponse({ ...REGISTRY, repositories: [
      { name: "team/app", state: "ok", error: null, tag_count: 2, image_count: 1, last_sync: "2026-12-01T10:05:00Z" },
      { name: "team/broken", state: "error", error: "the registry refused access (HTTP 401)", tag_count: 0, image_count: 0, last_sync: "2026-12-01T10:05:00Z" }] }),
    [`GET /api/registries/${REGISTRY.id}/images`]: () => jsonResponse({ total: 1, items: [{
      id: "i1", registry_id: REGISTRY.id, repository_name: "team/app", image_digest: DIGEST, reference: `127.0.0.1:5000/team/app@${DIGEST}`,
      tags: ["v1", "latest"], media_type: "application/vnd.oci.image.index.v1+json", platforms: ["linux/amd64", "linux/arm64"],
      first_seen: "2026-12-01T10:05:00Z", last_seen: "2026-12-01T10:05:00Z",
      scan: { run_id: "r1", state: "failed", reason: "trivy [image]: --skip-db-update cannot be specified on the first run", requested_at: "2026-12-01T10:05:00Z" } }] }),
    ...extra,
  }, { me: ME, disabled: [] });
}

describe("RegistriesPage", () => {
  it("shows connections, repositories with their sync state and images with their scan state", async () => {
    registryServer();
    renderWithProviders(<AuthGate><RegistriesPage /></AuthGate>);
    const connections = await screen.findByTestId("registries");
    expect(within(connections).getByText("Local").closest("tr")).toHaveTextContent("partial");
    expect(within(connections).getByText(/refused access/)).toBeInTheDocument();
    const repositories = await screen.findByTestId("registry-repositories");
    expect(within(repositories).getByText("team/broken").closest("tr")).toHaveTextContent("error");
    const images = await screen.findByTestId("registry-images");
    expect(images).toHaveTextContent("linux/amd64, linux/arm64");
    expect(images).toHaveTextContent("--skip-db-update cannot be specified on the first run");
    expect(within(images).getByRole("link", { name: "run" })).toHaveAttribute("href", "/scans?run=r1");
  });

  it("adds an OCI registry with credentials, its repositories split into a list", async () => {
    const calls = registryServer({ "POST /api/registries": () => jsonResponse({ ...REGISTRY, id: "6500000000000000000000bb", name: "GHCR", has_credentials: true }, 201) });
    const user = userEvent.setup();
    renderWithProviders(<AuthGate><RegistriesPage /></AuthGate>);
    await user.click(await screen.findByRole("button", { name: "Add registry" }));
    const dialog = screen.getByRole("dialog");
    await user.type(within(dialog).getByLabelText("Name"), "GHCR");
    await user.type(within(dialog).getByLabelText("URL"), "https://ghcr.io");
    await user.type(within(dialog).getByLabelText("User name"), "bot");
    await user.type(within(dialog).getByLabelText("Password or access token"), "ghp_secret");
    await user.type(within(dialog).getByLabelText(/Repositories/), "org/app, org/api");
    await user.click(within(dialog).getByRole("button", { name: "Add registry" }));
    const posted = calls.find((call) => call.method === "POST" && call.path === "/api/registries");
    expect(posted?.body).toEqual({ kind: "oci", name: "GHCR", url: "https://ghcr.io", username: "bot", password: "ghp_secret", repositories: ["org/app", "org/api"] });
  });
});
