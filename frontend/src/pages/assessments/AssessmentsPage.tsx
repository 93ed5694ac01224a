import { useState } from "react";
import { useSearchParams } from "react-router-dom";
import { useAssessments } from "../../api/hooks/assessments";
import { useCan } from "../../app/AuthGate";
import { formatDate } from "../../components/format";
import { Button, EmptyState, PageHeader, QueryState } from "../../components/ui";
import { AssessmentView, ProgressBar, StatusPill } from "./AssessmentView";
import { CreateWizard } from "./CreateWizard";

/** Assessments: OWASP ASVS 5.0 and NIST CSF 2.0 questionnaires whose answers feed the SCF controls. */
export default function AssessmentsPage() {
  const [params, setParams] = useSearchParams();
  const id = params.get("id");
  const canWrite = useCan("assessments:write");
  const [creating, setCreating] = useState(false);
  const list = useAssessments();
  return (
    <div className="page">
      <PageHeader title="Assessments" subtitle="OWASP ASVS 5.0 and NIST CSF 2.0; answers feed the SCF controls and, through them, ISO 27001, SOC 2 and PCI DSS."
        actions={canWrite && !id && <Button variant="primary" icon="plus" onClick={() => setCreating(true)}>New assessment</Button>} />
      {id ? <AssessmentView id={id} onBack={() => setParams({})} /> : (
        <QueryState query={list}>
          {(items) => items.length === 0 ? (
            <EmptyState title="No assessment yet" icon="compliance">Start an OWASP ASVS review of a web application or a NIST CSF 2.0 profile.</EmptyState>
          ) : (
            <div className="framework-grid">
              {items.map((item) => (
                <button key={item.id} type="button" className="framework-card assessment-card" onClick={() => setParams({ id: item.id })} aria-label={`${item.name}: ${item.progress.answered} of ${item.progress.in_scope} answered`}>
                  <div className="framework-head"><span className="framework-name">{item.name}</span><StatusPill status={item.status} /></div>
                  <ProgressBar answered={item.progress.answered} inScope={item.progress.in_scope} label={`${item.name} progress`} />
                  <div className="framework-meta">
                    <span>{item.framework} {item.version}{item.level ? ` L${item.level}` : ""}</span>
                    <span><strong>{item.progress.answered}</strong>/{item.progress.in_scope}{item.suggested ? ` · ${item.suggested} suggested` : ""}</span>
                  </div>
                  <span className="muted small">{item.due_date ? `due ${formatDate(item.due_date)}` : `updated ${formatDate(item.updated_at)}`}</span>
                </button>
              ))}
            </div>
          )}
        </QueryState>
      )}
      {creating && <CreateWizard onClose={() => setCreating(false)} onCreated={(created) => { setCreating(false); setParams({ id: created.id }); }} />}
    </div>
  );
}
