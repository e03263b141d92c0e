// @ts-check
// What a person pastes into the queue, and how times are shown: pure, tested by
// tests/js/unit/links.test.mjs.

const YOUTUBE_ID = /^[A-Za-z0-9_-]{11}$/;

/**
 * @typedef {{video_id: string, youtube?: boolean, title?: string}} Pasted
 */

/**
 * A YouTube link or id, an http(s) media URL, or a /path on this site; null for anything else.
 * @param {string} text
 * @param {{href: string, origin: string}} page where the page is (for relative links)
 * @returns {Pasted | null}
 */
export function parseVideo(text, page) {
  const value = text.trim();
  if (YOUTUBE_ID.test(value)) return { video_id: value, youtube: true };
  let url;
  try { url = new URL(value, page.href); } catch { return null; }
  if (!["http:", "https:"].includes(url.protocol)) return null;
  const host = url.hostname.replace(/^(www\.|m\.|music\.)/, "");
  let id = null;
  if (host === "youtu.be") id = url.pathname.slice(1);
  else if (host === "youtube.com" || host === "youtube-nocookie.com") {
    id = url.searchParams.get("v") || (url.pathname.match(/^\/(?:embed|shorts|live)\/([^/?#]+)/) || [])[1];
  }
  if (id) return YOUTUBE_ID.test(id) ? { video_id: id, youtube: true } : null;
  const sameOrigin = url.origin === page.origin && value.startsWith("/");
  const video_id = sameOrigin ? url.pathname : url.href;
  // A file is called by its name; a service's page (Vimeo, Twitch, ...) by nothing we can
  // read from its link: the server reads which it is (docs/protocol.md, "Kinds").
  let name = url.pathname.split("/").pop() || "";
  if (!name.includes(".")) return { video_id };
  try { name = decodeURIComponent(name); } catch { /* a stray % stays as typed */ }
  return { video_id, title: name };
}

/**
 * Seconds as m:ss, or h:mm:ss from an hour.
 * @param {number | null | undefined} seconds
 */
export function formatTime(seconds) {
  const s = Math.max(0, Math.floor(seconds || 0));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${r}` : `${m}:${r}`;
}
