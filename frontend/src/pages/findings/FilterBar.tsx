import { useEffect, useId, useRef, useState } from "react";
import { CATEGORIES, SEVERITIES, STATUSES, type FindingCounts, type FindingFilters } from "../../api/types";
import { Icon } from "../../components/Icon";
import { humanize, SEVERITY_LABEL, STATUS_LABEL } from "../../components/format";
import { Button, Modal } from "../../components/ui";
import { FacetFilters } from "./FacetFilters";
import { useModuleOn } from "../../app/modules";
import {
  activeFilterCount, DEFAULT_VIEW, deleteSavedFilter, loadSavedFilters, saveFilter, type FindingView, type SavedFilter,
} from "./filterState";

const EPSS_FLOORS = [0.1, 0.5, 0.9];

function toggle<T>(list: T[] | undefined, value: T): T[] {
  const current = list ?? [];
  return current.includes(value) ? current.filter((item) => item !== value) : [...current, value];
}

function MultiSelect<T extends string>({ label, options, selected, onChange, format }: { label: string; options: T[]; selected: T[] | undefined; onChange: (values: T[]) => void; format: (value: T) => string }) {
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  const id = useId();
  useEffect(() => {
    if (!open) return;
    const close = (event: MouseEvent) => ref.current && !ref.current.contains(event.target as Node) && setOpen(false);
    const key = (event: KeyboardEvent) => event.key === "Escape" && setOpen(false);
    document.addEventListener("mousedown", close);
    document.addEventListener("keydown", key);
    return () => {
      document.removeEventListener("mousedown", close);
      document.removeEventListener("keydown", key);
    };
  }, [open]);
  const count = selected?.length ?? 0;
  return (
    <div className="multiselect" ref={ref}>
      <button type="button" className={`filter-button ${count ? "filter-button-active" : ""}`} aria-expanded={open} aria-controls={id} onClick={() => setOpen(!open)}>
        {label}
        {count > 0 && <span className="filter-count">{count}</span>}
        <Icon name="chevronDown" size={14} />
      </button>
      {open && (
        <fieldset id={id} className="popover" aria-label={label}>
          <legend className="sr-only">{label}</legend>
          {options.length === 0 && <p className="muted small">No values yet</p>}
          {options.map((option) => (
            <label key={option} className="check-row">
              <input type="checkbox" checked={selected?.includes(option) ?? false} onChange={() => onChange(toggle(selected, option))} />
              {format(option)}
            </label>
          ))}
          {count > 0 && (
            <button type="button" className="link small" onClick={() => onChange([])}>
              Clear
            </button>
          )}
        </fieldset>
      )}
    </div>
  );
}

export function FilterBar({ view, counts, onChange }: { view: FindingView; counts?: FindingCounts; onChange: (view: FindingView) => void }) {
  const { filters } = view;
  const [text, setText] = useState(filters.q ?? "");
  const [saved, setSaved] = useState<SavedFilter[]>(loadSavedFilters);
  const [saving, setSaving] = useState(false);
  const [name, setName] = useState("");
  const searchId = useId();
  const threatIntelOn = useModuleOn("threat_intel");
  const viewRef = useRef(view);
  viewRef.current = view;

  useEffect(() => setText(filters.q ?? ""), [filters.q]);
  useEffect(() => {
    if ((filters.q ?? "") === text) return;
    const timer = setTimeout(() => onChange({ ...viewRef.current, filters: { ...viewRef.current.filters, q: text || undefined } }), 300);
    return () => clearTimeout(timer);
  }, [text, filters.q, onChange]);

  const set = (patch: Partial<FindingFilters>) => onChange({ ...view, filters: { ...filters, ...patch } });
  const tools = Object.keys(counts?.by_tool ?? {}).sort();
  const active = activeFilterCount(filters);

  return (
    <div className="filterbar" role="search" aria-label="Filter findings">
      <div className="search-box">
        <Icon name="search" size={16} />
        <label htmlFor={searchId} className="sr-only">
          Search findings
        </label>
        <input id={searchId} type="search" placeholder="Search title, rule, resource, package or CVE" value={text} onChange={(event) => setText(event.target.value)} />
      </div>
      <MultiSelect label="Severity" options={SEVERITIES} selected={filters.severity} onChange={(severity) => set({ severity })} format={(value) => SEVERITY_LABEL[value]} />
      <MultiSelect label="Status" options={STATUSES} selected={filters.status} onChange={(status) => set({ status })} format={(value) => STATUS_LABEL[value]} />
      <MultiSelect label="Tool" options={tools} selected={filters.tool} onChange={(tool) => set({ tool })} format={humanize} />
      <MultiSelect label="Category" options={CATEGORIES} selected={filters.category} onChange={(category) => set({ category })} format={humanize} />
      <FacetFilters filters={filters} onChange={set} />
      <label className={`filter-button toggle ${filters.overdue ? "filter-button-active" : ""}`}>
        <input type="checkbox" checked={!!filters.overdue} onChange={(event) => set({ overdue: event.target.checked || undefined })} />
        Overdue
      </label>
      {threatIntelOn && (
        <>
          <label className={`filter-button toggle ${filters.kev ? "filter-button-active" : ""}`}>
            <input type="checkbox" checked={!!filters.kev} onChange={(event) => set({ kev: event.target.checked || undefined })} />
            Known exploited (KEV)
          </label>
          <label className="sr-only" htmlFor={`${searchId}-epss`}>Minimum EPSS</label>
          <select id={`${searchId}-epss`} className={`filter-button ${filters.epss_min ? "filter-button-active" : ""}`} value={String(filters.epss_min ?? "")} onChange={(event) => set({ epss_min: event.target.value ? Number(event.target.value) : undefined })}>
            <option value="">Any EPSS</option>
            {EPSS_FLOORS.map((floor) => <option key={floor} value={String(floor)}>EPSS ≥ {floor}</option>)}
          </select>
        </>
      )}
      <div className="filterbar-end">
        {active > 0 && (
          <Button size="sm" variant="ghost" onClick={() => onChange({ ...DEFAULT_VIEW, sort: view.sort, order: view.order })}>
            Reset
          </Button>
        )}
        <div className="saved-filters">
          <label className="sr-only" htmlFor={`${searchId}-saved`}>
            Saved filters
          </label>
          <select
            id={`${searchId}-saved`}
            value=""
            onChange={(event) => {
              const item = saved.find((entry) => entry.name === event.target.value);
              if (item) onChange(item.view);
            }}
          >
            <option value="">Saved filters{saved.length ? ` (${saved.length})` : ""}</option>
            {saved.map((item) => (
              <option key={item.name} value={item.name}>
                {item.name}
              </option>
            ))}
          </select>
          <Button size="sm" icon="bookmark" onClick={() => setSaving(true)}>
            Save view
          </Button>
        </div>
      </div>
      <Modal
        open={saving}
        title="Saved filters"
        onClose={() => setSaving(false)}
        footer={
          <>
            <Button variant="ghost" onClick={() => setSaving(false)}>
              Close
            </Button>
            <Button
              variant="primary"
              disabled={!name.trim()}
              onClick={() => {
                setSaved(saveFilter(name, view));
                setName("");
                setSaving(false);
              }}
            >
              Save current view
            </Button>
          </>
        }
      >
        <div className="field">
          <label htmlFor={`${searchId}-name`}>Name for the current filters and sort</label>
          <input id={`${searchId}-name`} value={name} onChange={(event) => setName(event.target.value)} placeholder="e.g. Critical cloud issues" data-autofocus />
          <p className="field-hint">Saved in this browser. Saving under an existing name replaces it.</p>
        </div>
        {saved.length > 0 && (
          <ul className="saved-list">
            {saved.map((item) => (
              <li key={item.name}>
                <span>{item.name}</span>
                <Button size="sm" variant="ghost" icon="trash" aria-label={`Delete saved filter ${item.name}`} onClick={() => setSaved(deleteSavedFilter(item.name))}>
                  Delete
                </Button>
              </li>
            ))}
          </ul>
        )}
      </Modal>
    </div>
  );
}
