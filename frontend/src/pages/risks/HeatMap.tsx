/** A likelihood × impact grid: each cell coloured by the matrix level, showing how many risks sit there; clicking filters. */
import type { HeatMap as HeatMapData } from "../../api/hooks/risks";

export type CellPick = { which: "inherent" | "residual"; likelihood: number; impact: number };

export function HeatMap({ data, which, picked, onPick }: { data: HeatMapData; which: "inherent" | "residual"; picked: CellPick | null; onPick: (cell: CellPick | null) => void }) {
  const counts = data[which];
  const colour = (level: string) => data.levels.find((item) => item.name === level)?.colour ?? "#9e9e9e";
  const rows = Array.from({ length: data.size }, (_, index) => data.size - index); // highest likelihood on top
  return (
    <figure className="heat" aria-label={`${which} risk heat map`}>
      <figcaption className="heat-title">{which === "inherent" ? "Inherent" : "Residual"}</figcaption>
      <div className="heat-grid" style={{ gridTemplateColumns: `auto repeat(${data.size}, minmax(44px, 1fr))` }}>
        {rows.map((likelihood) => [
          <span key={`l${likelihood}`} className="heat-axis">{data.likelihood_labels[likelihood - 1]}</span>,
          ...Array.from({ length: data.size }, (_, column) => {
            const impact = column + 1;
            const count = counts[likelihood - 1][impact - 1];
            const level = data.cells[likelihood - 1][impact - 1];
            const active = picked?.which === which && picked.likelihood === likelihood && picked.impact === impact;
            return (
              <button key={`${likelihood}-${impact}`} type="button" className={`heat-cell${active ? " heat-cell-active" : ""}`}
                style={{ background: colour(level), opacity: count ? 1 : 0.35 }} data-testid={`heat-${which}-${likelihood}-${impact}`}
                aria-label={`${which}: likelihood ${likelihood}, impact ${impact}, ${level}, ${count} risks`} aria-pressed={active}
                onClick={() => onPick(active ? null : { which, likelihood, impact })}>
                {count || ""}
              </button>
            );
          }),
        ])}
        <span />
        {data.impact_labels.map((label) => <span key={label} className="heat-axis heat-axis-x">{label}</span>)}
      </div>
      <p className="small muted heat-legend">Likelihood ↑ · Impact →</p>
    </figure>
  );
}

/** A tiny line chart of a KRI's history (values only; the thresholds are in the tile's words). */
export function Sparkline({ values, label }: { values: number[]; label: string }) {
  if (values.length < 2) return <span className="small muted">{values.length ? "one value so far" : "no values yet"}</span>;
  const width = 120;
  const height = 28;
  const low = Math.min(...values);
  const span = Math.max(...values) - low || 1;
  const points = values.map((value, index) => `${(index / (values.length - 1)) * width},${height - ((value - low) / span) * (height - 4) - 2}`).join(" ");
  return (
    <svg className="spark" width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={label}>
      <polyline points={points} fill="none" stroke="currentColor" strokeWidth="2" />
    </svg>
  );
}
