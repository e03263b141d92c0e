// @ts-check
// What every part of the room page shares: the page's elements, and one context object that
// holds the room as the server last described it.

/**
 * @typedef {import("../../../clients/js/src/sync.js").RoomState} RoomState
 * @typedef {import("../members.js").Member} Member
 * @typedef {import("../members.js").Roster} Roster
 * @typedef {{id: string, name: string, user_id: string|null, role: string, resume: string,
 *   guest_token?: string}} You
 * @typedef {{name: string|null, owner_id: string|null, control: string, moderators: string[],
 *   banned: string[], wait_for_all: boolean, queue_mode?: string,
 *   visibility?: string, password?: boolean, allowed?: string[],
 *   grants?: Record<string, {rank: number, may: string[]}>,
 *   plan?: {ad_free: boolean, max_members: number, max_queue: number}}} Info
 * @typedef {{id: string, member_id: string, by: string, text: string, signed_in: boolean}} ChatMessage
 * @typedef {{
 *   id: string, root: HTMLElement, socket: any,
 *   client: import("../../../clients/js/src/room.js").Room,
 *   state: RoomState | null, info: Info | null, you: You | null, roster: Roster,
 *   chat: ChatMessage[], titles: Map<string, string>,
 *   votes: Record<string, number>, myVotes: Set<string>,
 *   send: (event: string, payload: object) => Promise<any>,
 *   refused: (err: any) => null,
 *   apply: (state: RoomState, fresh?: boolean) => void,
 *   rendered: Array<() => void>,
 * }} Room
 */

/** An element of the page by id (the template's ids; `any` keeps form fields easy to use). */
/** @type {(id: string) => any} */
export const $ = (id) => document.getElementById(id);

/** @type {ReturnType<typeof setTimeout> | undefined} */
let errorTimer;
/** @param {string} message */
export function showError(message) {
  const el = $("error");
  el.textContent = message;
  el.hidden = false;
  clearTimeout(errorTimer);
  errorTimer = setTimeout(() => { el.hidden = true; }, 6000);
}

/** @param {string} text @param {string} cls */
export function setStatus(text, cls) {
  const el = $("status");
  el.textContent = text;
  el.className = `status ${cls}`;
}

/**
 * @param {string} text @param {string} label @param {() => unknown} onClick
 * @param {string} [cls]
 */
export function button(text, label, onClick, cls = "small") {
  const b = document.createElement("button");
  b.type = "button"; b.className = cls; b.textContent = text; b.setAttribute("aria-label", label);
  b.addEventListener("click", onClick);
  return b;
}

/** Whatever people typed goes into the page through textContent: text, never HTML.
 * @param {string} className @param {string} text */
export function span(className, text) {
  const el = document.createElement("span");
  el.className = className;
  el.textContent = text;
  return el;
}

/** The header that shows a request over HTTP comes from a member (a closed room's uploads).
 * @param {Room} room @returns {Record<string, string>} */
export const memberProof = (room) => (room.you ? { "X-Watchparty-Member": room.you.resume } : {});

/** @param {Room} room @param {{video_id: string, title?: string|null}} item */
export const titleOf = (room, item) => item.title || room.titles.get(item.video_id) || item.video_id;
