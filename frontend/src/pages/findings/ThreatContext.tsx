/** The finding drawer's threat intelligence: the explained priority, the KEV entry, EPSS and indicator matches. */
import type { FindingDetail } from "../../api/types";
import { useCan } from "../../app/AuthGate";
import { useModuleOn } from "../../app/modules";
import { Pill } from "../../components/badges";
import { CorrelationList } from "../threat_intel/ThreatIntelPage";

interface KevFlag { cve_ids?: string[]; date_added?: string; due_date?: string; required_action?: string; ransomware?: string; vulnerability_name?: string }
interface EpssValue { score: number; percentile?: number | null; date?: string | null; source?: string; cve_id?: string | null }

/** 1st, 2nd, 3rd, 4th … 11th, 12th, 13th, 21st: as the backend's explanation words it. */
export function ordinal(value: number): string {
  const suffix = value % 100 >= 10 && value % 100 <= 20 ? "th" : ({ 1: "st", 2: "nd", 3: "rd" } as Record<number, string>)[value % 10] ?? "th";
  return `${value}${suffix}`;
}

export function ThreatContext({ finding }: { finding: FindingDetail }) {
  const on = useModuleOn("threat_intel");
  const canRead = useCan("threat_intel:read");
  if (!on) {
    return <p className="muted" data-testid="threat-intel-off">Threat intelligence is switched off for this team: no KEV flag, EPSS or priority score is computed.</p>;
  }
  const kev = finding.kev as KevFlag | null | undefined;
  const epss = finding.epss as EpssValue | null | undefined;
  return (
    <>
      {finding.priority == null ? (
        <p className="muted">Not scored yet: the priority is computed when the finding is imported or the catalogues change.</p>
      ) : (
        <div data-testid="priority-explanation">
          <p><strong>Priority {finding.priority.toFixed(1)}</strong> / 100 — {finding.priority_explanation}</p>
          {finding.priority_factors.length > 0 && (
            <ul className="priority-factors" aria-label="Priority factors">
              {finding.priority_factors.map((factor) => (
                <li key={String(factor.factor)}><span className="priority-points">+{Number(factor.points).toFixed(1)}</span><span>{String(factor.reason)}</span></li>
              ))}
            </ul>
          )}
        </div>
      )}
      {kev && (
        <div className="callout callout-warn" data-testid="kev-flag">
          <strong>Known exploited</strong> ({(kev.cve_ids ?? []).join(", ")}) — in CISA KEV since {kev.date_added}; due {kev.due_date}.
          {kev.ransomware === "Known" && <> <Pill tone="bad">ransomware use known</Pill></>}
          {kev.required_action && <p className="small">Required action: {kev.required_action}</p>}
        </div>
      )}
      {epss && (
        <p className="small">EPSS {epss.score.toFixed(3)}{epss.percentile != null ? ` (${Math.floor(epss.percentile * 100)}th percentile)` : ""} from {epss.source ?? "?"}{epss.date ? ` of ${epss.date}` : ""}{epss.cve_id ? ` for ${epss.cve_id}` : ""}.</p>
      )}
      {canRead && (
        <>
          <h4 className="small">Indicator matches</h4>
          <CorrelationList findingId={finding.id} />
        </>
      )}
    </>
  );
}
