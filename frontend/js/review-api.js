// The recruiter REST API from the browser: the key goes in `Authorization: Bearer`, errors become
// ApiError with the server's code and message, exports are fetched as blobs and saved locally.

const STORAGE_KEY = "interviewer.review.v1";

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** The key saved in this tab's sessionStorage ("" when auth is off), or null when signed out. */
export function loadKey() {
  try {
    const raw = window.sessionStorage.getItem(STORAGE_KEY);
    const saved = raw ? JSON.parse(raw) : null;
    return typeof saved?.key === "string" ? saved.key : null;
  } catch {
    return null;
  }
}

export function saveKey(key) {
  try {
    window.sessionStorage.setItem(STORAGE_KEY, JSON.stringify({ key }));
  } catch {
    // storage disabled: the key lives until the page is reloaded
  }
}

export function forgetKey() {
  try {
    window.sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // nothing stored
  }
}

/** The key id inside `iv_<id>_<secret>` (audit entries name their actor by it), or null. */
export function keyId(key) {
  const m = /^iv_([^_]+)_./.exec(key || "");
  return m ? m[1] : null;
}

async function errorOf(res) {
  const body = await res.json().catch(() => null);
  const err = body?.error;
  return new ApiError(res.status, err?.code || "http_error", err?.message || `HTTP ${res.status} ${res.statusText}`);
}

/** The list filters as query parameters (empty values left out). */
export function listQuery(filters, cursor, limit = 25) {
  const params = new URLSearchParams({ limit: String(limit) });
  for (const [name, value] of Object.entries(filters)) {
    if (value !== "" && value !== null && value !== undefined) params.set(name, String(value));
  }
  if (cursor) params.set("cursor", cursor);
  return params;
}

export class Api {
  constructor(key) {
    this.key = key;
  }

  async request(path, { method = "GET", body, accept = "application/json" } = {}) {
    const headers = { Accept: accept };
    if (this.key) headers.Authorization = `Bearer ${this.key}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let res;
    try {
      res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch {
      throw new ApiError(0, "network", "The server could not be reached. Check your connection and try again.");
    }
    if (!res.ok) throw await errorOf(res);
    return res;
  }

  async json(path, options) {
    return (await this.request(path, options)).json();
  }

  /** GET /v1/me: {key_id, org_id, role, actions}. */
  me() {
    return this.json("/v1/me");
  }

  interviews(filters, cursor) {
    return this.json(`/v1/interviews?${listQuery(filters, cursor)}`);
  }

  interview(sessionId) {
    return this.json(`/v1/interviews/${encodeURIComponent(sessionId)}`);
  }

  audit(sessionId) {
    return this.json(`/v1/interviews/${encodeURIComponent(sessionId)}/audit`);
  }

  override(sessionId, body) {
    return this.json(`/v1/interviews/${encodeURIComponent(sessionId)}/overrides`, { method: "POST", body });
  }

  /** GET …/export?format=…: {blob, filename}. A plain link cannot carry the key header. */
  async export(sessionId, format) {
    const res = await this.request(
      `/v1/interviews/${encodeURIComponent(sessionId)}/export?format=${encodeURIComponent(format)}`, { accept: "*/*" });
    const disposition = res.headers.get("Content-Disposition") || "";
    const named = /filename="([^"]+)"/.exec(disposition);
    return { blob: await res.blob(), filename: named ? named[1] : `interview-${sessionId}.${format}` };
  }
}

/** Save a blob as a file through a temporary object URL. */
export function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  a.hidden = true;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
