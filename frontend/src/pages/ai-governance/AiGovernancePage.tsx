import { useState } from "react";
import { fetchModelCardPdf, useAiSystems, useCreateSystem, useDeleteSystem, useModelCard, useVersions, type AiSystem, type AiSystemIn } from "../../api/hooks/aiGovernance";
import { Pill } from "../../components/badges";
import { formatDateTime, humanize } from "../../components/format";
import { Button, Card, ConfirmDialog, EmptyState, Field, InlineError, Modal, PageHeader, QueryState, Tabs } from "../../components/ui";
import { BiasTests } from "./BiasTests";
import { ClassificationWizard, RISK_TONE } from "./ClassificationWizard";
import { ObligationsPanel } from "./ObligationsPanel";
import "./aiGovernance.css";

type Tab = "classification" | "obligations" | "bias" | "card" | "versions";
const TABS: { id: Tab; label: string }[] = [
  { id: "classification", label: "Classification" }, { id: "obligations", label: "Obligations" },
  { id: "bias", label: "Bias tests" }, { id: "card", label: "Model card" }, { id: "versions", label: "Versions" },
];
const ROLES = ["provider", "deployer", "importer", "distributor"] as const;
const LIFECYCLE = ["design", "development", "validation", "production", "retired"] as const;

function splitList(value: string) { return value.split(",").map((part) => part.trim()).filter(Boolean); }

function RegisterDialog({ open, onClose, onCreated }: { open: boolean; onClose: () => void; onCreated: (system: AiSystem) => void }) {
  const create = useCreateSystem();
  const [form, setForm] = useState({ name: "", purpose: "", owner: "", model_family: "", model_version: "", role: "provider" as AiSystemIn["role"], lifecycle: "design" as AiSystemIn["lifecycle"], deployment: "", affected: "" });
  const set = (name: keyof typeof form) => (event: React.ChangeEvent<HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>) => setForm({ ...form, [name]: event.target.value });
  const submit = () => create.mutate({
    name: form.name, purpose: form.purpose, owner: form.owner, model_family: form.model_family, model_version: form.model_version,
    sourcing: "in_house", role: form.role, lifecycle: form.lifecycle, affected_persons: splitList(form.affected),
    deployment: splitList(form.deployment).map((ref) => ({ kind: ref.includes("://") ? "url" : "other", ref })),
  }, { onSuccess: (system) => { onCreated(system); onClose(); } });
  return (
    <Modal open={open} title="Register an AI system" onClose={onClose} wide footer={<><Button onClick={onClose}>Cancel</Button><Button variant="primary" busy={create.isPending} disabled={!form.name.trim()} onClick={submit}>Register</Button></>}>
      <div className="form">
        <div className="form-row">
          <Field label="Name">{(id) => <input id={id} value={form.name} onChange={set("name")} required />}</Field>
          <Field label="Owner">{(id) => <input id={id} value={form.owner} onChange={set("owner")} />}</Field>
        </div>
        <Field label="Purpose">{(id) => <textarea id={id} rows={2} value={form.purpose} onChange={set("purpose")} />}</Field>
        <div className="form-row">
          <Field label="Model family">{(id) => <input id={id} value={form.model_family} onChange={set("model_family")} />}</Field>
          <Field label="Model version">{(id) => <input id={id} value={form.model_version} onChange={set("model_version")} />}</Field>
          <Field label="Role under the AI Act">{(id) => <select id={id} value={form.role} onChange={set("role")}>{ROLES.map((role) => <option key={role} value={role}>{humanize(role)}</option>)}</select>}</Field>
          <Field label="Lifecycle">{(id) => <select id={id} value={form.lifecycle} onChange={set("lifecycle")}>{LIFECYCLE.map((state) => <option key={state} value={state}>{humanize(state)}</option>)}</select>}</Field>
        </div>
        <Field label="Deployment" hint="Where it runs: target URLs, hosts, images or cloud accounts, comma-separated (scan findings on them evidence Article 15)">{(id) => <input id={id} value={form.deployment} onChange={set("deployment")} />}</Field>
        <Field label="Affected persons" hint="Comma-separated">{(id) => <input id={id} value={form.affected} onChange={set("affected")} />}</Field>
        {create.isError && <InlineError error={create.error} />}
      </div>
    </Modal>
  );
}

function saveAs(blob: Blob, name: string) {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = name;
  link.click();
  URL.revokeObjectURL(link.href);
}

function ModelCard({ system }: { system: AiSystem }) {
  const card = useModelCard(system.id);
  const [pdfError, setPdfError] = useState<unknown>(null);
  const [pdfBusy, setPdfBusy] = useState(false);
  const base = system.name.replace(/[^A-Za-z0-9._-]+/g, "-");
  const downloadPdf = async () => {
    setPdfBusy(true);
    setPdfError(null);
    try { saveAs(await fetchModelCardPdf(system.id), `${base}-model-card.pdf`); } catch (error) { setPdfError(error); } finally { setPdfBusy(false); }
  };
  return (
    <QueryState query={card}>{(text) => (
      <div className="stack">
        <div className="button-row">
          <Button onClick={() => saveAs(new Blob([text], { type: "text/markdown" }), `${base}-model-card.md`)}>Download Markdown</Button>
          <Button busy={pdfBusy} onClick={() => void downloadPdf()}>Download PDF</Button>
        </div>
        {pdfError !== null && <InlineError error={pdfError} />}
        <pre className="aig-card" data-testid="model-card">{text}</pre>
      </div>
    )}</QueryState>
  );
}

function Versions({ system }: { system: AiSystem }) {
  const versions = useVersions(system.id);
  return (
    <QueryState query={versions}>{(list) => (
      <table className="simple-table">
        <thead><tr><th scope="col">Version</th><th scope="col">When</th><th scope="col">Change</th><th scope="col">Note</th></tr></thead>
        <tbody>{list.map((version) => <tr key={version.version}><td>{version.version}</td><td>{formatDateTime(version.at)}</td><td>{version.change}</td><td>{version.note ?? ""}</td></tr>)}</tbody>
      </table>
    )}</QueryState>
  );
}

function SystemDetail({ system, onDeleted }: { system: AiSystem; onDeleted: () => void }) {
  const [tab, setTab] = useState<Tab>("classification");
  const [confirm, setConfirm] = useState(false);
  const remove = useDeleteSystem();
  return (
    <Card title={system.name} id="ai-system" actions={<Button size="sm" icon="trash" onClick={() => setConfirm(true)}>Delete</Button>}>
      <p className="small muted">{system.purpose || "No purpose recorded."} · {humanize(system.role)} · {humanize(system.lifecycle)} · model {system.model_family} {system.model_version} · version {system.version}</p>
      <Tabs tabs={TABS} value={tab} onChange={setTab} label="AI system" />
      <div style={{ paddingTop: "var(--space-4)" }}>
        {tab === "classification" && <ClassificationWizard key={system.id} system={system} />}
        {tab === "obligations" && <ObligationsPanel system={system} />}
        {tab === "bias" && <BiasTests key={system.id} system={system} />}
        {tab === "card" && <ModelCard system={system} />}
        {tab === "versions" && <Versions system={system} />}
      </div>
      <ConfirmDialog open={confirm} title={`Delete ${system.name}?`} confirmLabel="Delete" busy={remove.isPending} error={remove.error} onCancel={() => setConfirm(false)}
        message="Its versions, classification, obligations and bias tests are deleted; findings it raised stay in Findings."
        onConfirm={() => remove.mutate(system.id, { onSuccess: () => { setConfirm(false); onDeleted(); } })} />
    </Card>
  );
}

export default function AiGovernancePage() {
  const systems = useAiSystems();
  const [selected, setSelected] = useState<string | null>(null);
  const [registering, setRegistering] = useState(false);
  return (
    <div className="page">
      <PageHeader title="AI governance" subtitle="AI system registry, EU AI Act classification and obligations, bias tests with fairlearn"
        actions={<Button variant="primary" icon="plus" onClick={() => setRegistering(true)}>Register AI system</Button>} />
      <QueryState query={systems} isEmpty={(list) => list.length === 0} empty={<EmptyState title="No AI systems registered" icon="activity"><p>Register the AI systems your team builds or uses to classify them under the EU AI Act and test them for bias.</p></EmptyState>}>
        {(list) => {
          const current = list.find((system) => system.id === selected) ?? list[0];
          return (
            <div className="aig-layout">
              <Card title="Registry" id="ai-registry">
                <ul className="aig-systems">{list.map((system) => (
                  <li key={system.id}><button type="button" className="aig-system" aria-pressed={system.id === current.id} onClick={() => setSelected(system.id)}>
                    <strong>{system.name}</strong>
                    <span className="small">{system.classification ? <Pill tone={RISK_TONE[system.classification.risk_class]}>{humanize(system.classification.risk_class)}</Pill> : <Pill>not classified</Pill>}{" "}
                      {system.latest_bias_verdict && <Pill tone={system.latest_bias_verdict === "pass" ? "good" : "bad"}>bias {system.latest_bias_verdict}</Pill>}</span>
                  </button></li>
                ))}</ul>
              </Card>
              <SystemDetail key={current.id} system={current} onDeleted={() => setSelected(null)} />
            </div>
          );
        }}
      </QueryState>
      <RegisterDialog open={registering} onClose={() => setRegistering(false)} onCreated={(system) => setSelected(system.id)} />
    </div>
  );
}
