/** The EU AI Act classification wizard: one step per part of the Act, the article text beside each question. */
import { useMemo, useState } from "react";
import { useClassify, useQuestionnaire, type AiSystem, type Classification, type Questionnaire } from "../../api/hooks/aiGovernance";
import { Pill } from "../../components/badges";
import { Button, InlineError, QueryState } from "../../components/ui";

type Condition = "6.3.a" | "6.3.b" | "6.3.c" | "6.3.d";
const STEPS = [
  { id: "prohibited", title: "Article 5: prohibited practices", match: (section: string) => section === "prohibited" },
  { id: "annex_i", title: "Article 6(1): safety components (Annex I)", match: (section: string) => section === "annex_i" },
  { id: "annex_iii", title: "Article 6(2): Annex III high-risk areas", match: (section: string) => section.startsWith("annex_iii.") },
  { id: "derogation", title: "Article 6(3): derogation", match: (section: string) => section === "derogation" },
  { id: "transparency", title: "Article 50: transparency", match: (section: string) => section === "transparency" },
  { id: "gpai", title: "Articles 51–55: general-purpose AI models", match: (section: string) => section === "gpai" },
] as const;

export const RISK_TONE = { prohibited: "bad", high_risk: "warn", limited: "info", minimal: "good" } as const;

export function ClassificationResult({ result }: { result: Classification }) {
  return (
    <div className="stack" data-testid="classification-result">
      <div className="row-between"><h3 style={{ margin: 0 }}>Result: <Pill tone={RISK_TONE[result.risk_class]}>{result.label}</Pill></h3>
        {result.high_risk_basis.length > 0 && <span className="muted small">{result.high_risk_basis.join(" · ")}</span>}</div>
      <ol className="aig-reasoning">
        {result.reasoning.map((step, index) => (
          <li key={`${step.question ?? "none"}-${index}`}>
            <div><strong>{step.conclusion}</strong></div>
            <div className="muted small">{step.prompt}</div>
            {step.provisions.map((provision) => <div key={provision.ref} className="aig-article"><b>{provision.ref}</b>{provision.text}</div>)}
          </li>
        ))}
      </ol>
    </div>
  );
}

function Steps({ form, system, onDone }: { form: Questionnaire; system: AiSystem; onDone: () => void }) {
  const previous = system.classification;
  const [answers, setAnswers] = useState<Record<string, boolean>>(previous?.answers ?? {});
  const [conditions, setConditions] = useState<Condition[]>((previous?.derogation?.conditions ?? []) as Condition[]);
  const [justification, setJustification] = useState(previous?.derogation?.justification ?? "");
  const [step, setStep] = useState(0);
  const classify = useClassify(system.id);
  const sectionTitles = useMemo(() => Object.fromEntries(form.sections.map((section) => [section.id, section.title])), [form]);
  const current = STEPS[step];
  const questions = form.questions.filter((question) => current.match(question.section));
  const last = step === STEPS.length - 1;
  const submit = () => classify.mutate(
    { answers, derogation: conditions.length || justification.trim() ? { conditions, justification } : null },
    { onSuccess: onDone },
  );
  return (
    <div className="stack">
      <div className="row-between">
        <h3 style={{ margin: 0 }}>Step {step + 1} of {STEPS.length}: {current.title}</h3>
        <div className="progress" style={{ width: 160 }}><span className="progress-fill" style={{ width: `${((step + 1) / STEPS.length) * 100}%` }} /></div>
      </div>
      {current.id === "derogation" && (
        <div className="aig-article"><b>6.3</b>{form.derogation_text}</div>
      )}
      {questions.map((question, index) => (
        <div key={question.id}>
          {current.id === "annex_iii" && (index === 0 || questions[index - 1].section !== question.section) && <h4>{sectionTitles[question.section]}</h4>}
          <div className="aig-question">
            <label><input type="checkbox" checked={!!answers[question.id]} onChange={(event) => setAnswers({ ...answers, [question.id]: event.target.checked })} data-question={question.id} />{question.prompt}</label>
            <div className="stack" style={{ gap: 6 }}>{question.provisions.map((provision) => <div key={provision.ref} className="aig-article"><b>{provision.ref}</b>{provision.text}</div>)}</div>
          </div>
        </div>
      ))}
      {current.id === "derogation" && (
        <fieldset className="stack">
          <legend className="small">Claim the derogation (only for Annex III systems that do not profile people)</legend>
          {form.derogation_conditions.map((condition) => (
            <div key={condition.ref} className="aig-question">
              <label><input type="checkbox" checked={conditions.includes(condition.ref as Condition)} onChange={(event) => setConditions(event.target.checked ? [...conditions, condition.ref as Condition] : conditions.filter((ref) => ref !== condition.ref))} />Condition {condition.ref}</label>
              <div className="aig-article">{condition.text}</div>
            </div>
          ))}
          <div className="field"><label htmlFor="derogation-justification">Justification (Article 6(4): the documented assessment, at least {form.min_justification} characters)</label>
            <textarea id="derogation-justification" rows={3} value={justification} onChange={(event) => setJustification(event.target.value)} /></div>
        </fieldset>
      )}
      {classify.isError && <InlineError error={classify.error} />}
      <div className="button-row">
        <Button disabled={step === 0} onClick={() => setStep(step - 1)}>Back</Button>
        {last ? <Button variant="primary" busy={classify.isPending} onClick={submit}>Classify</Button> : <Button variant="primary" onClick={() => setStep(step + 1)}>Next</Button>}
      </div>
    </div>
  );
}

export function ClassificationWizard({ system }: { system: AiSystem }) {
  const form = useQuestionnaire();
  const [editing, setEditing] = useState(!system.classification);
  if (!editing && system.classification) {
    return (
      <div className="stack">
        <ClassificationResult result={system.classification} />
        <div><Button onClick={() => setEditing(true)}>Classify again</Button></div>
      </div>
    );
  }
  return <QueryState query={form}>{(data) => <Steps form={data} system={system} onDone={() => setEditing(false)} />}</QueryState>;
}
