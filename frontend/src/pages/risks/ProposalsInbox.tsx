/** Proposed risks from live data, each with its evidence, accepted (a risk is created) or dismissed with a reason. */
import { useState } from "react";
import { useCan } from "../../app/AuthGate";
import { useDecideProposal, useGenerateProposals, useProposals, useRiskEvents } from "../../api/hooks/risks";
import { Pill } from "../../components/badges";
import { formatDateTime, humanize } from "../../components/format";
import { Button, Card, EmptyState, InlineError, QueryState } from "../../components/ui";

export function ProposalsInbox({ onAccepted }: { onAccepted: (riskId: string) => void }) {
  const proposals = useProposals();
  const generate = useGenerateProposals();
  const decide = useDecideProposal();
  const canWrite = useCan("risks:write");
  const [reasons, setReasons] = useState<Record<string, string>>({});
  return (
    <Card title="Proposals" id="proposals" actions={canWrite && <Button size="sm" icon="refresh" busy={generate.isPending} onClick={() => generate.mutate()}>Look for new</Button>}>
      {generate.data?.notes.map((note) => <p key={note} className="small"><Pill tone="warn">note</Pill> {note}</p>)}
      <QueryState query={proposals} isEmpty={(list) => list.length === 0} empty={<EmptyState title="No open proposal" icon="check" />}>
        {(list) => (
          <ul className="stack" style={{ listStyle: "none", padding: 0 }}>{list.map((proposal) => (
            <li key={proposal.id} className="kri-tile">
              <strong>{proposal.title}</strong>
              <span className="small muted">{humanize(proposal.kind)} · {formatDateTime(proposal.created_at)}</span>
              <ul className="evidence small">{proposal.evidence.map((item, index) => (
                <li key={index}>{String(item.type)}: {String(item.title ?? item.detail ?? item.name ?? item.id ?? "")}{item.severity ? ` (${String(item.severity)})` : ""}</li>
              ))}</ul>
              {canWrite && (
                <div className="button-row">
                  <Button variant="primary" size="sm" busy={decide.isPending} onClick={() => decide.mutate({ proposalId: proposal.id, accept: true }, { onSuccess: (done) => done.risk_id && onAccepted(done.risk_id) })}>Accept as risk</Button>
                  <input aria-label={`Reason to dismiss ${proposal.title}`} placeholder="reason to dismiss" value={reasons[proposal.id] ?? ""} onChange={(event) => setReasons({ ...reasons, [proposal.id]: event.target.value })} />
                  <Button size="sm" disabled={!reasons[proposal.id]?.trim()} onClick={() => decide.mutate({ proposalId: proposal.id, accept: false, reason: reasons[proposal.id] })}>Dismiss</Button>
                </div>
              )}
            </li>
          ))}</ul>
        )}
      </QueryState>
      {decide.isError && <InlineError error={decide.error} />}
    </Card>
  );
}

export function RiskEvents() {
  const events = useRiskEvents();
  return (
    <Card title="Register events" id="risk-events">
      <QueryState query={events} isEmpty={(list) => list.length === 0} empty={<p className="small muted">No event: residuals raised by a control regression, KRIs turning red and expired acceptances show here.</p>}>
        {(list) => (
          <ul className="small">{list.map((event) => <li key={event.id}>{formatDateTime(event.at)} · <Pill tone={event.kind === "acceptance_expired" ? "warn" : "bad"}>{humanize(event.kind)}</Pill> {event.detail}{event.owner ? ` · for ${event.owner}` : ""}</li>)}</ul>
        )}
      </QueryState>
    </Card>
  );
}
