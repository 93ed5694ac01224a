import { afterEach, describe, expect, it, vi } from "vitest";
import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route, Routes } from "react-router-dom";
import { readTokens } from "../../api/session";
import { jsonResponse, renderWithProviders } from "../../test/render";
import { LoginPage } from "./LoginPage";

const TOKENS = { access_token: "a", refresh_token: "r", expires_in: 900, refresh_expires_in: 9000, session_id: "s", token_type: "bearer" };

function server(handlers: Record<string, (body: unknown) => Response>) {
  const calls: { path: string; body: unknown }[] = [];
  vi.stubGlobal("fetch", vi.fn(async (input: Request) => {
    const path = new URL(input.url).pathname;
    const body = input.method === "GET" ? null : await input.clone().json().catch(() => null);
    calls.push({ path, body });
    const handler = handlers[`${input.method} ${path}`];
    return handler ? handler(body) : jsonResponse({ detail: "Not Found" }, 404);
  }));
  return calls;
}

function renderLogin() {
  return renderWithProviders(
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route path="/overview" element={<h1>Overview page</h1>} />
    </Routes>,
    { route: "/login?next=/overview" },
  );
}

afterEach(() => vi.unstubAllGlobals());

describe("LoginPage", () => {
  it("asks for the TOTP code after the password, then signs in", async () => {
    const calls = server({
      "GET /api/auth/registration": () => jsonResponse({ open: false, first_user: false }),
      "POST /api/auth/login": () => jsonResponse({ mfa_required: true, mfa_token: "mfa-token-123456" }),
      "POST /api/auth/mfa/verify": () => jsonResponse(TOKENS),
    });
    const user = userEvent.setup();
    renderLogin();
    await user.type(await screen.findByLabelText("E-mail"), "ada@example.com");
    await user.type(screen.getByLabelText("Password"), "correct horse battery");
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    await user.type(await screen.findByLabelText("Authentication code"), "123 456");
    await user.click(screen.getByRole("button", { name: "Verify" }));
    expect(await screen.findByRole("heading", { name: "Overview page" })).toBeInTheDocument();
    expect(calls.find((call) => call.path === "/api/auth/mfa/verify")?.body).toEqual({ mfa_token: "mfa-token-123456", code: "123456" });
    expect(readTokens()?.accessToken).toBe("a");
  });

  it("accepts a recovery code instead", async () => {
    const calls = server({
      "GET /api/auth/registration": () => jsonResponse({ open: false, first_user: false }),
      "POST /api/auth/login": () => jsonResponse({ mfa_required: true, mfa_token: "mfa-token-123456" }),
      "POST /api/auth/mfa/verify": () => jsonResponse(TOKENS),
    });
    const user = userEvent.setup();
    renderLogin();
    await user.type(await screen.findByLabelText("E-mail"), "ada@example.com");
    await user.type(screen.getByLabelText("Password"), "pw");
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    await user.click(await screen.findByRole("button", { name: /Use a recovery code/ }));
    await user.type(screen.getByLabelText("Recovery code"), "abcd-efgh-ijkl-mnop");
    await user.click(screen.getByRole("button", { name: "Verify" }));
    await screen.findByRole("heading", { name: "Overview page" });
    expect(calls.find((call) => call.path === "/api/auth/mfa/verify")?.body).toEqual({ mfa_token: "mfa-token-123456", recovery_code: "abcd-efgh-ijkl-mnop" });
  });

  it("shows the server's refusal in words and stays signed out", async () => {
    server({
      "GET /api/auth/registration": () => jsonResponse({ open: false, first_user: false }),
      "POST /api/auth/login": () => jsonResponse({ detail: "invalid e-mail or password" }, 401),
    });
    const user = userEvent.setup();
    renderLogin();
    await user.type(await screen.findByLabelText("E-mail"), "ada@example.com");
    await user.type(screen.getByLabelText("Password"), "wrong");
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("invalid e-mail or password");
    expect(readTokens()).toBeNull();
  });

  it("sends a fresh installation to first-run setup", async () => {
    server({ "GET /api/auth/registration": () => jsonResponse({ open: true, first_user: true }) });
    renderWithProviders(
      <Routes>
        <Route path="/login" element={<LoginPage />} />
        <Route path="/setup" element={<h1>Setup page</h1>} />
      </Routes>,
      { route: "/login" },
    );
    await waitFor(() => expect(screen.getByRole("heading", { name: "Setup page" })).toBeInTheDocument());
  });
});
