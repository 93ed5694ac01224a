import { useState } from "react";
import { useCan } from "../../app/AuthGate";
import {
  useCreateProcess, useDependencyGraph, useExercises, useHorizons, useProcesses, useRecordExercise, useUpdateProcess,
  type ExerciseIn, type Horizons, type ImpactRow, type Process,
} from "../../api/hooks/bia";
import { Pill } from "../../components/badges";
import { formatDate, humanize } from "../../components/format";
import { Button, Card, EmptyState, Field, InlineError, PageHeader, QueryState, Tabs } from "../../components/ui";
import { ImpactMatrix, rowsFor } from "./ImpactMatrix";
import "../risks/risks.css";

type Tab = "processes" | "dependencies" | "exercises";
const TABS: { id: Tab; label: string }[] = [{ id: "processes", label: "Processes" }, { id: "dependencies", label: "Dependencies" }, { id: "exercises", label: "Exercises" }];
const KINDS = ["target", "cloud_account", "image", "host", "process", "third_party"] as const;
type Dependency = { kind: (typeof KINDS)[number]; ref: string; name?: string | null };

const numberOrNull = (value: string) => (value === "" ? null : Number(value));

function ProcessEditor({ process, horizons, processes, onSaved }: { process: Process | null; horizons: Horizons; processes: Process[]; onSaved: (id: string) => void }) {
  const create = useCreateProcess();
  const update = useUpdateProcess();
  const [form, setForm] = useState({
    name: process?.name ?? "", owner: process?.owner ?? "", description: process?.description ?? "", tier: process?.tier ?? 3,
    rto: process?.rto_hours?.toString() ?? "", rpo: process?.rpo_hours?.toString() ?? "",
  });
  const [rows, setRows] = useState<ImpactRow[]>(rowsFor(horizons, (process?.impacts ?? []) as ImpactRow[]));
  const [dependencies, setDependencies] = useState<Dependency[]>((process?.dependencies ?? []) as Dependency[]);
  const [next, setNext] = useState<Dependency>({ kind: "host", ref: "" });
  const set = (name: keyof typeof form) => (event: React.ChangeEvent<HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>) =>
    setForm({ ...form, [name]: name === "tier" ? Number(event.target.value) : event.target.value });
  const body = { name: form.name, owner: form.owner, description: form.description, tier: form.tier, impacts: rows, dependencies,
    rto_hours: numberOrNull(form.rto), rpo_hours: numberOrNull(form.rpo) };
  const save = () => (process
    ? update.mutate({ processId: process.id, body }, { onSuccess: (saved) => onSaved(saved.id) })
    : create.mutate(body, { onSuccess: (saved) => onSaved(saved.id) }));
  const error = create.error ?? update.error;
  return (
    <Card title={process ? `Edit ${process.name}` : "New process"} id="bia-editor">
      <div className="form">
        <div className="form-row">
          <Field label="Process name">{(id) => <input id={id} value={form.name} onChange={set("name")} />}</Field>
          <Field label="Process owner">{(id) => <input id={id} value={form.owner} onChange={set("owner")} />}</Field>
          <Field label="Tier" hint="1 most critical">{(id) => <select id={id} value={form.tier} onChange={set("tier")}>{[1, 2, 3, 4].map((tier) => <option key={tier} value={tier}>tier {tier}</option>)}</select>}</Field>
          <Field label="RTO (hours)">{(id) => <input id={id} type="number" min={0} value={form.rto} onChange={set("rto")} />}</Field>
          <Field label="RPO (hours)">{(id) => <input id={id} type="number" min={0} value={form.rpo} onChange={set("rpo")} />}</Field>
        </div>
        <Field label="Description">{(id) => <textarea id={id} rows={2} value={form.description} onChange={set("description")} />}</Field>
        <h3>Impact over time</h3>
        <ImpactMatrix horizons={horizons} rows={rows} onChange={setRows} />
        {process?.mtpd_hours != null && <p className="small">MTPD {process.mtpd_hours} h · {process.mtpd_source}</p>}
        <h3>Dependencies</h3>
        <ul className="small">{dependencies.map((dependency, index) => (
          <li key={`${dependency.kind}:${dependency.ref}`}>{humanize(dependency.kind)} {processes.find((p) => p.id === dependency.ref)?.name ?? dependency.ref}{" "}
            <button type="button" className="link-button" onClick={() => setDependencies(dependencies.filter((_, at) => at !== index))}>remove</button></li>
        ))}</ul>
        <div className="form-row">
          <select aria-label="Dependency kind" value={next.kind} onChange={(event) => setNext({ kind: event.target.value as Dependency["kind"], ref: "" })}>{KINDS.map((kind) => <option key={kind} value={kind}>{humanize(kind)}</option>)}</select>
          {next.kind === "process"
            ? <select aria-label="Dependency process" value={next.ref} onChange={(event) => setNext({ ...next, ref: event.target.value })}><option value="">choose</option>{processes.filter((p) => p.id !== process?.id).map((p) => <option key={p.id} value={p.id}>{p.name}</option>)}</select>
            : <input aria-label="Dependency reference" placeholder="target id, account id, image, host, supplier" value={next.ref} onChange={(event) => setNext({ ...next, ref: event.target.value })} />}
          <Button size="sm" disabled={!next.ref.trim()} onClick={() => { setDependencies([...dependencies, { ...next, ref: next.ref.trim() }]); setNext({ kind: next.kind, ref: "" }); }}>Add dependency</Button>
        </div>
        <div className="button-row"><Button variant="primary" busy={create.isPending || update.isPending} disabled={!form.name.trim()} onClick={save}>Save process</Button></div>
        {error && <InlineError error={error} />}
      </div>
    </Card>
  );
}

function Processes() {
  const processes = useProcesses();
  const horizons = useHorizons();
  const canWrite = useCan("bia:write");
  const [selected, setSelected] = useState<string | "new" | null>(null);
  return (
    <QueryState query={processes}>{(list) => {
      // A saved process is edited once the refreshed list has it (the editor's fields start from it).
      const current = list.find((p) => p.id === selected) ?? null;
      return (
      <div className="bia-layout">
        <Card title="Processes and services" id="bia-processes" actions={canWrite && <Button size="sm" icon="plus" onClick={() => setSelected("new")}>New process</Button>}>
          {list.length === 0 ? <EmptyState title="No business process yet" icon="activity"><p>Describe what the business runs, what it depends on and how fast disruption hurts.</p></EmptyState> : (
            <table className="simple-table">
              <thead><tr><th scope="col">Process</th><th scope="col">Tier</th><th scope="col">RTO</th><th scope="col">MTPD</th><th scope="col">Owner</th></tr></thead>
              <tbody>{list.map((process) => (
                <tr key={process.id} className="risk-row" aria-selected={process.id === selected} onClick={() => setSelected(process.id)}>
                  <td><button type="button" className="link-button" onClick={() => setSelected(process.id)}>{process.name}</button></td>
                  <td>tier {process.tier}{process.effective_tier < process.tier && <> <Pill tone="warn">tier {process.effective_tier} via {process.critical_for.join(", ")}</Pill></>}</td>
                  <td>{process.rto_hours ?? "—"} h</td><td>{process.mtpd_hours ?? "—"} h</td><td>{process.owner || "—"}</td>
                </tr>
              ))}</tbody>
            </table>
          )}
        </Card>
        {(selected === "new" || current) && canWrite && horizons.data && (
          <ProcessEditor key={selected} horizons={horizons.data} processes={list} process={current} onSaved={setSelected} />
        )}
      </div>
      );
    }}</QueryState>
  );
}

function Dependencies() {
  const graph = useDependencyGraph();
  return (
    <QueryState query={graph} isEmpty={(data) => data.nodes.length === 0} empty={<EmptyState title="No dependency recorded" icon="assets" />}>
      {(data) => {
        const label = (id: string) => data.nodes.find((node) => node.id === id)?.label ?? id;
        const processes = data.nodes.filter((node) => node.kind === "process");
        return (
          <div className="bia-graph">{processes.map((process) => (
            <Card key={String(process.id)} title={`${String(process.label)} (tier ${String(process.tier)})`}>
              <ul className="small">{data.edges.filter((edge) => edge.from === process.id).map((edge) => {
                const node = data.nodes.find((item) => item.id === edge.to);
                return <li key={String(edge.to)}>{humanize(String(node?.kind ?? ""))}: {String(label(String(edge.to)))} <Pill tone={Number(node?.tier) === 1 ? "bad" : "neutral"}>tier {String(node?.tier)}</Pill></li>;
              })}</ul>
            </Card>
          ))}</div>
        );
      }}
    </QueryState>
  );
}

function Exercises() {
  const exercises = useExercises();
  const processes = useProcesses();
  const record = useRecordExercise();
  const canWrite = useCan("bia:write");
  const [form, setForm] = useState({ process_id: "", kind: "tabletop" as ExerciseIn["kind"], date: "", scenario: "", participants: "", achieved: "", outcome: "passed" as ExerciseIn["outcome"], lessons: "" });
  const set = (name: keyof typeof form) => (event: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>) => setForm({ ...form, [name]: event.target.value });
  const submit = () => record.mutate({
    process_id: form.process_id, kind: form.kind, date: form.date, scenario: form.scenario, outcome: form.outcome, lessons: form.lessons,
    participants: form.participants.split(",").map((value) => value.trim()).filter(Boolean), achieved_recovery_hours: numberOrNull(form.achieved), follow_up: [],
  }, { onSuccess: () => setForm({ ...form, scenario: "", achieved: "", lessons: "" }) });
  return (
    <div className="stack">
      <Card title="Exercises" id="bia-exercises">
        <QueryState query={exercises} isEmpty={(list) => list.length === 0} empty={<p className="small muted">No exercise recorded.</p>}>
          {(list) => (
            <table className="simple-table">
              <thead><tr><th scope="col">Date</th><th scope="col">Process</th><th scope="col">Kind</th><th scope="col">Recovery vs RTO</th><th scope="col">Outcome</th><th scope="col">Lessons</th></tr></thead>
              <tbody>{list.map((exercise) => (
                <tr key={exercise.id}><td>{formatDate(exercise.date)}</td><td>{exercise.process_name}</td><td>{humanize(exercise.kind)}</td>
                  <td>{exercise.achieved_recovery_hours ?? "—"} h / {exercise.rto_hours ?? "—"} h {exercise.met_rto === false && <Pill tone="bad">missed RTO</Pill>}{exercise.met_rto && <Pill tone="good">met</Pill>}</td>
                  <td>{humanize(exercise.outcome)}</td><td>{exercise.lessons}</td></tr>
              ))}</tbody>
            </table>
          )}
        </QueryState>
      </Card>
      {canWrite && (
        <Card title="Record an exercise">
          <div className="form">
            <div className="form-row">
              <Field label="Process">{(id) => <select id={id} value={form.process_id} onChange={set("process_id")}><option value="">choose</option>{(processes.data ?? []).map((p) => <option key={p.id} value={p.id}>{p.name}</option>)}</select>}</Field>
              <Field label="Kind">{(id) => <select id={id} value={form.kind} onChange={set("kind")}>{["tabletop", "failover", "restore"].map((kind) => <option key={kind}>{kind}</option>)}</select>}</Field>
              <Field label="Date">{(id) => <input id={id} type="date" value={form.date} onChange={set("date")} />}</Field>
              <Field label="Recovered in (hours)">{(id) => <input id={id} type="number" min={0} value={form.achieved} onChange={set("achieved")} />}</Field>
              <Field label="Outcome">{(id) => <select id={id} value={form.outcome} onChange={set("outcome")}>{["passed", "partial", "failed"].map((o) => <option key={o}>{o}</option>)}</select>}</Field>
            </div>
            <div className="form-row">
              <Field label="Scenario">{(id) => <input id={id} value={form.scenario} onChange={set("scenario")} />}</Field>
              <Field label="Participants" hint="Comma-separated">{(id) => <input id={id} value={form.participants} onChange={set("participants")} />}</Field>
              <Field label="Lessons">{(id) => <input id={id} value={form.lessons} onChange={set("lessons")} />}</Field>
            </div>
            <div className="button-row"><Button variant="primary" busy={record.isPending} disabled={!form.process_id || !form.date || !form.scenario.trim()} onClick={submit}>Record exercise</Button></div>
            {record.isError && <InlineError error={record.error} />}
            {record.data?.met_rto === false && <p className="small"><Pill tone="bad">missed RTO</Pill> a risk proposal was raised in the risk register.</p>}
          </div>
        </Card>
      )}
    </div>
  );
}

export default function BiaPage() {
  const [tab, setTab] = useState<Tab>("processes");
  return (
    <div className="page">
      <PageHeader title="Business impact analysis" subtitle="Processes and services, impact over time, RTO/RPO/MTPD, dependencies whose criticality ranks findings, exercises" />
      <Tabs tabs={TABS} value={tab} onChange={setTab} label="Business impact analysis" />
      <div style={{ paddingTop: "var(--space-4)" }}>
        {tab === "processes" && <Processes />}
        {tab === "dependencies" && <Dependencies />}
        {tab === "exercises" && <Exercises />}
      </div>
    </div>
  );
}
