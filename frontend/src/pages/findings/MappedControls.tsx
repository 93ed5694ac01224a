import { Link } from "react-router-dom";
import { useFindingControls, type ControlStatus, type MappingReason } from "../../api/hooks/compliance";
import { Pill } from "../../components/badges";
import { humanize } from "../../components/format";
import { ErrorState, Skeleton } from "../../components/ui";

export const CONTROL_TONE: Record<ControlStatus, "good" | "warn" | "bad" | "neutral" | "info"> = {
  implemented: "good", partially_implemented: "warn", not_implemented: "bad", not_assessed: "neutral", not_applicable: "info",
};

const METHOD_LABEL: Record<string, string> = {
  rule: "Tool check",
  cwe: "CWE",
  category: "Finding category",
  compliance_tag: "Tool's framework tag",
  keyword: "Keyword match",
};

/** One sentence saying why the engine linked the finding to the control. */
export function describeReason(why: MappingReason): string {
  const method = METHOD_LABEL[why.method] ?? humanize(why.method);
  const score = why.score != null ? ` (score ${why.score.toFixed(2)})` : "";
  return `${method}: ${why.detail}${score}`;
}

export function MappedControls({ dedupKey }: { dedupKey: string }) {
  const controls = useFindingControls(dedupKey);
  if (controls.isPending) return <Skeleton rows={2} />;
  if (controls.isError) return <ErrorState error={controls.error} onRetry={() => controls.refetch()} title="Could not load the mapped controls" />;
  if (!controls.data.length) {
    return <p className="muted">Not mapped to any SCF control: no rule, CWE, category, framework tag or keyword of this finding matches one.</p>;
  }
  return (
    <ul className="mapped-controls" aria-label="Mapped controls">
      {controls.data.map((control) => (
        <li key={control.scf_id}>
          <Link to={`/compliance?control=${encodeURIComponent(control.scf_id)}`} className="mapped-control">
            <span className="mapped-head">
              <code className="mapped-id">{control.scf_id}</code>
              <span className="mapped-title">{control.title ?? "Control not in the active SCF registry"}</span>
              <Pill tone={CONTROL_TONE[control.status] ?? "neutral"}>{humanize(control.status)}</Pill>
            </span>
            <span className="mapped-why">
              <span className="sr-only">Why: </span>{describeReason(control.why)}
              {control.why.rule && control.why.rule !== control.why.method && control.why.rule !== "keyword" && <> · rule <code>{control.why.rule}</code></>}
            </span>
          </Link>
        </li>
      ))}
    </ul>
  );
}
