// The REST API (/api/v1) as the UI uses it. Every state-changing request
// carries the session's CSRF token; the session cookie itself is HttpOnly and
// never seen here. Errors become ApiError with the server's stable code.

const BASE = "/api/v1";
let csrfToken = "";
let onUnauthenticated = () => {};

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code || "";
  }
}

export function setCsrfToken(token) { csrfToken = token || ""; }
export function setUnauthenticatedHandler(fn) { onUnauthenticated = fn; }

export function qs(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}

export async function request(method, path, body, { quiet401 = false } = {}) {
  const headers = { Accept: "application/json" };
  if (method !== "GET" && method !== "HEAD") headers["X-CSRF-Token"] = csrfToken;
  const init = { method, headers, credentials: "same-origin", cache: "no-store" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(BASE + path, init);
  } catch (e) {
    throw new ApiError(0, "unavailable", "The server cannot be reached.");
  }
  let data = null;
  const text = await res.text();
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (!res.ok) {
    const err = (data && data.error) || {};
    let messageText = err.message || `${res.status} ${res.statusText}`;
    if (res.status === 429) {
      const after = res.headers.get("Retry-After");
      if (after) messageText += ` (try again in ${after} s)`;
    }
    const e = new ApiError(res.status, err.code, messageText);
    if (res.status === 401 && !quiet401) onUnauthenticated(e);
    throw e;
  }
  return data;
}

export const api = {
  get: (path, opts) => request("GET", path, undefined, opts),
  post: (path, body, opts) => request("POST", path, body ?? {}, opts),
  put: (path, body) => request("PUT", path, body ?? {}),
  del: (path) => request("DELETE", path),
};

export const BASE_PATH = BASE;
