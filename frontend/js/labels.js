// Labels and small text helpers shared by both pages. The names come from the server (/v1/meta, see
// meta.js): grade flags with their label and meaning, verdicts, topics. Only the look is decided here.

import { meta } from "./meta.js";

/** The first letter upper-cased: a topic or a difficulty as a label. */
export function cap(s) {
  return s ? s.charAt(0).toUpperCase() + s.slice(1) : "";
}

/** Seconds since the epoch as a local date and time. */
export function when(seconds) {
  if (typeof seconds !== "number") return "";
  return new Date(seconds * 1000).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** Seconds as m:ss. */
export function clock(seconds) {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/** "1 question", "3 questions". */
export function plural(n, word) {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

// ---- verdicts: icon plus text, never colour alone ----

const VERDICT_LOOK = {
  met: { icon: "✓", label: "Met" },
  partial: { icon: "◐", label: "Partly met" },
  missed: { icon: "✗", label: "Missed" },
  contradicted: { icon: "!", label: "Contradicted" },
};

/** {icon, label} of a verdict; an unknown one shows its name. */
export function verdictLook(v) {
  return VERDICT_LOOK[v] || { icon: "?", label: String(v) };
}

export function verdictText(v) {
  const d = VERDICT_LOOK[v];
  return d ? `${d.icon} ${d.label}` : String(v);
}

/** The verdicts a reviewer may choose, in the server's order (these four if /v1/meta failed). */
export function verdictNames() {
  return meta.verdicts.length ? meta.verdicts : Object.keys(VERDICT_LOOK);
}

// ---- grade flags ----

/** The server's description of a flag ({name, label, meaning, provisional}), or null. */
export function flagInfo(name) {
  return meta.flags.find((f) => f.name === name) || null;
}

/** A flag's label; an unknown flag shows its name with spaces. */
export function flagLabel(name) {
  return flagInfo(name)?.label || String(name).replaceAll("_", " ");
}

/** A short sentence on why a grade with `needs_review` is provisional. */
export function provisionalText(g) {
  const flags = [...(g.flags || []), ...(g.provenance?.fallback_used ? ["fallback_used"] : [])];
  // `needs_review` is the generic request: its meaning is said only when no flag says more.
  const reasons = flags.filter((f) => f !== "needs_review").map(flagInfo)
    .filter((f) => f && f.provisional).map((f) => f.meaning);
  const why = reasons.length ? [...new Set(reasons)].join("; ") : flagInfo("needs_review")?.meaning || "needs review";
  return `This score may change after a human review: ${why}.`;
}

// ---- interviews ----

const STATUS = { completed: "Completed", in_progress: "In progress", pending: "Pending" };

export function statusLabel(s) {
  return STATUS[s] || s;
}
