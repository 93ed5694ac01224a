/** A per-group bar chart of one rate, with the threshold line the groups are held to. */
export function GroupBars({ title, groups, threshold, thresholdLabel }: {
  title: string;
  groups: { group: string; value: number | null }[];
  /** The line: a group whose bar ends left of it fails (four-fifths of the best group's rate). */
  threshold: number | null;
  thresholdLabel: string;
}) {
  const rowHeight = 26;
  const left = 90;
  const width = 460;
  const height = groups.length * rowHeight + 34;
  const x = (value: number) => left + value * (width - left - 40);
  return (
    <figure className="stack" style={{ margin: 0 }}>
      <figcaption className="small"><strong>{title}</strong></figcaption>
      <svg className="aig-chart" viewBox={`0 0 ${width} ${height}`} role="img" aria-label={`${title} by group`}>
        {groups.map((item, index) => {
          const value = item.value ?? 0;
          const below = threshold !== null && value < threshold;
          return (
            <g key={item.group} transform={`translate(0 ${index * rowHeight + 4})`}>
              <text x={left - 8} y={14} textAnchor="end">{item.group}</text>
              <rect className={below ? "aig-bar aig-bar-below" : "aig-bar"} x={left} y={2} height={16} width={Math.max(1, x(value) - left)} rx={3} />
              <text x={x(value) + 4} y={14}>{item.value === null ? "n/a" : value.toFixed(3)}</text>
            </g>
          );
        })}
        {threshold !== null && (
          <g>
            <line className="aig-threshold" x1={x(threshold)} x2={x(threshold)} y1={0} y2={groups.length * rowHeight + 6} />
            <text x={x(threshold)} y={groups.length * rowHeight + 24} textAnchor="middle">{thresholdLabel} {threshold.toFixed(3)}</text>
          </g>
        )}
      </svg>
    </figure>
  );
}
