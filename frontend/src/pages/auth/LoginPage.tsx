import { useState, type FormEvent } from "react";
import { Navigate, useNavigate, useSearchParams } from "react-router-dom";
import { useLogin, useRegistrationStatus, useVerifyMfa } from "../../api/hooks/auth";
import { useSignedIn } from "../../app/team";
import { Button, Field, InlineError } from "../../components/ui";
import { AuthLayout } from "./AuthLayout";

function safeNext(next: string | null): string {
  // Only same-origin paths: never an open redirect.
  return next && next.startsWith("/") && !next.startsWith("//") ? next : "/";
}

export function LoginPage() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const signedIn = useSignedIn();
  const registration = useRegistrationStatus();
  const login = useLogin();
  const verify = useVerifyMfa();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [mfaToken, setMfaToken] = useState<string | null>(null);
  const [useRecovery, setUseRecovery] = useState(false);
  const [code, setCode] = useState("");
  const next = safeNext(params.get("next"));

  if (registration.data?.first_user) return <Navigate to="/setup" replace />;
  if (signedIn && !mfaToken) return <Navigate to={next} replace />;

  function submitPassword(event: FormEvent) {
    event.preventDefault();
    login.mutate(
      { email, password },
      {
        onSuccess: (answer) => {
          if (answer.mfa_required && answer.mfa_token) {
            setMfaToken(answer.mfa_token);
            setPassword("");
          } else navigate(next, { replace: true });
        },
      },
    );
  }

  function submitCode(event: FormEvent) {
    event.preventDefault();
    if (!mfaToken) return;
    const value = code.trim();
    verify.mutate(
      useRecovery ? { mfa_token: mfaToken, recovery_code: value } : { mfa_token: mfaToken, code: value.replace(/\s+/g, "") },
      { onSuccess: () => navigate(next, { replace: true }) },
    );
  }

  if (mfaToken) {
    return (
      <AuthLayout
        title="Two-factor authentication"
        subtitle={useRecovery ? "Enter one of the recovery codes you saved when you enabled two-factor authentication." : "Enter the 6-digit code from your authenticator app."}
      >
        <form onSubmit={submitCode} className="form" noValidate>
          <Field label={useRecovery ? "Recovery code" : "Authentication code"}>
            {(id) => (
              <input
                id={id}
                name={useRecovery ? "recovery_code" : "totp"}
                value={code}
                onChange={(event) => setCode(event.target.value)}
                autoComplete="one-time-code"
                inputMode={useRecovery ? "text" : "numeric"}
                pattern={useRecovery ? undefined : "[0-9 ]*"}
                maxLength={useRecovery ? 40 : 7}
                autoFocus
                required
                className={useRecovery ? "" : "code-input"}
                placeholder={useRecovery ? "xxxx-xxxx-xxxx-xxxx" : "123456"}
              />
            )}
          </Field>
          <InlineError error={verify.error} />
          <Button type="submit" variant="primary" busy={verify.isPending} className="btn-block">
            Verify
          </Button>
          <div className="auth-links">
            <button type="button" className="link" onClick={() => { setUseRecovery(!useRecovery); setCode(""); verify.reset(); }}>
              {useRecovery ? "Use an authenticator code instead" : "Lost your device? Use a recovery code"}
            </button>
            <button type="button" className="link" onClick={() => { setMfaToken(null); setCode(""); verify.reset(); }}>
              Start over
            </button>
          </div>
        </form>
      </AuthLayout>
    );
  }

  return (
    <AuthLayout title="Sign in" subtitle="Welcome back. Sign in to review your cloud security posture.">
      <form onSubmit={submitPassword} className="form" noValidate>
        <Field label="E-mail">
          {(id) => <input id={id} name="email" type="email" autoComplete="username" value={email} onChange={(event) => setEmail(event.target.value)} required autoFocus />}
        </Field>
        <Field label="Password">
          {(id) => <input id={id} name="password" type="password" autoComplete="current-password" value={password} onChange={(event) => setPassword(event.target.value)} required />}
        </Field>
        <InlineError error={login.error} />
        <Button type="submit" variant="primary" busy={login.isPending} className="btn-block" disabled={!email || !password}>
          Sign in
        </Button>
      </form>
    </AuthLayout>
  );
}
