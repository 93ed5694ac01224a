import { useCallback, useMemo, useState } from "react";
import { useSearchParams } from "react-router-dom";
import type { RowSelectionState } from "@tanstack/react-table";
import { useFindingCounts, useFindingGroups, useFindingsInfinite } from "../../api/hooks/findings";
import { SEVERITIES, type FindingSort, type FindingSummary } from "../../api/types";
import { useCan } from "../../app/AuthGate";
import { useModuleOn } from "../../app/modules";
import { formatNumber, SEVERITY_LABEL } from "../../components/format";
import { Button, EmptyState, ErrorState, PageHeader, Skeleton } from "../../components/ui";
import { FilterBar } from "./FilterBar";
import { FindingDrawer } from "./FindingDrawer";
import { FindingGroupsTable, GROUP_LABELS, type FindingGrouping } from "./FindingGroupsTable";
import { FindingsTable } from "./FindingsTable";
import { FindingsToolbar } from "./FindingsToolbar";
import { ImportDialog } from "./ImportDialog";
import { TriageDialog, type TriageAction } from "./TriageDialog";
import { activeFilterCount, paramsFromView, viewFromParams, type FindingView } from "./filterState";

export default function FindingsPage() {
  const [params, setParams] = useSearchParams();
  const threatIntelOn = useModuleOn("threat_intel");
  // Without threat intelligence nothing is scored: the default priority order falls back to severity.
  const view = useMemo(() => {
    const chosen = viewFromParams(params);
    return !threatIntelOn && chosen.sort === "priority" ? { ...chosen, sort: "severity" as const } : chosen;
  }, [params, threatIntelOn]);
  const findingId = params.get("finding");
  const canWrite = useCan("findings:write");
  const canImport = useCan("findings:import");
  const [selection, setSelection] = useState<RowSelectionState>({});
  const [triage, setTriage] = useState<{ action: TriageAction; ids: string[] } | null>(null);
  const [importing, setImporting] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);

  const groupParam = params.get("group");
  const grouping = groupParam && groupParam in GROUP_LABELS ? (groupParam as FindingGrouping) : null;
  const groups = useFindingGroups(view.filters, grouping);
  const list = useFindingsInfinite(view);
  const counts = useFindingCounts(view.filters);
  const rows = useMemo(() => list.data?.pages.flatMap((page) => page.items) ?? [], [list.data]);
  const selectedIds = Object.keys(selection).filter((id) => selection[id]);

  const setView = useCallback(
    (next: FindingView) => {
      setSelection({});
      setParams((current) => paramsFromView(next, current), { replace: true });
    },
    [setParams],
  );
  const open = useCallback(
    (finding: FindingSummary) => setParams((current) => { const next = new URLSearchParams(current); next.set("finding", finding.id); return next; }),
    [setParams],
  );
  const closeDrawer = () => setParams((current) => { const next = new URLSearchParams(current); next.delete("finding"); return next; });
  const setGrouping = (by: FindingGrouping | null) =>
    setParams((current) => { const next = new URLSearchParams(current); if (by) next.set("group", by); else next.delete("group"); return next; }, { replace: true });
  // A group opens its findings: the group's key becomes the matching filter, and grouping ends.
  const openGroup = (key: string) => {
    if (!grouping) return;
    const filter = grouping === "resource" ? { resource: key } : { [grouping]: key };
    setParams(paramsFromView({ ...view, filters: { ...view.filters, ...filter } }), { replace: false });
  };
  const loadMore = useCallback(() => { if (!list.isFetchingNextPage) list.fetchNextPage(); }, [list]);

  const total = counts.data?.total;
  const severityCounts = counts.data?.by_severity ?? {};

  return (
    <div className="page page-findings">
      <PageHeader
        title="Findings"
        subtitle={total == null ? "Every scanner's results, deduplicated" : `${formatNumber(total)} ${total === 1 ? "finding matches" : "findings match"}${counts.data?.overdue ? ` · ${formatNumber(counts.data.overdue)} past their SLA` : ""}`}
        actions={canImport && <Button variant="primary" icon="upload" onClick={() => setImporting(true)}>Import report</Button>}
      />
      <div className="severity-strip" role="group" aria-label="Filter by severity">
        {SEVERITIES.map((severity) => {
          const active = view.filters.severity?.includes(severity);
          return (
            <button
              key={severity}
              type="button"
              className={`sev-chip sev-chip-${severity} ${active ? "sev-chip-active" : ""}`}
              aria-pressed={!!active}
              onClick={() => setView({ ...view, filters: { ...view.filters, severity: active ? view.filters.severity!.filter((item) => item !== severity) : [...(view.filters.severity ?? []), severity] } })}
            >
              <span className="sev-chip-label">{SEVERITY_LABEL[severity]}</span>
              <span className="sev-chip-count">{counts.data ? formatNumber(severityCounts[severity] ?? 0) : "…"}</span>
            </button>
          );
        })}
      </div>
      <FilterBar view={view} counts={counts.data} onChange={setView} />
      {notice && (
        <div className="toast" role="status">
          {notice}
          <button type="button" className="icon-btn" aria-label="Dismiss" onClick={() => setNotice(null)}>×</button>
        </div>
      )}
      {selectedIds.length > 0 && canWrite && (
        <div className="bulk-bar" role="toolbar" aria-label="Bulk triage">
          <span><strong>{selectedIds.length}</strong> selected</span>
          <Button size="sm" onClick={() => setTriage({ action: "false_positive", ids: selectedIds })}>False positive</Button>
          <Button size="sm" onClick={() => setTriage({ action: "risk_accepted", ids: selectedIds })}>Accept risk</Button>
          <Button size="sm" onClick={() => setTriage({ action: "assign", ids: selectedIds })}>Assign</Button>
          <Button size="sm" onClick={() => setTriage({ action: "suppressed", ids: selectedIds })}>Suppress</Button>
          <Button size="sm" onClick={() => setTriage({ action: "open", ids: selectedIds })}>Reopen</Button>
          <Button size="sm" variant="ghost" onClick={() => setSelection({})}>Clear selection</Button>
        </div>
      )}
      <FindingsToolbar filters={view.filters} grouping={grouping} onGrouping={setGrouping} />
      <div className="table-card">
        {grouping ? (
          groups.isPending ? <Skeleton rows={8} />
            : groups.isError ? <ErrorState error={groups.error} onRetry={() => groups.refetch()} title="Could not group findings" />
              : groups.data.groups.length === 0 ? <EmptyState title="No findings to group" icon="filter"><p>No finding matches these filters.</p></EmptyState>
                : <FindingGroupsTable data={groups.data} by={grouping} onOpen={openGroup} />
        ) : list.isPending ? (
          <Skeleton rows={10} />
        ) : list.isError ? (
          <ErrorState error={list.error} onRetry={() => list.refetch()} title="Could not load findings" />
        ) : rows.length === 0 ? (
          activeFilterCount(view.filters) > 1 || view.filters.q ? (
            <EmptyState title="No findings match these filters" icon="filter">
              <p>Try removing a filter, or search for something else.</p>
            </EmptyState>
          ) : (
            <EmptyState title="No active findings" icon="check">
              <p>Import a scanner report or run a scan to see findings here.</p>
              {canImport && <Button variant="primary" icon="upload" onClick={() => setImporting(true)}>Import report</Button>}
            </EmptyState>
          )
        ) : (
          <FindingsTable
            rows={rows}
            total={total}
            hasMore={!!list.hasNextPage}
            loadingMore={list.isFetchingNextPage}
            onLoadMore={loadMore}
            sort={view.sort}
            order={view.order}
            onSort={(sort: FindingSort, order) => setView({ ...view, sort, order })}
            selection={selection}
            onSelectionChange={setSelection}
            onOpen={open}
            activeId={findingId}
            stale={list.isPlaceholderData}
          />
        )}
        {list.isFetchingNextPage && list.isError && <ErrorState error={list.error} />}
      </div>
      <FindingDrawer findingId={findingId} onClose={closeDrawer} onAction={(action, id) => setTriage({ action, ids: [id] })} />
      <TriageDialog
        action={triage?.action ?? null}
        ids={triage?.ids ?? []}
        onClose={() => setTriage(null)}
        onDone={(message) => {
          setTriage(null);
          setSelection({});
          setNotice(message);
        }}
      />
      <ImportDialog open={importing} onClose={() => setImporting(false)} />
    </div>
  );
}
