// The websocket: connect, reconnect with exponential backoff, keep-alive. No interview logic here.

const BASE_DELAY_MS = 500;
const MAX_DELAY_MS = 15000;
const PING_EVERY_MS = 25000;

/** Close codes after which reconnecting automatically would be wrong. */
const FINAL_CODES = new Set([4401, 4409, 4410]);

export function socketUrl(loc = window.location) {
  const scheme = loc.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${loc.host}/v1/interviews/ws`;
}

export class Connection {
  /**
   * handlers: onOpen(attempt), onMessage(msg), onStatus(status, detail), onFinalClose(code)
   * status is one of "connecting", "connected", "reconnecting", "offline", "closed".
   */
  constructor(url, handlers) {
    this.url = url;
    this.h = handlers;
    this.ws = null;
    this.attempt = 0;
    this.timer = null;
    this.pinger = null;
    this.wanted = false;
    this.opens = 0;
    window.addEventListener("online", () => this.wanted && this.reconnectNow());
    window.addEventListener("offline", () => this.wanted && this.h.onStatus("offline"));
  }

  get open() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  connect() {
    this.wanted = true;
    if (this.ws) return;
    clearTimeout(this.timer);
    this.h.onStatus(this.opens === 0 ? "connecting" : "reconnecting");
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch {
      this.schedule();
      return;
    }
    this.ws = ws;
    ws.addEventListener("open", () => {
      this.attempt = 0;
      this.opens += 1;
      this.h.onStatus("connected");
      clearInterval(this.pinger);
      this.pinger = setInterval(() => this.send({ type: "ping" }), PING_EVERY_MS);
      this.h.onOpen(this.opens);
    });
    ws.addEventListener("message", (ev) => {
      let msg;
      try {
        msg = JSON.parse(ev.data);
      } catch {
        return; // not ours to fix: ignore a broken frame
      }
      if (msg && typeof msg === "object" && typeof msg.type === "string") this.h.onMessage(msg);
    });
    ws.addEventListener("close", (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      clearInterval(this.pinger);
      if (!this.wanted) {
        this.h.onStatus("closed");
      } else if (FINAL_CODES.has(ev.code)) {
        this.wanted = false;
        this.h.onFinalClose(ev.code);
      } else {
        this.schedule();
      }
    });
  }

  schedule() {
    this.ws = null;
    const delay = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** this.attempt);
    const jitter = delay * (0.2 * Math.random());
    this.attempt += 1;
    this.h.onStatus(navigator.onLine === false ? "offline" : "reconnecting", { inMs: delay + jitter });
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), delay + jitter);
  }

  reconnectNow() {
    clearTimeout(this.timer);
    this.attempt = 0;
    if (!this.ws) this.connect();
  }

  /** Send one message; false when the socket is not open (the caller keeps what it needs). */
  send(msg) {
    if (!this.open) return false;
    this.ws.send(JSON.stringify(msg));
    return true;
  }

  /** Drop the socket (tests and "kill" buttons use this); reconnects unless `stop`. */
  drop({ stop = false } = {}) {
    if (stop) {
      this.wanted = false;
      clearTimeout(this.timer);
    }
    if (this.ws) this.ws.close();
  }
}
