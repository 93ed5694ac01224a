/** Scan schedules: five-field cron read in an IANA time zone (the backend computes next_run_at). */

export const CRON_PRESETS: { label: string; cron: string }[] = [
  { label: "Hourly", cron: "0 * * * *" },
  { label: "Daily 03:00", cron: "0 3 * * *" },
  { label: "Weekdays 06:00", cron: "0 6 * * 1-5" },
  { label: "Weekly, Monday 03:00", cron: "0 3 * * 1" },
  { label: "Monthly, 1st 03:00", cron: "0 3 1 * *" },
];

const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const FIELD = /^(\*|\d+(-\d+)?)(\/\d+)?(,(\*|\d+(-\d+)?)(\/\d+)?)*$/;
const RANGES: [number, number][] = [[0, 59], [0, 23], [1, 31], [1, 12], [0, 7]];
const NAMES = ["minute", "hour", "day of month", "month", "day of week"];

/** Why a cron expression cannot be accepted, or null; what only the server can judge is left to it. */
export function cronProblem(cron: string): string | null {
  const fields = cron.trim().split(/\s+/).filter(Boolean);
  if (!fields.length) return "Enter a cron expression, e.g. 0 3 * * * for 03:00 every day.";
  if (fields.length !== 5) return `A cron expression has five fields (minute hour day month weekday); this one has ${fields.length}.`;
  for (const [index, field] of fields.entries()) {
    // Names, L, W, # and ? are the server's to judge (croniter); digits are checked here.
    if (!/^[\d*,/-]+$/.test(field)) continue;
    if (!FIELD.test(field)) return `The ${NAMES[index]} field “${field}” is not valid.`;
    const [low, high] = RANGES[index];
    for (const part of field.split(",")) {
      const [base, step] = part.split("/");
      if (step !== undefined && Number(step) < 1) return `The ${NAMES[index]} field's step must be at least 1.`;
      const bounds = base === "*" ? [] : base.split("-").map(Number);
      if (bounds.some((value) => value < low || value > high)) return `The ${NAMES[index]} field allows ${low}–${high}.`;
    }
  }
  return null;
}

function pad(value: string): string {
  return value.padStart(2, "0");
}

/** Plain words for the common shapes of cron; null when the expression is better read as is. */
export function describeCron(cron: string): string | null {
  const fields = cron.trim().split(/\s+/);
  if (fields.length !== 5 || cronProblem(cron)) return null;
  const [minute, hour, dom, month, dow] = fields;
  const num = /^\d+$/;
  if (!num.test(minute)) return null;
  if (hour === "*" && dom === "*" && month === "*" && dow === "*") return `Every hour at minute ${Number(minute)}`;
  if (!num.test(hour)) return null;
  const time = `${pad(hour)}:${pad(minute)}`;
  if (month !== "*") return null;
  if (dom === "*" && dow === "*") return `Every day at ${time}`;
  if (dom === "*" && dow === "1-5") return `Weekdays at ${time}`;
  if (dom === "*" && num.test(dow)) return `Every ${DAYS[Number(dow) % 7]} at ${time}`;
  if (num.test(dom) && dow === "*") return `On day ${Number(dom)} of every month at ${time}`;
  return null;
}

/** The browser's time zone, or UTC. */
export function browserTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

/** IANA zones for the picker (the browser's list when it has one), always including UTC and `current`. */
export function timeZones(current?: string): string[] {
  let zones: string[] = [];
  try {
    zones = (Intl as unknown as { supportedValuesOf?: (key: string) => string[] }).supportedValuesOf?.("timeZone") ?? [];
  } catch {
    zones = [];
  }
  const all = new Set(["UTC", ...zones, browserTimeZone()]);
  if (current) all.add(current);
  return [...all].sort((a, b) => (a === "UTC" ? -1 : b === "UTC" ? 1 : a.localeCompare(b)));
}
