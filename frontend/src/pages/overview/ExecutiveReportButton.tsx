/** Downloads the team's executive PDF (posture, trend, top risks, SLA breaches) from the exports module. */
import { useDownload } from "../../api/hooks/download";
import { useCan } from "../../app/AuthGate";
import { useModuleOn } from "../../app/modules";
import { Button } from "../../components/ui";

export function ExecutiveReportButton() {
  const exportsOn = useModuleOn("exports");
  const canExport = useCan("exports:read");
  const { busy, error, start } = useDownload();
  if (!exportsOn || !canExport) return null;
  const download = () => start("report", "/api/exports/executive-report", `executive-report-${new Date().toISOString().slice(0, 10)}.pdf`);
  return (
    <>
      <Button icon="activity" busy={busy !== null} onClick={download} title="Posture, trend, top risks and SLA breaches as PDF">
        Executive report (PDF)
      </Button>
      {error && <span className="field-error" role="alert">{error}</span>}
    </>
  );
}
