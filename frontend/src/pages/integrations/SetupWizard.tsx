/**
 * The setup wizard: credentials → test → rules. Every step is stored by the server, so a setup
 * closed half-way is listed on the page and resumes at the step it reached (until it expires).
 */
import { useState } from "react";
import { useWizard, type CatalogueEntry, type ChannelConfig, type ChannelKind, type WizardSession } from "../../api/hooks/integrations";
import { Pill } from "../../components/badges";
import { Button, Field, InlineError, Modal } from "../../components/ui";

const SEVERITIES = ["critical", "high", "medium", "low", "info"] as const;
type Severity = (typeof SEVERITIES)[number];

export interface WizardEvent {
  type: string;
  description: string;
  available: boolean;
  reason?: string | null;
}

interface FieldSpec {
  name: string;
  label: string;
  secret?: boolean;
  optional?: boolean;
  type?: "number" | "list" | "text";
  choices?: string[];
}

function configFrom(kind: ChannelKind, fields: FieldSpec[], values: Record<string, string>): ChannelConfig {
  const config: Record<string, unknown> = { kind };
  for (const field of fields) {
    const raw = (values[field.name] ?? "").trim();
    if (!raw) continue;
    config[field.name] = field.type === "number" ? Number(raw) : field.type === "list" ? raw.split(",").map((item) => item.trim()).filter(Boolean) : raw;
  }
  return config as ChannelConfig;
}

function StepList({ step }: { step: WizardSession["step"] | "name" }) {
  const steps = [["name", "Name"], ["credentials", "Credentials"], ["test", "Test"], ["rules", "Rules"]] as const;
  const reached = steps.findIndex(([id]) => id === step);
  return (
    <ol className="wizard-steps" aria-label="Setup steps">
      {steps.map(([id, label], index) => <li key={id} className={index === reached ? "current" : index < reached ? "done" : undefined} aria-current={index === reached ? "step" : undefined}>{label}</li>)}
    </ol>
  );
}

export function SetupWizard({ entry, session, events, onClose }: { entry: CatalogueEntry; session: WizardSession | null; events: WizardEvent[]; onClose: () => void }) {
  const wizard = useWizard();
  const kind = entry.kind as ChannelKind;
  const fields = entry.fields as unknown as FieldSpec[];
  const [current, setCurrent] = useState<WizardSession | null>(session);
  const [name, setName] = useState(session?.name ?? "");
  const [values, setValues] = useState<Record<string, string>>(() => Object.fromEntries(
    Object.entries(session?.settings ?? {}).filter(([key]) => key !== "kind" && key !== "host").map(([key, value]) => [key, Array.isArray(value) ? value.join(", ") : String(value)])));
  const [chosen, setChosen] = useState<string[]>(["finding.new"]);
  const [severity, setSeverity] = useState<Severity>("high");
  const [ruleName, setRuleName] = useState(`${entry.label} notifications`);
  const [error, setError] = useState<unknown>(null);
  const [editing, setEditing] = useState(false);
  const step = current?.step ?? "name";

  const run = async (action: () => Promise<WizardSession>) => {
    setError(null);
    try {
      setCurrent(await action());
    } catch (caught) {
      setError(caught);
    }
  };
  const busy = wizard.start.isPending || wizard.credentials.isPending || wizard.test.isPending || wizard.finish.isPending;

  let body;
  let footer;
  if (step === "name") {
    body = (
      <Field label="Name" hint="How rules and the delivery log name this integration">
        {(id) => <input id={id} value={name} onChange={(event) => setName(event.target.value)} placeholder={`${entry.label} — security team`} />}
      </Field>
    );
    footer = <Button variant="primary" busy={busy} disabled={name.trim().length < 2} onClick={() => run(() => wizard.start.mutateAsync({ kind, name: name.trim() }))}>Next: credentials</Button>;
  } else if (step === "credentials" || (editing && step === "test")) {
    body = (
      <>
        {current && current.secrets_set.length > 0 && <p className="muted small">Stored encrypted: {current.secrets_set.join(", ")}. Enter them again to change the configuration.</p>}
        {fields.map((field) => (
          <Field key={field.name} label={field.label + (field.optional ? " (optional)" : "")} hint={field.secret ? "Secret: encrypted at once, never shown again" : undefined}>
            {(id) => field.choices ? (
              <select id={id} value={values[field.name] ?? field.choices[0]} onChange={(event) => setValues({ ...values, [field.name]: event.target.value })}>
                {field.choices.map((choice) => <option key={choice} value={choice}>{choice}</option>)}
              </select>
            ) : field.type === "text" ? (
              <textarea id={id} rows={4} value={values[field.name] ?? ""} onChange={(event) => setValues({ ...values, [field.name]: event.target.value })} />
            ) : (
              <input id={id} type={field.secret ? "password" : field.type === "number" ? "number" : "text"} autoComplete="off" value={values[field.name] ?? ""} onChange={(event) => setValues({ ...values, [field.name]: event.target.value })} />
            )}
          </Field>
        ))}
      </>
    );
    footer = (
      <>
        {editing && <Button onClick={() => setEditing(false)}>Back to the test</Button>}
        <Button variant="primary" busy={busy} onClick={() => run(async () => {
          const saved = await wizard.credentials.mutateAsync({ id: current!.id, config: configFrom(kind, fields, values) });
          setEditing(false);
          return saved;
        })}>Save and continue</Button>
      </>
    );
  } else if (step === "test") {
    const test = current?.test as { ok: boolean; error?: string | null; latency_ms?: number } | null;
    body = (
      <>
        <p>{kind === "jira" ? "The test reads the Jira project with these credentials." : "The test sends a real test message to the channel."}</p>
        {test && (test.ok
          ? <p data-testid="wizard-test-result"><Pill tone="good">passed</Pill> in {test.latency_ms} ms</p>
          : <p data-testid="wizard-test-result"><Pill tone="bad">failed</Pill> {test.error}</p>)}
      </>
    );
    footer = (
      <>
        <Button onClick={() => setEditing(true)}>Change credentials</Button>
        <Button variant="primary" busy={wizard.test.isPending} onClick={() => run(() => wizard.test.mutateAsync(current!.id))}>Send test</Button>
      </>
    );
  } else if (step === "rules") {
    body = (
      <>
        <p data-testid="wizard-test-result"><Pill tone="good">Test passed</Pill> Now choose what to route here (you can add more rules later).</p>
        <Field label="Rule name">{(id) => <input id={id} value={ruleName} onChange={(event) => setRuleName(event.target.value)} />}</Field>
        <fieldset className="check-list">
          <legend>Events</legend>
          {events.map((event) => (
            <label key={event.type} className="check-row" title={event.reason ?? undefined}>
              <input type="checkbox" checked={chosen.includes(event.type)} onChange={(change) => setChosen(change.target.checked ? [...chosen, event.type] : chosen.filter((type) => type !== event.type))} />
              {event.description}{!event.available && <span className="muted small"> — {event.reason}</span>}
            </label>
          ))}
        </fieldset>
        <Field label="Lowest severity">
          {(id) => <select id={id} value={severity} onChange={(event) => setSeverity(event.target.value as Severity)}>{SEVERITIES.map((item) => <option key={item} value={item}>{item}</option>)}</select>}
        </Field>
      </>
    );
    footer = (
      <>
        <Button busy={wizard.finish.isPending} onClick={() => run(() => wizard.finish.mutateAsync({ id: current!.id, rule: null }))}>Finish without a rule</Button>
        <Button variant="primary" busy={wizard.finish.isPending} disabled={chosen.length === 0 || ruleName.trim().length < 2}
          onClick={() => run(() => wizard.finish.mutateAsync({ id: current!.id, rule: { name: ruleName.trim(), event_types: chosen as WizardRuleEvent[], min_severity: severity, tools: [] } }))}>Finish</Button>
      </>
    );
  } else {
    body = <p data-testid="wizard-done"><Pill tone="good">Done</Pill> {current?.name} is set up. Its deliveries appear in the log below.</p>;
    footer = <Button variant="primary" onClick={onClose}>Done</Button>;
  }

  return (
    <Modal open title={`Set up ${entry.label}`} onClose={onClose} footer={footer} wide>
      <StepList step={step} />
      {body}
      {error !== null && <InlineError error={error} />}
    </Modal>
  );
}

type WizardRuleEvent = NonNullable<Parameters<ReturnType<typeof useWizard>["finish"]["mutateAsync"]>[0]["rule"]>["event_types"][number];
