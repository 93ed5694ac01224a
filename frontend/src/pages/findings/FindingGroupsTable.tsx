/** Findings grouped by rule, CVE or resource: one row per group with its count; a row opens the group's findings. */
import type { FindingGroups, Severity } from "../../api/types";
import { SEVERITIES } from "../../api/types";
import { SeverityBadge } from "../../components/badges";
import { formatNumber, SEVERITY_LABEL } from "../../components/format";

export const GROUP_LABELS = { rule: "Rule", cve: "CVE", resource: "Resource" } as const;
export type FindingGrouping = keyof typeof GROUP_LABELS;

const WITHOUT: Record<FindingGrouping, string> = { rule: "without a rule id", cve: "without a CVE", resource: "without a resource" };

export function FindingGroupsTable({ data, by, onOpen }: { data: FindingGroups; by: FindingGrouping; onOpen: (key: string) => void }) {
  return (
    <div className="groups-table">
      <p className="muted small groups-summary" aria-live="polite">
        {formatNumber(data.groups.length)} of {formatNumber(data.total_groups)} groups by {by === "cve" ? "CVE" : by}, largest first
        {by === "cve" && " (a finding with several CVEs counts in each)"}
        {data.ungrouped > 0 && ` · ${formatNumber(data.ungrouped)} findings ${WITHOUT[by]}`}
      </p>
      <table className="simple-table" aria-label={`Findings by ${GROUP_LABELS[by].toLowerCase()}`}>
        <thead>
          <tr>
            <th scope="col">{GROUP_LABELS[by]}</th>
            <th scope="col">Worst</th>
            <th scope="col" className="num">Findings</th>
            <th scope="col">By severity</th>
          </tr>
        </thead>
        <tbody>
          {data.groups.map((group) => (
            <tr key={group.key} className="group-row">
              <td className="group-key">
                <button type="button" className="link-button" title={group.key} onClick={() => onOpen(group.key)}>
                  {group.key}
                </button>
                {(group.label || group.tool) && (
                  <span className="list-sub">{[group.tool, group.label !== group.key ? group.label : null].filter(Boolean).join(" · ")}</span>
                )}
              </td>
              <td><SeverityBadge severity={group.worst_severity} /></td>
              <td className="num"><strong>{formatNumber(group.count)}</strong></td>
              <td>
                <div className="group-severities">
                  {SEVERITIES.filter((severity: Severity) => group.by_severity[severity]).map((severity) => (
                    <span key={severity} className={`sev sev-${severity}`} title={SEVERITY_LABEL[severity]}>
                    {formatNumber(group.by_severity[severity])} {SEVERITY_LABEL[severity].toLowerCase()}
                  </span>
                ))}
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
