// The start screen: choices, the live count of matching questions, and the `start` message.

import { byId, h, replaceChildren } from "./dom.js";
import { cap } from "./labels.js";
import { meta } from "./meta.js";

/** The current choices as the fields of a `start` message. */
export function readChoices() {
  const company = byId("company").value || null;
  const difficulty = byId("difficulty").value || null;
  const topics = meta.topics.filter((t) => byId(`topic-${t}`).checked);
  const n = Math.round(Number(byId("num-questions").value));
  const num = Number.isFinite(n) ? Math.min(meta.max_questions || n, Math.max(1, n)) : meta.default_num_questions || 1;
  const msg = { type: "start", num_questions: num, max_followups: byId("followups").checked ? 1 : 0 };
  if (company) msg.company = company;
  if (difficulty) msg.difficulty = difficulty;
  if (topics.length) msg.topics = topics;
  const code = byId("include-code");
  if (code.checked && !code.disabled) msg.include_code = true;
  return msg;
}

/** "Nvidia · hard · 7 questions" for the current choice. */
export function describe(choice, total) {
  const parts = [choice.company || "Any company", choice.difficulty || "any difficulty"];
  if (choice.topics) parts.push(choice.topics.join(", "));
  parts.push(`${total} question${total === 1 ? "" : "s"}`);
  return parts.join(" · ");
}

/** GET /v1/questions for the choice: the number of matching questions. */
export async function countAvailable(choice, signal) {
  const params = new URLSearchParams({ limit: "1" });
  if (choice.company) params.set("company", choice.company);
  if (choice.difficulty) params.set("difficulty", choice.difficulty);
  const res = await fetch(`/v1/questions?${params}`, { signal, headers: { Accept: "application/json" } });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    const err = new Error(body?.error?.message || `HTTP ${res.status}`);
    err.code = body?.error?.code || "http_error";
    throw err;
  }
  if (!choice.topics) return body.total;
  const perTopic = body.facets?.topic || {};
  return choice.topics.reduce((sum, t) => sum + (perTopic[t] || 0), 0);
}

/** Build the form's options (no markup strings) and wire the live count. */
export function setupStart(onStart) {
  const company = byId("company");
  for (const c of meta.companies) company.appendChild(h("option", { value: c }, c));
  for (const d of meta.difficulties) byId("difficulty").appendChild(h("option", { value: d }, cap(d)));
  const num = byId("num-questions");
  if (meta.max_questions) num.max = String(meta.max_questions);
  if (meta.default_num_questions) num.defaultValue = String(meta.default_num_questions);
  const topics = byId("topics");
  for (const t of meta.topics) {
    topics.appendChild(h("div", { class: "check" },
      h("input", { type: "checkbox", id: `topic-${t}`, name: "topics", value: t }),
      h("label", { for: `topic-${t}` }, cap(t))));
  }
  if (meta.coding && meta.coding.available === false) {
    // No sandbox on this server: a coding interview would be refused (`sandbox_unavailable`).
    const box = byId("include-code");
    box.checked = false;
    box.disabled = true;
    byId("code-note").textContent = `${cap(meta.coding.reason || "coding questions are unavailable on this server")}.`;
  }
  const form = byId("start-form");
  const button = byId("start-button");
  const out = byId("available");
  let controller = null;
  let retry = null;

  async function refresh() {
    clearTimeout(retry);
    if (controller) controller.abort();
    controller = new AbortController();
    const choice = readChoices();
    // The button keeps its state while counting: disabling it here would swallow a click that
    // blurs the number field (blur fires `change`, which refreshes).
    out.setAttribute("aria-busy", "true");
    try {
      const total = await countAvailable(choice, controller.signal);
      out.textContent = describe(choice, total);
      out.dataset.total = String(total);
      out.removeAttribute("aria-busy");
      button.disabled = total === 0;
      const num = byId("num-questions");
      const note = byId("num-note");
      replaceChildren(note, total > 0 && Number(num.value) > total ? `Only ${total} available: the interview will have ${total}.` : "");
    } catch (err) {
      if (err.name === "AbortError") return;
      button.disabled = true;
      out.dataset.total = "";
      if (err.code === "unauthorized") {
        // Auth is on: interviews here are opened from the link a recruiter or partner sends; no retry.
        out.textContent = "This server runs interviews by invitation: open the interview link you were sent.";
        return;
      }
      out.textContent = err.code === "not_ready"
        ? "The server is still loading its question bank…" : `Could not count questions: ${err.message}`;
      retry = setTimeout(refresh, 2000);
    }
  }

  form.addEventListener("change", refresh);
  byId("num-questions").addEventListener("input", refresh);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    if (!button.disabled) onStart(readChoices());
  });
  refresh();
  return { refresh };
}
