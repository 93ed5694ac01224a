/**
 * Server-side sorted, filtered and cursor-paged findings, rendered with TanStack Table and
 * virtualised with TanStack Virtual: only the visible rows are in the DOM, pages are fetched
 * as the user scrolls, so 100k+ findings stay smooth.
 */
import { useEffect, useMemo, useRef, useState, type KeyboardEvent } from "react";
import { createColumnHelper, flexRender, getCoreRowModel, useReactTable, type RowSelectionState } from "@tanstack/react-table";
import { useVirtualizer } from "@tanstack/react-virtual";
import type { FindingSort, FindingSummary } from "../../api/types";
import { SeverityBadge, StatusBadge } from "../../components/badges";
import { formatDate, formatDateTime, formatNumber, formatShortDate, humanize, resourceLabel, ruleLine, timeAgo } from "../../components/format";
import { Identifier } from "../../components/ui";

export const ROW_HEIGHT = 56;
/** At phone width the table keeps the columns that tell findings apart and scrolls sideways for the rest. */
export const COMPACT_QUERY = "(max-width: 640px)";
const COMPACT_HIDDEN = { priority: false, kev: false, epss: false, source_tool: false, last_seen: false, assignee: false };

function useMediaQuery(query: string): boolean {
  const [matches, setMatches] = useState(() => typeof window !== "undefined" && !!window.matchMedia?.(query).matches);
  useEffect(() => {
    const list = window.matchMedia?.(query);
    if (!list) return;
    const update = () => setMatches(list.matches);
    update();
    list.addEventListener("change", update);
    return () => list.removeEventListener("change", update);
  }, [query]);
  return matches;
}
const HEADER_HEIGHT = 40;

/**
 * The rows a reader actually sees in the scroll box (at least half of a row showing), as 0-based
 * indexes; the sticky header covers the top of the box.
 */
export function visibleRows(scrollTop: number, viewportHeight: number, loaded: number, headerHeight = HEADER_HEIGHT): { first: number; last: number } | null {
  if (loaded === 0) return null;
  const first = Math.min(loaded - 1, Math.max(0, Math.round(scrollTop / ROW_HEIGHT)));
  const last = Math.min(loaded - 1, Math.max(first, Math.round((scrollTop + viewportHeight - headerHeight) / ROW_HEIGHT) - 1));
  return { first, last };
}
const column = createColumnHelper<FindingSummary>();

const SORTABLE: Record<string, FindingSort> = { priority: "priority", severity: "severity", title: "title", first_seen: "first_seen", last_seen: "last_seen" };

export interface FindingsTableProps {
  rows: FindingSummary[];
  total?: number;
  hasMore: boolean;
  loadingMore: boolean;
  onLoadMore: () => void;
  sort: FindingSort;
  order: "asc" | "desc";
  onSort: (sort: FindingSort, order: "asc" | "desc") => void;
  selection: RowSelectionState;
  onSelectionChange: (selection: RowSelectionState) => void;
  onOpen: (finding: FindingSummary) => void;
  activeId?: string | null;
  /** The rows are the previous filter's, shown while the new ones load: marked busy and dimmed. */
  stale?: boolean;
}

export function FindingsTable({
  rows, total, hasMore, loadingMore, onLoadMore, sort, order, onSort, selection, onSelectionChange, onOpen, activeId, stale = false,
}: FindingsTableProps) {
  const columns = useMemo(
    () => [
      column.display({
        id: "select",
        size: 48,
        header: ({ table }) => (
          <input
            type="checkbox"
            aria-label="Select all loaded findings"
            checked={table.getIsAllRowsSelected()}
            ref={(element) => {
              if (element) element.indeterminate = table.getIsSomeRowsSelected();
            }}
            onChange={table.getToggleAllRowsSelectedHandler()}
          />
        ),
        cell: ({ row }) => (
          <input
            type="checkbox"
            aria-label={`Select ${row.original.title}`}
            checked={row.getIsSelected()}
            onChange={row.getToggleSelectedHandler()}
            onClick={(event) => event.stopPropagation()}
            tabIndex={-1}
          />
        ),
      }),
      column.accessor("priority", {
        header: "Priority",
        size: 92,
        cell: (info) => (info.getValue() == null ? <span className="muted" title="Not scored (threat intelligence off or not run yet)">—</span> : <span className="mono">{info.getValue()!.toFixed(0)}</span>),
      }),
      column.accessor("severity", { header: "Severity", size: 108, cell: (info) => <SeverityBadge severity={info.getValue()} /> }),
      column.accessor("title", {
        header: "Finding",
        size: 300,
        cell: (info) => (
          <div className="cell-title">
            <span className="cell-main cell-clamp" title={info.getValue()}>{info.getValue()}</span>
            <span className="cell-sub">{ruleLine(info.row.original.rule_id, info.row.original.cve_ids)}</span>
          </div>
        ),
      }),
      column.accessor((finding) => resourceLabel(finding.resource), {
        id: "resource",
        header: "Resource",
        size: 240,
        cell: (info) => (
          <div className="cell-title">
            <Identifier value={info.getValue()} className="cell-main mono" />
            <span className="cell-sub">{String(info.row.original.resource.type ?? "")}</span>
          </div>
        ),
      }),
      column.accessor("kev", {
        header: "KEV",
        size: 92,
        cell: (info) => {
          const kev = info.getValue() as { due_date?: string; cve_ids?: string[] } | null | undefined;
          if (!kev) return <span className="muted">—</span>;
          return <span className="kev-tag" title={`CISA KEV ${(kev.cve_ids ?? []).join(", ")}, due ${kev.due_date ?? "?"}`}>KEV</span>;
        },
      }),
      column.accessor((finding) => (finding.epss as { score?: number } | null | undefined)?.score ?? null, {
        id: "epss",
        header: "EPSS",
        size: 76,
        cell: (info) => (info.getValue() == null ? <span className="muted">—</span> : <span className="mono">{info.getValue()!.toFixed(2)}</span>),
      }),
      column.accessor("source_tool", { header: "Tool", size: 92, cell: (info) => <span className="tool-tag">{humanize(info.getValue())}</span> }),
      column.accessor("status", { header: "Status", size: 124, cell: (info) => <StatusBadge status={info.getValue()} /> }),
      column.accessor("last_seen", { header: "Last seen", size: 132, cell: (info) => <span title={formatDateTime(info.getValue())}>{timeAgo(info.getValue())}</span> }),
      column.accessor("sla_due_at", {
        header: "SLA due",
        size: 108,
        cell: (info) => (
          <span className={info.row.original.overdue ? "overdue" : undefined} title={info.getValue() ? formatDate(info.getValue()) : undefined}>
            {info.getValue() ? formatShortDate(info.getValue()) : "—"}
            {info.row.original.overdue && <span className="sr-only"> (overdue)</span>}
          </span>
        ),
      }),
      column.accessor("assignee", { header: "Assignee", size: 116, cell: (info) => info.getValue() ?? <span className="muted">Unassigned</span> }),
    ],
    [],
  );

  const compact = useMediaQuery(COMPACT_QUERY);
  const table = useReactTable({
    data: rows,
    columns,
    getRowId: (row) => row.id,
    getCoreRowModel: getCoreRowModel(),
    manualSorting: true,
    manualFiltering: true,
    manualPagination: true,
    enableRowSelection: true,
    state: { rowSelection: selection, columnVisibility: compact ? COMPACT_HIDDEN : {} },
    onRowSelectionChange: (updater) => onSelectionChange(typeof updater === "function" ? updater(selection) : updater),
  });

  const scrollRef = useRef<HTMLDivElement>(null);
  const tableRows = table.getRowModel().rows;
  const count = hasMore ? tableRows.length + 1 : tableRows.length;
  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
    initialRect: { width: 1200, height: 640 },
  });
  const items = virtualizer.getVirtualItems();
  const lastIndex = items.length ? items[items.length - 1].index : 0;

  useEffect(() => {
    if (hasMore && !loadingMore && lastIndex >= tableRows.length - 30) onLoadMore();
  }, [hasMore, loadingMore, lastIndex, tableRows.length, onLoadMore]);

  // Keyboard: ↑/↓ move, Enter opens, Space selects, Home/End jump.
  const [focusIndex, setFocusIndex] = useState(0);
  function focusRow(index: number) {
    const clamped = Math.max(0, Math.min(index, tableRows.length - 1));
    setFocusIndex(clamped);
    virtualizer.scrollToIndex(clamped, { align: "auto" });
    requestAnimationFrame(() => scrollRef.current?.querySelector<HTMLElement>(`[data-index="${clamped}"]`)?.focus());
  }
  function onKeyDown(event: KeyboardEvent<HTMLTableRowElement>, index: number) {
    const row = tableRows[index];
    if (!row) return;
    const moves: Record<string, number> = { ArrowDown: index + 1, ArrowUp: index - 1, Home: 0, End: tableRows.length - 1, PageDown: index + 10, PageUp: index - 10 };
    if (event.key in moves) {
      event.preventDefault();
      focusRow(moves[event.key]);
    } else if (event.key === "Enter") {
      event.preventDefault();
      onOpen(row.original);
    } else if (event.key === " ") {
      event.preventDefault();
      row.toggleSelected();
    }
  }

  // "Rows 1–11 of 13": what the box shows, next to how many match, updated as it scrolls.
  const [view, setView] = useState({ top: 0, height: 0 });
  function measureView() {
    const element = scrollRef.current;
    if (!element) return;
    const next = { top: element.scrollTop, height: element.clientHeight };
    setView((previous) => (previous.top === next.top && previous.height === next.height ? previous : next));
  }
  useEffect(() => {
    measureView();
    const element = scrollRef.current;
    if (!element || typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver(() => measureView());
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  const headerHeight = scrollRef.current?.querySelector("thead")?.getBoundingClientRect().height || HEADER_HEIGHT;
  const shown = visibleRows(view.top, view.height, tableRows.length, headerHeight);
  const of = total ?? tableRows.length;

  const paddingTop = items.length ? items[0].start : 0;
  const paddingBottom = items.length ? virtualizer.getTotalSize() - items[items.length - 1].end : 0;
  // The title column takes the remaining width (at least 240 px); the others have fixed widths.
  const titleMin = compact ? 200 : 240;
  const width = table.getVisibleLeafColumns().reduce((sum, col) => sum + (col.id === "title" ? titleMin : col.id === "select" && compact ? 40 : col.getSize()), 0);

  return (
    <>
    <div className="table-scroll" ref={scrollRef} aria-label="Findings" tabIndex={-1} onScroll={measureView}>
      <table className={`data-table ${compact ? "data-table-compact" : ""} ${stale ? "data-table-stale" : ""}`} style={{ minWidth: width }} aria-rowcount={total ?? tableRows.length} aria-multiselectable="true" aria-busy={stale || undefined}>
        <colgroup>
          {table.getVisibleLeafColumns().map((col) => (
            <col key={col.id} style={col.id === "title" ? undefined : { width: col.id === "select" && compact ? 40 : col.getSize() }} />
          ))}
        </colgroup>
        <thead>
          {table.getHeaderGroups().map((group) => (
            <tr key={group.id}>
              {group.headers.map((header) => {
                const sortKey = SORTABLE[header.column.id];
                const active = sortKey === sort;
                return (
                  <th key={header.id} aria-sort={active ? (order === "asc" ? "ascending" : "descending") : undefined} scope="col">
                    {sortKey ? (
                      <button
                        type="button"
                        className={`sort-button ${active ? "sort-active" : ""}`}
                        onClick={() => onSort(sortKey, active && order === "desc" ? "asc" : "desc")}
                      >
                        {flexRender(header.column.columnDef.header, header.getContext())}
                        <span className="sort-arrow" aria-hidden="true">{active ? (order === "asc" ? "↑" : "↓") : "↕"}</span>
                      </button>
                    ) : (
                      flexRender(header.column.columnDef.header, header.getContext())
                    )}
                  </th>
                );
              })}
            </tr>
          ))}
        </thead>
        <tbody>
          {paddingTop > 0 && (
            <tr aria-hidden="true" style={{ height: paddingTop }}>
              <td colSpan={table.getVisibleLeafColumns().length} />
            </tr>
          )}
          {items.map((item) => {
            const row = tableRows[item.index];
            if (!row) {
              return (
                <tr key="loader" className="loader-row" style={{ height: ROW_HEIGHT }}>
                  <td colSpan={table.getVisibleLeafColumns().length}>
                    <span className="spinner spinner-sm" aria-hidden="true" /> Loading more findings…
                  </td>
                </tr>
              );
            }
            return (
              <tr
                key={row.id}
                data-index={item.index}
                aria-rowindex={item.index + 2}
                aria-selected={row.getIsSelected()}
                className={`${row.getIsSelected() ? "row-selected" : ""} ${row.id === activeId ? "row-active" : ""}`}
                style={{ height: ROW_HEIGHT }}
                tabIndex={item.index === focusIndex ? 0 : -1}
                onFocus={() => setFocusIndex(item.index)}
                onClick={() => onOpen(row.original)}
                onKeyDown={(event) => onKeyDown(event, item.index)}
              >
                {row.getVisibleCells().map((cell) => (
                  <td key={cell.id}>{flexRender(cell.column.columnDef.cell, cell.getContext())}</td>
                ))}
              </tr>
            );
          })}
          {paddingBottom > 0 && (
            <tr aria-hidden="true" style={{ height: paddingBottom }}>
              <td colSpan={table.getVisibleLeafColumns().length} />
            </tr>
          )}
        </tbody>
      </table>
    </div>
    <div className="table-footer" data-testid="visible-range">
      {shown ? (
        <>Showing rows {formatNumber(shown.first + 1)}–{formatNumber(shown.last + 1)} of {formatNumber(of)}{hasMore && total == null ? "+" : ""}{shown.last + 1 < of ? " · scroll the table for more" : ""}</>
      ) : "No rows"}
    </div>
    </>
  );
}
