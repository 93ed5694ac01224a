import { useState, type FormEvent } from "react";
import { Navigate, useNavigate } from "react-router-dom";
import { useLogin, useRegister, useRegistrationStatus } from "../../api/hooks/auth";
import { Button, Field, InlineError, Spinner } from "../../components/ui";
import { AuthLayout } from "./AuthLayout";

/** First run: the first account registered becomes the platform administrator. */
export function SetupPage() {
  const registration = useRegistrationStatus();
  const register = useRegister();
  const login = useLogin();
  const navigate = useNavigate();
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const mismatch = confirm.length > 0 && confirm !== password;

  if (registration.isPending) return <Spinner label="Checking this installation" />;
  if (registration.data && !registration.data.first_user && !register.isSuccess) return <Navigate to="/login" replace />;

  function submit(event: FormEvent) {
    event.preventDefault();
    if (mismatch) return;
    register.mutate(
      { email, password, display_name: name.trim() || null },
      {
        onSuccess: () =>
          login.mutate({ email, password }, { onSuccess: () => navigate("/", { replace: true }) }),
      },
    );
  }

  return (
    <AuthLayout
      title="Set up your platform"
      subtitle="Create the first account. It becomes the platform administrator, who invites everyone else."
    >
      <form onSubmit={submit} className="form" noValidate>
        <Field label="Your name">
          {(id) => <input id={id} name="display_name" value={name} onChange={(event) => setName(event.target.value)} autoComplete="name" maxLength={120} autoFocus />}
        </Field>
        <Field label="E-mail">
          {(id) => <input id={id} name="email" type="email" value={email} onChange={(event) => setEmail(event.target.value)} autoComplete="username" required />}
        </Field>
        <Field label="Password" hint="At least 12 characters; a long passphrase is best.">
          {(id) => <input id={id} name="password" type="password" value={password} onChange={(event) => setPassword(event.target.value)} autoComplete="new-password" required />}
        </Field>
        <Field label="Confirm password" error={mismatch ? "The passwords do not match." : undefined}>
          {(id) => <input id={id} name="confirm" type="password" value={confirm} onChange={(event) => setConfirm(event.target.value)} autoComplete="new-password" required aria-invalid={mismatch} />}
        </Field>
        <InlineError error={register.error ?? login.error} />
        <Button type="submit" variant="primary" className="btn-block" busy={register.isPending || login.isPending} disabled={!email || !password || mismatch || !confirm}>
          Create administrator account
        </Button>
      </form>
    </AuthLayout>
  );
}
