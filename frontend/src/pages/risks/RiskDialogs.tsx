/** Creating risks: by hand (a scenario with inherent likelihood and impact) or from an open finding. */
import { useState } from "react";
import { useFindingsPage } from "../../api/hooks/findings";
import { useCreateRisk, useRiskFromFinding, type RiskDetail } from "../../api/hooks/risks";
import { Button, Field, InlineError, Modal } from "../../components/ui";

const scale = (size: number) => Array.from({ length: size }, (_, index) => index + 1);

export function NewRiskDialog({ open, size, onClose, onCreated }: { open: boolean; size: number; onClose: () => void; onCreated: (risk: RiskDetail) => void }) {
  const create = useCreateRisk();
  const [form, setForm] = useState({ title: "", description: "", threat: "", vulnerability: "", owner: "", category: "", likelihood: 3, impact: 3, likelihood_justification: "", impact_justification: "" });
  const set = (name: keyof typeof form) => (event: React.ChangeEvent<HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>) =>
    setForm({ ...form, [name]: name === "likelihood" || name === "impact" ? Number(event.target.value) : event.target.value });
  const submit = () => create.mutate({ ...form, assets: [], status: "assessed" }, { onSuccess: (risk) => { onCreated(risk); onClose(); } });
  return (
    <Modal open={open} title="New risk" onClose={onClose} wide footer={<><Button onClick={onClose}>Cancel</Button><Button variant="primary" busy={create.isPending} disabled={!form.title.trim()} onClick={submit}>Create</Button></>}>
      <div className="form">
        <Field label="Title">{(id) => <input id={id} value={form.title} onChange={set("title")} required />}</Field>
        <Field label="Description">{(id) => <textarea id={id} rows={2} value={form.description} onChange={set("description")} />}</Field>
        <div className="form-row">
          <Field label="Threat">{(id) => <input id={id} value={form.threat} onChange={set("threat")} />}</Field>
          <Field label="Vulnerability">{(id) => <input id={id} value={form.vulnerability} onChange={set("vulnerability")} />}</Field>
          <Field label="Owner">{(id) => <input id={id} value={form.owner} onChange={set("owner")} />}</Field>
          <Field label="Category">{(id) => <input id={id} value={form.category} onChange={set("category")} />}</Field>
        </div>
        <div className="form-row">
          <Field label="Likelihood">{(id) => <select id={id} value={form.likelihood} onChange={set("likelihood")}>{scale(size).map((value) => <option key={value}>{value}</option>)}</select>}</Field>
          <Field label="Why this likelihood">{(id) => <input id={id} value={form.likelihood_justification} onChange={set("likelihood_justification")} />}</Field>
          <Field label="Impact">{(id) => <select id={id} value={form.impact} onChange={set("impact")}>{scale(size).map((value) => <option key={value}>{value}</option>)}</select>}</Field>
          <Field label="Why this impact">{(id) => <input id={id} value={form.impact_justification} onChange={set("impact_justification")} />}</Field>
        </div>
        {create.isError && <InlineError error={create.error} />}
      </div>
    </Modal>
  );
}

export function FromFindingDialog({ open, size, onClose, onCreated }: { open: boolean; size: number; onClose: () => void; onCreated: (risk: RiskDetail) => void }) {
  const [q, setQ] = useState("");
  const findings = useFindingsPage({ q: q || undefined, status: ["open", "reopened"] }, "severity", 25);
  const create = useRiskFromFinding();
  const [chosen, setChosen] = useState<string>("");
  const [impact, setImpact] = useState(3);
  const [owner, setOwner] = useState("");
  const items = findings.data?.items ?? [];
  const submit = () => create.mutate({ finding_id: chosen, impact, owner }, { onSuccess: (risk) => { onCreated(risk); onClose(); } });
  return (
    <Modal open={open} title="Risk from a finding" onClose={onClose} wide footer={<><Button onClick={onClose}>Cancel</Button><Button variant="primary" busy={create.isPending} disabled={!chosen} onClick={submit}>Create risk</Button></>}>
      <div className="form">
        <Field label="Search open findings">{(id) => <input id={id} value={q} onChange={(event) => setQ(event.target.value)} placeholder="title, rule, resource…" />}</Field>
        <Field label="Finding" hint="Its title, resource and severity (as likelihood) fill the risk; the finding stays linked">{(id) => (
          <select id={id} value={chosen} onChange={(event) => setChosen(event.target.value)}>
            <option value="">{findings.isPending ? "Loading…" : items.length ? "Choose a finding" : "No open finding matches"}</option>
            {items.map((finding) => <option key={finding.id} value={finding.id}>{finding.severity} · {finding.title} · {String(finding.resource.id ?? "")}</option>)}
          </select>
        )}</Field>
        <div className="form-row">
          <Field label="Impact">{(id) => <select id={id} value={impact} onChange={(event) => setImpact(Number(event.target.value))}>{scale(size).map((value) => <option key={value}>{value}</option>)}</select>}</Field>
          <Field label="Owner">{(id) => <input id={id} value={owner} onChange={(event) => setOwner(event.target.value)} />}</Field>
        </div>
        {create.isError && <InlineError error={create.error} />}
      </div>
    </Modal>
  );
}
