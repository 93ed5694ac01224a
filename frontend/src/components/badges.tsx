import type { FindingStatus, Severity } from "../api/types";
import { SEVERITY_LABEL, STATUS_LABEL } from "./format";

export function SeverityBadge({ severity }: { severity: Severity }) {
  return (
    <span className={`sev sev-${severity}`}>
      <span className="sev-dot" aria-hidden="true" />
      {SEVERITY_LABEL[severity] ?? severity}
    </span>
  );
}

export function StatusBadge({ status }: { status: FindingStatus }) {
  return <span className={`status status-${status}`}>{STATUS_LABEL[status] ?? status}</span>;
}

export function Pill({ tone = "neutral", children }: { tone?: "neutral" | "good" | "warn" | "bad" | "info"; children: React.ReactNode }) {
  return <span className={`pill pill-${tone}`}>{children}</span>;
}
