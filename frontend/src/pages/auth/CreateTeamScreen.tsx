import { useState, type FormEvent } from "react";
import { useLogout } from "../../api/hooks/auth";
import { useCreateTeam } from "../../api/hooks/teams";
import { setActiveTeamId } from "../../api/session";
import type { Me } from "../../api/types";
import { Button, Field, InlineError } from "../../components/ui";
import { AuthLayout } from "./AuthLayout";

/** A signed-in user without a team creates one (or waits for an invitation). */
export function CreateTeamScreen({ me }: { me: Me }) {
  const [name, setName] = useState("");
  const create = useCreateTeam();
  const logout = useLogout();
  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate(name.trim(), { onSuccess: (team) => setActiveTeamId(team.id) });
  }
  return (
    <AuthLayout
      title="Create your first team"
      subtitle={<>Findings, scans and compliance belong to a team. Signed in as <strong>{me.email}</strong>.</>}
      footer={<button type="button" className="link" onClick={() => logout.mutate()}>Sign out</button>}
    >
      <form onSubmit={submit} className="form" noValidate>
        <Field label="Team name" hint="For example “Platform security” or “Payments”. You can rename it later.">
          {(id) => <input id={id} name="team" value={name} onChange={(event) => setName(event.target.value)} minLength={2} maxLength={80} required autoFocus />}
        </Field>
        <InlineError error={create.error} />
        <Button type="submit" variant="primary" className="btn-block" busy={create.isPending} disabled={name.trim().length < 2}>
          Create team
        </Button>
      </form>
    </AuthLayout>
  );
}
