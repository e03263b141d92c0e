// @ts-check
// Subtitles, the pure part: which cues show at the room's position, which track a viewer
// sees, and SRT text made WebVTT for the browser's own parser. Tested by
// tests/js/unit/cues.test.mjs; room/subtitles.js loads tracks and draws.
/** @typedef {{start: number, end: number, text: string}} Cue */
/** @typedef {import("../../clients/js/src/sync.js").Track} Track */

/**
 * The text of every cue showing at `position` (seconds), in start order.
 * @param {Cue[]} cues @param {number} position @returns {string[]}
 */
export function cuesAt(cues, position) {
  return cues.filter((c) => c.start <= position && position < c.end).map((c) => c.text);
}

/**
 * WebVTT from a WebVTT or SubRip file: SubRip differs in its header and its decimal comma,
 * and the browser's WebVTT parser reads the rest (cue numbers become cue ids).
 * @param {string} text @returns {string}
 */
export function asWebVtt(text) {
  const body = text.replace(/^\uFEFF/, "").replace(/\r\n?/g, "\n");
  if (body.startsWith("WEBVTT")) return body;
  return "WEBVTT\n\n" + body.replace(/(\d\d:\d\d:\d\d),(\d\d\d)/g, "$1.$2");
}

/**
 * The track a viewer sees: their choice of language when this video has it ("off": none),
 * else the video's default track, else none.
 * @param {Track[]} tracks @param {string | null} preference a BCP 47 tag, "off" or null
 * @returns {Track | null}
 */
export function pickTrack(tracks, preference) {
  if (preference === "off") return null;
  if (preference) {
    const wanted = preference.toLowerCase();
    const exact = tracks.find((t) => t.lang.toLowerCase() === wanted);
    if (exact) return exact;
    const base = wanted.split("-")[0];
    const near = tracks.find((t) => t.lang.toLowerCase().split("-")[0] === base);
    if (near) return near;
  }
  return tracks.find((t) => t.default) || null;
}
