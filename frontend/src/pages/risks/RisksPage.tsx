import { useState } from "react";
import { useCan } from "../../app/AuthGate";
import { useHeatMap, useMatrix, useRisks, useSetMatrix, type RiskFilters } from "../../api/hooks/risks";
import { humanize } from "../../components/format";
import { Button, Card, EmptyState, InlineError, PageHeader, QueryState, Tabs } from "../../components/ui";
import { HeatMap, type CellPick } from "./HeatMap";
import { KriTiles } from "./KriTiles";
import { ProposalsInbox, RiskEvents } from "./ProposalsInbox";
import { FromFindingDialog, NewRiskDialog } from "./RiskDialogs";
import { LevelChip, RiskDetailPanel } from "./RiskDetailPanel";
import "./risks.css";

type Tab = "register" | "kris" | "proposals";
const TABS: { id: Tab; label: string }[] = [{ id: "register", label: "Register" }, { id: "kris", label: "KRIs" }, { id: "proposals", label: "Proposals" }];
const STATUSES = ["identified", "assessed", "treated", "accepted", "closed"] as const;
const TREATMENTS = ["mitigate", "accept", "transfer", "avoid"] as const;

function Register({ selected, onSelect }: { selected: string | null; onSelect: (id: string) => void }) {
  const [filters, setFilters] = useState<{ status?: RiskFilters["status"]; treatment?: RiskFilters["treatment"]; q?: string }>({});
  const [cell, setCell] = useState<CellPick | null>(null);
  const heat = useHeatMap();
  const risks = useRisks({ ...filters, ...(cell ? { cell: cell.which, likelihood: cell.likelihood, impact: cell.impact } : {}) });
  const size = heat.data?.size ?? 5;
  return (
    <div className="stack">
      <Card title="Heat map" id="risk-heat" actions={cell && <Button size="sm" onClick={() => setCell(null)}>Clear cell filter</Button>}>
        <QueryState query={heat}>{(data) => (
          <div className="risks-maps">
            <HeatMap data={data} which="inherent" picked={cell} onPick={setCell} />
            <HeatMap data={data} which="residual" picked={cell} onPick={setCell} />
          </div>
        )}</QueryState>
      </Card>
      <div className="risks-layout">
        <Card title="Risks" id="risk-table">
          <div className="form-row" role="group" aria-label="Filters">
            <select aria-label="Status" value={filters.status ?? ""} onChange={(event) => setFilters({ ...filters, status: (event.target.value || undefined) as RiskFilters["status"] })}>
              <option value="">every status</option>{STATUSES.map((status) => <option key={status} value={status}>{humanize(status)}</option>)}
            </select>
            <select aria-label="Treatment" value={filters.treatment ?? ""} onChange={(event) => setFilters({ ...filters, treatment: (event.target.value || undefined) as RiskFilters["treatment"] })}>
              <option value="">every treatment</option>{TREATMENTS.map((treatment) => <option key={treatment} value={treatment}>{humanize(treatment)}</option>)}
            </select>
            <input aria-label="Search risks" placeholder="search" value={filters.q ?? ""} onChange={(event) => setFilters({ ...filters, q: event.target.value || undefined })} />
          </div>
          <QueryState query={risks} isEmpty={(page) => page.total === 0} empty={<EmptyState title="No risk matches" icon="alert" />}>
            {(page) => (
              <table className="simple-table">
                <thead><tr><th scope="col">Risk</th><th scope="col">Inherent</th><th scope="col">Residual</th><th scope="col">Status</th><th scope="col">Owner</th></tr></thead>
                <tbody>{page.risks.map((risk) => (
                  <tr key={risk.id} className="risk-row" aria-selected={risk.id === selected} onClick={() => onSelect(risk.id)}>
                    <td><button type="button" className="link-button" onClick={() => onSelect(risk.id)}>{risk.title}</button></td>
                    <td><LevelChip cell={risk.inherent} /></td>
                    <td><LevelChip cell={risk.residual} />{risk.computed_residual ? " computed" : risk.residual_estimate ? " estimate" : ""}</td>
                    <td>{humanize(risk.status)}</td><td>{risk.owner || "—"}</td>
                  </tr>
                ))}</tbody>
              </table>
            )}
          </QueryState>
        </Card>
        {selected ? <RiskDetailPanel key={selected} riskId={selected} size={size} /> : <Card title="Risk detail"><p className="small muted">Choose a risk to see its treatment, controls, acceptance and history.</p></Card>}
      </div>
      <RiskEvents />
    </div>
  );
}

export default function RisksPage() {
  const [tab, setTab] = useState<Tab>("register");
  const [selected, setSelected] = useState<string | null>(null);
  const [dialog, setDialog] = useState<"new" | "finding" | null>(null);
  const matrix = useMatrix();
  const setMatrix = useSetMatrix();
  const canWrite = useCan("risks:write");
  const size = matrix.data?.size ?? 5;
  const show = (id: string) => { setSelected(id); setTab("register"); };
  return (
    <div className="page">
      <PageHeader title="Risk register" subtitle="Risks on the team's matrix, treated with SCF controls whose live state computes the residual; KRIs and proposals from live data"
        actions={canWrite && <>
          <select aria-label="Matrix" value={size} onChange={(event) => setMatrix.mutate(Number(event.target.value) as 3 | 4 | 5)}>
            {[3, 4, 5].map((value) => <option key={value} value={value}>{value}×{value} matrix</option>)}
          </select>
          <Button icon="plus" onClick={() => setDialog("finding")}>Risk from a finding</Button>
          <Button variant="primary" icon="plus" onClick={() => setDialog("new")}>New risk</Button>
        </>} />
      {setMatrix.isError && <InlineError error={setMatrix.error} />}
      <Tabs tabs={TABS} value={tab} onChange={setTab} label="Risk register" />
      <div style={{ paddingTop: "var(--space-4)" }}>
        {tab === "register" && <Register selected={selected} onSelect={setSelected} />}
        {tab === "kris" && <KriTiles />}
        {tab === "proposals" && <ProposalsInbox onAccepted={show} />}
      </div>
      <NewRiskDialog open={dialog === "new"} size={size} onClose={() => setDialog(null)} onCreated={(risk) => show(risk.id)} />
      <FromFindingDialog open={dialog === "finding"} size={size} onClose={() => setDialog(null)} onCreated={(risk) => show(risk.id)} />
    </div>
  );
}
