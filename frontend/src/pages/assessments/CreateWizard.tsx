import { useMemo, useState } from "react";
import { useAssessmentTemplates, useCreateAssessment, type Assessment, type AssessmentTemplate } from "../../api/hooks/assessments";
import { useTargets } from "../../api/hooks/scans";
import { Button, Field, InlineError, Modal, Skeleton } from "../../components/ui";
import { TIER_NAMES } from "./questionnaire";

type Step = "framework" | "level" | "scope";

/** Create an assessment: framework, then level (ASVS) or target tiers (CSF), then scope. */
export function CreateWizard({ onClose, onCreated }: { onClose: () => void; onCreated: (assessment: Assessment) => void }) {
  const templates = useAssessmentTemplates();
  const targets = useTargets();
  const create = useCreateAssessment();
  const [step, setStep] = useState<Step>("framework");
  const [templateId, setTemplateId] = useState("owasp-asvs-5.0.0");
  const [level, setLevel] = useState<1 | 2 | 3>(2);
  const [defaultTier, setDefaultTier] = useState(3);
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [targetIds, setTargetIds] = useState<string[]>([]);
  const [owner, setOwner] = useState("");
  const [dueDate, setDueDate] = useState("");
  const template: AssessmentTemplate | undefined = templates.data?.find((item) => item.id === templateId);
  const isAsvs = template?.kind === "asvs";
  const inScope = (template?.counts as { in_scope_at_level?: Record<string, number> } | undefined)?.in_scope_at_level;
  const byLevel = (template?.counts as { by_level?: Record<string, number> } | undefined)?.by_level;
  const steps: Step[] = ["framework", "level", "scope"];
  const index = steps.indexOf(step);
  const webTargets = useMemo(() => (targets.data ?? []).filter((target) => ["web_application", "tls_endpoint"].includes(target.kind)), [targets.data]);
  const otherTargets = useMemo(() => (targets.data ?? []).filter((target) => !["web_application", "tls_endpoint"].includes(target.kind)), [targets.data]);

  function submit() {
    create.mutate({
      template: templateId as "owasp-asvs-5.0.0" | "nist-csf-2.0",
      name: name.trim() || `${template?.framework ?? "Assessment"} ${new Date().toISOString().slice(0, 10)}`,
      level: isAsvs ? level : null,
      target_profile: isAsvs ? null : { default_tier: defaultTier, tiers: {} },
      scope: { description, target_ids: targetIds, cloud_account_ids: [] },
      owner: owner.trim() || null,
      due_date: dueDate || null,
    }, { onSuccess: (created) => onCreated(created) });
  }

  const footer = (
    <>
      <Button variant="ghost" onClick={index === 0 ? onClose : () => setStep(steps[index - 1])}>{index === 0 ? "Cancel" : "Back"}</Button>
      {index < steps.length - 1
        ? <Button variant="primary" disabled={!template} onClick={() => setStep(steps[index + 1])}>Next</Button>
        : <Button variant="primary" busy={create.isPending} onClick={submit}>Create assessment</Button>}
    </>
  );

  return (
    <Modal open wide title={`New assessment · step ${index + 1} of 3`} onClose={onClose} footer={footer}>
      {templates.isPending && <Skeleton rows={4} />}
      {step === "framework" && templates.data && (
        <fieldset className="radio-cards">
          <legend>Framework</legend>
          {templates.data.map((item) => (
            <label key={item.id} className={`radio-card ${templateId === item.id ? "radio-card-active" : ""}`}>
              <input type="radio" name="template" checked={templateId === item.id} onChange={() => setTemplateId(item.id)} />
              <span><strong>{item.name}</strong><span className="muted small">{item.description} {String((item.counts as { requirements: number }).requirements)} requirements.</span></span>
            </label>
          ))}
        </fieldset>
      )}
      {step === "level" && isAsvs && (
        <fieldset className="radio-cards">
          <legend>Target level</legend>
          {([1, 2, 3] as const).map((value) => (
            <label key={value} className={`radio-card ${level === value ? "radio-card-active" : ""}`}>
              <input type="radio" name="level" checked={level === value} onChange={() => setLevel(value)} />
              <span><strong>Level {value}</strong><span className="muted small">{inScope?.[String(value)]} requirements in scope{value > 1 && byLevel ? ` (${byLevel[String(value)]} added at L${value})` : ""}. {["First steps: the basics every application needs.", "Most applications: sensitive data and business logic.", "Critical applications: high value, high assurance."][value - 1]}</span></span>
            </label>
          ))}
        </fieldset>
      )}
      {step === "level" && !isAsvs && template && (
        <div className="form">
          <p className="muted">The target profile: the tier each subcategory should reach. Each answer records the tier achieved.</p>
          <Field label="Target tier for every subcategory">{(id) => (
            <select id={id} value={defaultTier} onChange={(event) => setDefaultTier(Number(event.target.value))}>
              {TIER_NAMES.map((tierName, tierIndex) => <option key={tierName} value={tierIndex + 1}>Tier {tierIndex + 1}: {tierName}</option>)}
            </select>
          )}</Field>
          <ul className="stack small">
            {(template.tiers ?? []).map((tier) => <li key={String(tier.tier)}><strong>Tier {String(tier.tier)} {String(tier.name)}</strong>: <span className="muted">{String(tier.description).split("\n")[0]}</span></li>)}
          </ul>
        </div>
      )}
      {step === "scope" && (
        <div className="form">
          <Field label="Name">{(id) => <input id={id} value={name} onChange={(event) => setName(event.target.value)} maxLength={200} placeholder={`${template?.framework ?? ""} review`} data-autofocus />}</Field>
          <Field label="Scope" hint="What is assessed, in words.">{(id) => <textarea id={id} rows={2} value={description} onChange={(event) => setDescription(event.target.value)} maxLength={4000} />}</Field>
          <fieldset className="plain-fieldset">
            <legend>Targets in scope{isAsvs ? " (their scan findings suggest answers)" : ""}</legend>
            {targets.isPending && <Skeleton rows={2} />}
            {!targets.isPending && !targets.data?.length && <p className="muted small">No scan targets yet: add web applications under Scans to link them here.</p>}
            <div className="checkbox-grid">
              {[...webTargets, ...otherTargets].map((target) => (
                <label key={target.id} className="check-row">
                  <input type="checkbox" checked={targetIds.includes(target.id)} onChange={(event) => setTargetIds(event.target.checked ? [...targetIds, target.id] : targetIds.filter((id) => id !== target.id))} />
                  <span>{target.name} <span className="muted small">{target.kind.replace("_", " ")} · {target.value}</span></span>
                </label>
              ))}
            </div>
          </fieldset>
          <div className="form-row">
            <Field label="Owner (optional)">{(id) => <input id={id} value={owner} onChange={(event) => setOwner(event.target.value)} maxLength={200} />}</Field>
            <Field label="Due date (optional)">{(id) => <input id={id} type="date" value={dueDate} onChange={(event) => setDueDate(event.target.value)} />}</Field>
          </div>
        </div>
      )}
      <InlineError error={create.error} />
    </Modal>
  );
}
