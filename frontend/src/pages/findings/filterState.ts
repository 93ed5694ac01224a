/** Findings filters <-> URL search params, and saved filters in localStorage. */
import type { CheckResult, FindingCategory, FindingFilters, FindingSort, FindingStatus, Severity } from "../../api/types";

export interface FindingView {
  filters: FindingFilters;
  sort: FindingSort;
  order: "asc" | "desc";
}

export const DEFAULT_STATUSES: FindingStatus[] = ["open", "reopened"];
/** Sorted by the explained priority (KEV, EPSS, severity, CVSS, exposure, criticality) unless the user picks another order. */
export const DEFAULT_VIEW: FindingView = { filters: { status: DEFAULT_STATUSES }, sort: "priority", order: "desc" };

const LIST_KEYS = ["severity", "status", "tool", "category"] as const;
const TEXT_KEYS = ["q", "resource", "account", "region", "service", "target", "rule", "cve", "assignee", "scope_key", "run_id"] as const;
const SORTS: FindingSort[] = ["priority", "severity", "last_seen", "first_seen", "title"];

export function viewFromParams(params: URLSearchParams): FindingView {
  if (![...LIST_KEYS, ...TEXT_KEYS, "overdue", "kev", "epss_min", "result", "sort", "all"].some((key) => params.has(key))) return DEFAULT_VIEW;
  const filters: FindingFilters = {};
  for (const key of LIST_KEYS) {
    const values = params.getAll(key).filter(Boolean);
    if (values.length) (filters as Record<string, unknown>)[key] = values;
  }
  for (const key of TEXT_KEYS) {
    const value = params.get(key);
    if (value) filters[key] = value;
  }
  if (params.get("overdue") === "true") filters.overdue = true;
  if (params.get("kev") === "true") filters.kev = true;
  const epssMin = Number(params.get("epss_min"));
  if (params.has("epss_min") && epssMin > 0 && epssMin <= 1) filters.epss_min = epssMin;
  const result = params.get("result");
  if (result === "pass" || result === "manual" || result === "any") filters.result = result as CheckResult | "any";
  const sort = params.get("sort") as FindingSort | null;
  return {
    filters,
    sort: sort && SORTS.includes(sort) ? sort : DEFAULT_VIEW.sort,
    order: params.get("order") === "asc" ? "asc" : "desc",
  };
}

export function paramsFromView(view: FindingView, keep?: URLSearchParams): URLSearchParams {
  const params = new URLSearchParams();
  const { filters } = view;
  for (const key of LIST_KEYS) for (const value of (filters[key] as string[] | undefined) ?? []) params.append(key, value);
  for (const key of TEXT_KEYS) if (filters[key]) params.set(key, String(filters[key]));
  if (filters.overdue) params.set("overdue", "true");
  if (filters.kev) params.set("kev", "true");
  if (filters.epss_min) params.set("epss_min", String(filters.epss_min));
  if (filters.result && filters.result !== "fail") params.set("result", filters.result);
  params.set("sort", view.sort);
  params.set("order", view.order);
  if (!params.has("status")) params.set("all", "1"); // explicit "every status", distinct from the default
  const finding = keep?.get("finding");
  if (finding) params.set("finding", finding);
  const group = keep?.get("group");
  if (group) params.set("group", group);
  return params;
}

export function activeFilterCount(filters: FindingFilters): number {
  let count = 0;
  for (const key of LIST_KEYS) if ((filters[key] as unknown[] | undefined)?.length) count++;
  for (const key of TEXT_KEYS) if (filters[key]) count++;
  if (filters.overdue) count++;
  if (filters.kev) count++;
  if (filters.epss_min) count++;
  if (filters.result && filters.result !== "fail") count++;
  return count;
}

// --- saved filters -------------------------------------------------------------------------
export interface SavedFilter {
  name: string;
  view: FindingView;
  savedAt: string;
}

const SAVED_KEY = "cspm.findings.savedFilters";

export function loadSavedFilters(storage: Storage = localStorage): SavedFilter[] {
  try {
    const parsed = JSON.parse(storage.getItem(SAVED_KEY) ?? "[]");
    return Array.isArray(parsed) ? parsed.filter((item) => item && typeof item.name === "string" && item.view) : [];
  } catch {
    return [];
  }
}

export function saveFilter(name: string, view: FindingView, storage: Storage = localStorage): SavedFilter[] {
  const trimmed = name.trim();
  if (!trimmed) throw new Error("A saved filter needs a name.");
  const others = loadSavedFilters(storage).filter((item) => item.name !== trimmed);
  const next = [...others, { name: trimmed, view, savedAt: new Date().toISOString() }].sort((a, b) => a.name.localeCompare(b.name));
  storage.setItem(SAVED_KEY, JSON.stringify(next));
  return next;
}

export function deleteSavedFilter(name: string, storage: Storage = localStorage): SavedFilter[] {
  const next = loadSavedFilters(storage).filter((item) => item.name !== name);
  storage.setItem(SAVED_KEY, JSON.stringify(next));
  return next;
}

export type { Severity, FindingCategory };
