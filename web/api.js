// The API client: one place that adds the token, sends JSON or files, and turns the
// API's {"Code","Message"} errors into ApiError (whose message is the API's Chinese text).
import { API_BASE } from "./config.js";

const SESSION_KEY = "lsc.session";

export class ApiError extends Error {
  constructor(status, code, message, field, data) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field || null;
    this.data = data || null; // the whole answer (e.g. the MFA enrolment's secret and QR code)
  }
}

export function getSession() {
  try {
    return JSON.parse(localStorage.getItem(SESSION_KEY) || "null");
  } catch {
    return null;
  }
}

export function setSession(value) {
  if (value) localStorage.setItem(SESSION_KEY, JSON.stringify(value));
  else localStorage.removeItem(SESSION_KEY);
}

function headersFor(auth) {
  const headers = {};
  const s = getSession();
  if (auth && s && s.token) headers.Authorization = `Bearer ${s.token}`;
  return headers;
}

async function readError(resp, { signedIn = true } = {}) {
  let data = null;
  try {
    data = await resp.json();
  } catch {
    data = null;
  }
  const message = (data && (data.Message || data.message)) || `请求失败（HTTP ${resp.status}）`;
  const code = (data && data.Code) || (resp.status === 401 ? "UNAUTHORIZED" : `HTTP_${resp.status}`);
  if (resp.status === 401 && signedIn) { // a refused sign-in is not a sign-out
    setSession(null);
    window.dispatchEvent(new CustomEvent("lsc:signed-out", { detail: message }));
  }
  return new ApiError(resp.status, code, message, data && data.field, data);
}

// --- silent refresh ----------------------------------------------------------------------
// The id token lives an hour; the refresh token (30 days, revoked when the account signs
// out everywhere: erasure, disabling, password reset) gets a new one without asking the
// person again. Refreshed once per expiry, shared by every request waiting at that moment.
const REFRESH_MARGIN_S = 60;
let refreshing = null;

function tokenExpiry(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), "="))).exp || 0;
  } catch {
    return 0;
  }
}

/** A new id token from the refresh token; false when there is none or it was revoked. */
export function refreshSession() {
  const s = getSession();
  if (!s || !s.refresh_token) return Promise.resolve(false);
  if (!refreshing) {
    refreshing = (async () => {
      try {
        const resp = await fetch(API_BASE + "/auth/refresh", {
          method: "POST", headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ refresh_token: s.refresh_token }),
        });
        if (!resp.ok) return false;
        const tokens = await resp.json();
        const now = getSession();
        if (!now) return false; // signed out meanwhile
        setSession({ ...now, token: tokens.id_token, refresh_token: tokens.refresh_token || now.refresh_token });
        return true;
      } catch {
        return false;
      } finally {
        setTimeout(() => { refreshing = null; }, 0);
      }
    })();
  }
  return refreshing;
}

async function send(method, path, headers, payload) {
  try {
    return await fetch(API_BASE + path, { method, headers, body: payload });
  } catch {
    throw new ApiError(0, "NETWORK", "网络连接失败，请检查网络后重试");
  }
}

/** Call the API. `body`: a plain object (sent as JSON), or a File/Blob (sent as is). */
export async function api(method, path, body, { auth = true, contentType } = {}) {
  const s = auth ? getSession() : null;
  if (s && s.token && s.refresh_token && tokenExpiry(s.token) - REFRESH_MARGIN_S < Date.now() / 1000) {
    await refreshSession(); // about to expire: refresh first (a failure shows as the 401 below)
  }
  const headers = headersFor(auth);
  let payload;
  if (body instanceof Blob) {
    payload = body;
    headers["Content-Type"] = contentType || body.type || "application/octet-stream";
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers["Content-Type"] = "application/json";
  }
  let resp = await send(method, path, headers, payload);
  if (resp.status === 401 && auth && headers.Authorization && (await refreshSession())) {
    resp = await send(method, path, { ...headers, ...headersFor(auth) }, payload); // once
  }
  if (!resp.ok) throw await readError(resp, { signedIn: !!headers.Authorization });
  const ctype = resp.headers.get("content-type") || "";
  if (ctype.includes("json")) return resp.json();
  return resp.text();
}

export const get = (path, opts) => api("GET", path, undefined, opts);
export const post = (path, body, opts) => api("POST", path, body === undefined ? {} : body, opts);
export const put = (path, body, opts) => api("PUT", path, body, opts);

/** Upload a file with progress (XHR: fetch has no upload progress). onProgress(0..1). */
export function upload(path, file, contentType, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", API_BASE + path);
    const headers = headersFor(true);
    for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
    xhr.setRequestHeader("Content-Type", contentType || file.type || "application/octet-stream");
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && onProgress) onProgress(e.loaded / e.total);
    };
    xhr.onerror = () => reject(new ApiError(0, "NETWORK", "网络连接失败，请检查网络后重试"));
    xhr.onload = () => {
      let data = null;
      try {
        data = JSON.parse(xhr.responseText || "null");
      } catch {
        data = xhr.responseText;
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        if (onProgress) onProgress(1);
        resolve(data);
      } else {
        const message = (data && (data.Message || data.message)) || `上传失败（HTTP ${xhr.status}）`;
        reject(new ApiError(xhr.status, (data && data.Code) || `HTTP_${xhr.status}`, message, data && data.field));
      }
    };
    xhr.send(file);
  });
}

/** Content type the API expects for a spreadsheet/CSV file picked by the user. */
export function sheetType(file) {
  const name = (file.name || "").toLowerCase();
  if (name.endsWith(".csv")) return "text/csv";
  if (name.endsWith(".xlsx")) return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
  return file.type || "application/octet-stream";
}
