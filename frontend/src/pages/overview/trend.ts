/**
 * The findings trend as a continuous daily series. The API writes a point on each day with
 * activity (and the daily job writes one even on quiet days while it runs); a day without a
 * point had the same active findings as the day before, so gaps are forward-filled up to today.
 */
import { SEVERITIES, type Severity } from "../../api/types";

export interface TrendPointIn {
  day: string;
  total: number;
  by_severity: Record<string, number>;
}

export type TrendDay = { day: string; total: number; filled: boolean } & Record<Severity, number>;

const DAY_MS = 86_400_000;

function dayNumber(day: string): number {
  return Date.parse(`${day}T00:00:00Z`) / DAY_MS;
}

function dayString(number: number): string {
  return new Date(number * DAY_MS).toISOString().slice(0, 10);
}

/** Today's date in UTC (the API's days are UTC dates). */
export function utcToday(now = new Date()): string {
  return now.toISOString().slice(0, 10);
}

/**
 * One entry per day from the first point (or the window's first day, whichever is later) to
 * `today`, each severity present (0 when absent); `filled` marks days carried over from the last point.
 */
export function fillTrend(points: readonly TrendPointIn[], { days, today }: { days: number; today: string }): TrendDay[] {
  const sorted = [...points].filter((point) => /^\d{4}-\d{2}-\d{2}$/.test(point.day)).sort((a, b) => a.day.localeCompare(b.day));
  if (!sorted.length) return [];
  const last = dayNumber(today);
  const first = Math.max(dayNumber(sorted[0].day), last - days + 1);
  const byDay = new Map(sorted.map((point) => [dayNumber(point.day), point]));
  // The newest point at or before the window's first day seeds the fill.
  let current: TrendPointIn | undefined = [...sorted].reverse().find((point) => dayNumber(point.day) <= first);
  const series: TrendDay[] = [];
  for (let number = first; number <= Math.max(last, dayNumber(sorted[sorted.length - 1].day)); number += 1) {
    const point = byDay.get(number);
    if (point) current = point;
    if (!current) continue;
    const entry = { day: dayString(number), total: current.total, filled: !point } as TrendDay;
    for (const severity of SEVERITIES) entry[severity] = current.by_severity[severity] ?? 0;
    series.push(entry);
  }
  return series;
}

/** Change of the active total over the series (last minus first), for the panel's headline. */
export function trendDelta(series: readonly TrendDay[]): number {
  return series.length < 2 ? 0 : series[series.length - 1].total - series[0].total;
}
