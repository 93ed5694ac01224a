/** Where the filtered findings list is exported: the same filters as the list, as query parameters. */
import type { ExportFormat, FindingFilters } from "../../api/types";

export const EXPORT_FORMATS: { format: ExportFormat; label: string; hint: string; extension: string }[] = [
  { format: "csv", label: "CSV", hint: "One row per finding, for spreadsheets", extension: "csv" },
  { format: "json", label: "JSON", hint: "The findings as the API shows them", extension: "json" },
  { format: "ocsf", label: "OCSF", hint: "OCSF 1.5 Detection Findings, for SIEMs and data lakes", extension: "ocsf.json" },
  { format: "sarif", label: "SARIF", hint: "SARIF 2.1.0, code findings only (those about a file)", extension: "sarif" },
];

export function exportPath(filters: FindingFilters, format: ExportFormat): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filters)) {
    if (value === undefined || value === null || value === "") continue;
    if (Array.isArray(value)) for (const item of value) params.append(key, String(item));
    else params.set(key, String(value));
  }
  params.set("format", format);
  return `/api/exports/findings?${params.toString()}`;
}

export function exportFileName(format: ExportFormat, now: Date = new Date()): string {
  const extension = EXPORT_FORMATS.find((item) => item.format === format)?.extension ?? format;
  return `findings-${now.toISOString().slice(0, 10)}.${extension}`;
}
