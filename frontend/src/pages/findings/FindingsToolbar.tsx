/** Above the findings list: group by rule, CVE or resource, and export the filtered list (CSV, JSON, OCSF, SARIF). */
import { useDownload } from "../../api/hooks/download";
import type { ExportFormat, FindingFilters } from "../../api/types";
import { useCan } from "../../app/AuthGate";
import { useModuleOn } from "../../app/modules";
import { Button } from "../../components/ui";
import { EXPORT_FORMATS, exportFileName, exportPath } from "./exportPath";
import { GROUP_LABELS, type FindingGrouping } from "./FindingGroupsTable";

export function FindingsToolbar({ filters, grouping, onGrouping }: { filters: FindingFilters; grouping: FindingGrouping | null; onGrouping: (by: FindingGrouping | null) => void }) {
  const exportsOn = useModuleOn("exports");
  const canExport = useCan("exports:read");
  const { busy, error, start } = useDownload();
  const download = (format: ExportFormat) => start(format, exportPath(filters, format), exportFileName(format));

  return (
    <div className="findings-toolbar">
      <span className="muted small">Group by</span>
      <div className="segmented" role="group" aria-label="Group findings by">
        <button type="button" className={`${grouping === null ? "segmented-active" : ""}`} aria-pressed={grouping === null} onClick={() => onGrouping(null)}>None</button>
        {(Object.keys(GROUP_LABELS) as FindingGrouping[]).map((by) => (
          <button key={by} type="button" className={`${grouping === by ? "segmented-active" : ""}`} aria-pressed={grouping === by} onClick={() => onGrouping(by)}>
            {GROUP_LABELS[by]}
          </button>
        ))}
      </div>
      {exportsOn && canExport ? (
        <div className="export-buttons" role="group" aria-label="Export the filtered findings">
          <span className="muted small">Export</span>
          {EXPORT_FORMATS.map(({ format, label, hint }) => (
            <Button key={format} size="sm" variant="ghost" title={hint} busy={busy === format} disabled={busy !== null} onClick={() => download(format)}>
              {label}
            </Button>
          ))}
        </div>
      ) : (
        <span className="muted small">{exportsOn ? "Exports need the exports:read permission" : "Exports are switched off for this team"}</span>
      )}
      {error && <p className="field-error" role="alert">Export failed: {error}</p>}
    </div>
  );
}
