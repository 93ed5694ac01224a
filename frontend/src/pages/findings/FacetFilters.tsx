/** Account, region, cloud service and scan target filters, each offering the values the team's findings have. */
import { useId } from "react";
import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import { useFindingGroups } from "../../api/hooks/findings";
import { keys } from "../../api/hooks/keys";
import { useActiveTeam } from "../../app/team";
import type { FindingFilters, GroupField } from "../../api/types";
import { useModuleOn } from "../../app/modules";
import { formatNumber } from "../../components/format";

type FacetKey = "account" | "region" | "service";

const FACETS: { key: FacetKey; label: string; any: string }[] = [
  { key: "account", label: "Account", any: "Any account" },
  { key: "region", label: "Region", any: "Any region" },
  { key: "service", label: "Service", any: "Any service" },
];

function FacetSelect({ facet, filters, onChange }: { facet: (typeof FACETS)[number]; filters: FindingFilters; onChange: (value: string | undefined) => void }) {
  const id = useId();
  // The options are the values under every other filter, so choosing one never hides its siblings.
  const others = { ...filters, [facet.key]: undefined };
  const groups = useFindingGroups(others, facet.key as GroupField, 200);
  const selected = filters[facet.key] ?? "";
  const options = groups.data?.groups ?? [];
  return (
    <>
      <label className="sr-only" htmlFor={id}>{facet.label}</label>
      <select
        id={id}
        className={`filter-button facet-select ${selected ? "filter-button-active" : ""}`}
        value={selected}
        title={groups.isError ? `${facet.label} values could not be loaded` : undefined}
        onChange={(event) => onChange(event.target.value || undefined)}
      >
        <option value="">{facet.any}</option>
        {selected && !options.some((group) => group.key === selected) && <option value={selected}>{selected}</option>}
        {options.map((group) => (
          <option key={group.key} value={group.key}>{group.key} ({formatNumber(group.count)})</option>
        ))}
      </select>
    </>
  );
}

/**
 * The scan targets as filter options, cached with the findings (not under the Scans pages' key:
 * a list read here must not stand in, stale, for the one a scan or assessment form reads).
 */
function useTargetOptions() {
  const team = useActiveTeam();
  return useQuery({ queryKey: [...keys.findings(team), "target-options"], queryFn: () => unwrap(api.GET("/api/targets")), enabled: !!team });
}

function TargetSelect({ value, onChange }: { value: string | undefined; onChange: (value: string | undefined) => void }) {
  const id = useId();
  const targets = useTargetOptions();
  const items = targets.data ?? [];
  return (
    <>
      <label className="sr-only" htmlFor={id}>Scan target</label>
      <select id={id} className={`filter-button facet-select ${value ? "filter-button-active" : ""}`} value={value ?? ""} onChange={(event) => onChange(event.target.value || undefined)}>
        <option value="">{targets.isError ? "Targets unavailable" : "Any target"}</option>
        {value && !items.some((target) => target.id === value) && <option value={value}>{value}</option>}
        {items.map((target) => <option key={target.id} value={target.id}>{target.name}</option>)}
      </select>
    </>
  );
}

export function FacetFilters({ filters, onChange }: { filters: FindingFilters; onChange: (patch: Partial<FindingFilters>) => void }) {
  const scansOn = useModuleOn("scans");
  return (
    <>
      {FACETS.map((facet) => (
        <FacetSelect key={facet.key} facet={facet} filters={filters} onChange={(value) => onChange({ [facet.key]: value })} />
      ))}
      {scansOn
        ? <TargetSelect value={filters.target ?? undefined} onChange={(target) => onChange({ target })} />
        : <span className="muted small" title="Targets belong to the Scans module, switched off for this team">No target filter (Scans is off)</span>}
    </>
  );
}
