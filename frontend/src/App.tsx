import { QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { BrowserRouter, Route, Routes } from "react-router-dom";
import { ApiError } from "./api/errors";
import { AuthGate } from "./app/AuthGate";
import { ThemeProvider } from "./app/theme";
import { LoginPage } from "./pages/auth/LoginPage";
import { SetupPage } from "./pages/auth/SetupPage";
import { AppShell } from "./shell/AppShell";

/** A 403 naming a switched-off module means the team's switches changed: read them again. */
export function isSwitchedOffRefusal(error: unknown): boolean {
  return error instanceof ApiError && error.status === 403 && /module is switched off/.test(error.message);
}

export function makeQueryClient() {
  const client: QueryClient = new QueryClient({
    queryCache: new QueryCache({
      onError: (error, query) => {
        if (isSwitchedOffRefusal(error) && query.queryKey[2] !== "modules") {
          client.invalidateQueries({ predicate: (item) => item.queryKey[0] === "teams" && item.queryKey[2] === "modules" });
        }
      },
    }),
    defaultOptions: {
      queries: {
        staleTime: 15_000,
        refetchOnWindowFocus: false,
        // Retrying a refusal (4xx) never helps; a network hiccup or 5xx may.
        retry: (count, error) => !(error instanceof ApiError && error.status >= 400 && error.status < 500) && count < 2,
      },
    },
  });
  return client;
}

export function App({ client = makeQueryClient() }: { client?: QueryClient }) {
  return (
    <ThemeProvider>
      <QueryClientProvider client={client}>
        <BrowserRouter>
          <Routes>
            <Route path="/login" element={<LoginPage />} />
            <Route path="/setup" element={<SetupPage />} />
            <Route
              path="/*"
              element={
                <AuthGate>
                  <AppShell />
                </AuthGate>
              }
            />
          </Routes>
        </BrowserRouter>
      </QueryClientProvider>
    </ThemeProvider>
  );
}
