import { useState, type FormEvent } from "react";
import { useNavigate } from "react-router-dom";
import {
  useChangePassword, useLogoutEverywhere, useMfaActivate, useMfaDisable, useMfaEnroll, useRegenerateRecoveryCodes, useSessions,
} from "../../api/hooks/auth";
import type { MfaEnrolment } from "../../api/types";
import { useCurrentUser } from "../../app/AuthGate";
import { Pill } from "../../components/badges";
import { formatDateTime, timeAgo } from "../../components/format";
import { Button, Card, ConfirmDialog, CopyField, EmptyState, Field, InlineError, PageHeader, QueryState } from "../../components/ui";

function RecoveryCodesList({ codes }: { codes: string[] }) {
  return (
    <div className="callout callout-warn" role="status">
      <p><strong>Save these recovery codes now.</strong> Each signs you in once if you lose your authenticator. They are not shown again.</p>
      <ul className="recovery-codes" aria-label="Recovery codes">
        {codes.map((code) => <li key={code}><code>{code}</code></li>)}
      </ul>
      <div><Button size="sm" onClick={() => navigator.clipboard?.writeText(codes.join("\n"))}>Copy all codes</Button></div>
    </div>
  );
}

function MfaCard() {
  const me = useCurrentUser();
  const enroll = useMfaEnroll();
  const activate = useMfaActivate();
  const disable = useMfaDisable();
  const regenerate = useRegenerateRecoveryCodes();
  const [enrolment, setEnrolment] = useState<MfaEnrolment | null>(null);
  const [code, setCode] = useState("");
  const [password, setPassword] = useState("");
  const [codes, setCodes] = useState<string[] | null>(null);
  const [mode, setMode] = useState<"idle" | "disable" | "regenerate">("idle");

  function submitActivation(event: FormEvent) {
    event.preventDefault();
    activate.mutate(code.replace(/\s+/g, ""), { onSuccess: (result) => { setCodes(result.recovery_codes); setEnrolment(null); setCode(""); } });
  }

  return (
    <Card title="Two-factor authentication" actions={me.mfa_enabled ? <Pill tone="good">On</Pill> : <Pill tone="warn">Off</Pill>}>
      {codes && <RecoveryCodesList codes={codes} />}
      {!me.mfa_enabled && !enrolment && (
        <div className="row-between">
          <p className="muted">Protect your account with a time-based code from an authenticator app (1Password, Authy, Google Authenticator…).</p>
          <Button variant="primary" busy={enroll.isPending} onClick={() => enroll.mutate(undefined, { onSuccess: setEnrolment })}>Enable two-factor</Button>
        </div>
      )}
      <InlineError error={enroll.error} />
      {enrolment && (
        <div className="mfa-enrol">
          <img src={enrolment.qr_svg_data_uri} alt="QR code for your authenticator app" width={168} height={168} className="qr" />
          <form className="form" onSubmit={submitActivation}>
            <p>1. Scan the QR code with your authenticator app, or enter this secret by hand:</p>
            <CopyField value={enrolment.secret} label="TOTP secret" />
            <Field label="2. Enter the 6-digit code it shows">
              {(id) => <input id={id} name="totp" className="code-input" inputMode="numeric" autoComplete="one-time-code" maxLength={7} value={code} onChange={(event) => setCode(event.target.value)} required autoFocus />}
            </Field>
            <InlineError error={activate.error} />
            <div className="button-row">
              <Button type="submit" variant="primary" busy={activate.isPending} disabled={code.replace(/\s+/g, "").length !== 6}>Activate</Button>
              <Button variant="ghost" onClick={() => { setEnrolment(null); activate.reset(); }}>Cancel</Button>
            </div>
          </form>
        </div>
      )}
      {me.mfa_enabled && mode === "idle" && !codes && (
        <div className="row-between">
          <p className="muted">Sign-ins ask for a code from your authenticator app.</p>
          <div className="button-row">
            <Button onClick={() => setMode("regenerate")}>New recovery codes</Button>
            <Button variant="danger" onClick={() => setMode("disable")}>Turn off</Button>
          </div>
        </div>
      )}
      {me.mfa_enabled && mode !== "idle" && (
        <form
          className="form"
          onSubmit={(event) => {
            event.preventDefault();
            const clean = code.replace(/\s+/g, "");
            if (mode === "disable") disable.mutate({ password, code: clean }, { onSuccess: () => { setMode("idle"); setCode(""); setPassword(""); } });
            else regenerate.mutate(clean, { onSuccess: (result) => { setCodes(result.recovery_codes); setMode("idle"); setCode(""); } });
          }}
        >
          <p>{mode === "disable" ? "Turning two-factor off needs your password and a current code." : "New codes replace the old ones, which stop working."}</p>
          <div className="form-row">
            {mode === "disable" && <Field label="Password">{(id) => <input id={id} type="password" autoComplete="current-password" value={password} onChange={(event) => setPassword(event.target.value)} required />}</Field>}
            <Field label="Current code">{(id) => <input id={id} className="code-input" inputMode="numeric" autoComplete="one-time-code" value={code} maxLength={7} onChange={(event) => setCode(event.target.value)} required />}</Field>
          </div>
          <InlineError error={disable.error ?? regenerate.error} />
          <div className="button-row">
            <Button type="submit" variant={mode === "disable" ? "danger" : "primary"} busy={disable.isPending || regenerate.isPending}>{mode === "disable" ? "Turn off two-factor" : "Generate new codes"}</Button>
            <Button variant="ghost" onClick={() => { setMode("idle"); disable.reset(); regenerate.reset(); }}>Cancel</Button>
          </div>
        </form>
      )}
    </Card>
  );
}

function PasswordCard() {
  const change = useChangePassword();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [done, setDone] = useState(false);
  return (
    <Card title="Password">
      <form className="form" onSubmit={(event) => { event.preventDefault(); change.mutate({ current_password: current, new_password: next }, { onSuccess: () => { setDone(true); setCurrent(""); setNext(""); } }); }}>
        <div className="form-row">
          <Field label="Current password">{(id) => <input id={id} type="password" autoComplete="current-password" value={current} onChange={(event) => setCurrent(event.target.value)} required />}</Field>
          <Field label="New password" hint="At least 12 characters.">{(id) => <input id={id} type="password" autoComplete="new-password" value={next} onChange={(event) => setNext(event.target.value)} required />}</Field>
        </div>
        <InlineError error={change.error} />
        {done && <p className="callout callout-info" role="status">Password changed. Your other sessions were signed out.</p>}
        <div><Button type="submit" busy={change.isPending} disabled={!current || !next}>Change password</Button></div>
      </form>
    </Card>
  );
}

function SessionsCard() {
  const sessions = useSessions();
  const everywhere = useLogoutEverywhere();
  const navigate = useNavigate();
  const [confirming, setConfirming] = useState(false);
  return (
    <Card title="Active sessions" actions={<Button size="sm" variant="ghost" onClick={() => setConfirming(true)}>Sign out everywhere</Button>}>
      <QueryState query={sessions} isEmpty={(list) => list.length === 0} empty={<EmptyState title="No sessions" />}>
        {(list) => (
          <table className="simple-table">
            <thead><tr><th scope="col">Device</th><th scope="col">IP</th><th scope="col">Started</th><th scope="col">Last used</th><th scope="col">MFA</th></tr></thead>
            <tbody>
              {list.map((session) => (
                <tr key={session.id}>
                  <td className="small">{session.user_agent ?? "Unknown"} {session.current && <Pill tone="info">This browser</Pill>}</td>
                  <td className="mono small">{session.ip ?? "—"}</td>
                  <td className="nowrap">{formatDateTime(session.created_at)}</td>
                  <td>{timeAgo(session.last_used_at)}</td>
                  <td>{session.mfa ? "Yes" : "No"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </QueryState>
      <ConfirmDialog
        open={confirming}
        title="Sign out everywhere"
        message="Sign out of every session, on every device, including this one?"
        confirmLabel="Sign out everywhere"
        busy={everywhere.isPending}
        error={everywhere.error}
        onCancel={() => setConfirming(false)}
        onConfirm={() => everywhere.mutate(undefined, { onSuccess: () => navigate("/login", { replace: true }) })}
      />
    </Card>
  );
}

export default function AccountPage() {
  const me = useCurrentUser();
  return (
    <div className="page page-narrow">
      <PageHeader title="My account" subtitle={<>{me.display_name ? `${me.display_name} · ` : ""}{me.email}</>} />
      <div className="stack">
        <MfaCard />
        <PasswordCard />
        <SessionsCard />
      </div>
    </div>
  );
}
