// @ts-check
// The REST API from the demo pages. The session lives in an HttpOnly cookie this script never
// sees (no token in localStorage); changes carry the CSRF token from the readable
// watchparty_csrf cookie in X-CSRF-Token, which is how the server tells its own pages from
// another site's.
// A Blob body (a file) goes as it is, with `type` as its Content-Type; anything else as JSON.
// `message` is the error for people, in the page's language.
import { describe } from "./i18n.js";

/**
 * @param {string} method
 * @param {string} url
 * @param {unknown} [body]
 * @param {string} [type]
 * @param {Record<string, string>} [extra] more headers
 * @returns {Promise<{ok: boolean, status: number, data: any, message: string}>}
 */
export async function api(method, url, body, type, extra = {}) {
  const raw = body instanceof Blob;
  /** @type {Record<string, string>} */
  const headers = { ...extra, "content-type": raw ? type || body.type : "application/json" };
  const csrf = document.cookie.split("; ").find((c) => c.startsWith("watchparty_csrf="));
  if (csrf) headers["X-CSRF-Token"] = decodeURIComponent(csrf.slice("watchparty_csrf=".length));
  const payload = raw ? body : body === undefined ? undefined : JSON.stringify(body);
  const res = await fetch(url, { method, headers, body: payload });
  const data = res.status === 204 ? null : await res.json().catch(() => null);
  const message = data && data.error ? describe(data.error) : `HTTP ${res.status}`;
  return { ok: res.ok, status: res.status, data, message };
}
