/** The impact-over-time editor: one row per horizon, a 1-5 level per impact category, the financial amount. */
import type { Horizons, ImpactRow } from "../../api/hooks/bia";

type Category = "financial" | "operational" | "legal" | "reputational" | "safety";
const CATEGORIES: Category[] = ["financial", "operational", "legal", "reputational", "safety"];

export function blankRows(horizons: Horizons): ImpactRow[] {
  return horizons.hours.map((hours) => ({ horizon_hours: hours, financial: 1, operational: 1, legal: 1, reputational: 1, safety: 1, financial_amount: null }));
}

/** The team's horizons, each with the process's stored row or a blank one. */
export function rowsFor(horizons: Horizons, stored: ImpactRow[]): ImpactRow[] {
  return blankRows(horizons).map((blank) => stored.find((row) => row.horizon_hours === blank.horizon_hours) ?? blank);
}

export function ImpactMatrix({ horizons, rows, onChange }: { horizons: Horizons; rows: ImpactRow[]; onChange: (rows: ImpactRow[]) => void }) {
  const severe = horizons.severe_level;
  const set = (index: number, patch: Partial<ImpactRow>) => onChange(rows.map((row, at) => (at === index ? { ...row, ...patch } : row)));
  return (
    <table className="simple-table bia-matrix">
      <thead><tr><th scope="col">Horizon</th>{CATEGORIES.map((category) => <th key={category} scope="col">{category}</th>)}<th scope="col">Loss</th></tr></thead>
      <tbody>{rows.map((row, index) => (
        <tr key={row.horizon_hours}>
          <th scope="row">{horizons.labels[horizons.hours.indexOf(row.horizon_hours)] ?? `${row.horizon_hours} h`}</th>
          {CATEGORIES.map((category) => {
            const value = row[category] ?? 1;
            return (
              <td key={category}>
                <select aria-label={`${category} impact at ${row.horizon_hours} h`} value={value} className={value >= severe ? "sev-critical" : ""}
                  onChange={(event) => set(index, { [category]: Number(event.target.value) })}>
                  {[1, 2, 3, 4, 5].map((level) => <option key={level} value={level}>{level} {horizons.scale[String(level)]}</option>)}
                </select>
              </td>
            );
          })}
          <td><input type="number" min={0} aria-label={`financial loss at ${row.horizon_hours} h`} value={row.financial_amount ?? ""}
            onChange={(event) => set(index, { financial_amount: event.target.value === "" ? null : Number(event.target.value) })} /></td>
        </tr>
      ))}</tbody>
    </table>
  );
}
