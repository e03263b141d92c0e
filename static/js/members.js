// @ts-check
// The member list as MEMBERS changes it, and what this member may do: pure, tested by
// tests/js/unit/members.test.mjs. What anyone may do comes from the server (ROOM_INFO's
// `grants`, written from its permission table); nothing here re-derives it. The list's merge
// is the client library's.
export { mergeMembers } from "../../clients/js/src/members.js";

/**
 * @typedef {import("../../clients/js/src/members.js").Member} Member
 * @typedef {import("../../clients/js/src/members.js").Roster} Roster
 * @typedef {{rank: number, may: string[]}} Grant
 * @typedef {{grants?: Record<string, Grant>, owner_id: string|null, moderators: string[]}} Info
 */

/**
 * Whether someone of `role` may take `action` here (a page without ROOM_INFO yet may try:
 * the server decides).
 * @param {Info | null} info
 * @param {string} role
 * @param {string} action
 */
export function may(info, role, action) {
  if (!info || !info.grants) return true;
  const grant = info.grants[role];
  return Boolean(grant && grant.may.includes(action));
}

/**
 * Whether `role` may take a moderation `action` on a member of `target` role: it must rank
 * above them.
 * @param {Info | null} info
 * @param {string} role
 * @param {string} target
 * @param {string} action
 */
export function mayActOn(info, role, target, action) {
  if (!info || !info.grants || !may(info, role, action)) return false;
  const grants = info.grants;
  return (grants[target]?.rank ?? 0) < (grants[role]?.rank ?? 0);
}

/**
 * A user's role in the room, looked up in ROOM_INFO (the owner and moderators it names).
 * @param {Info | null} info
 * @param {string | null | undefined} userId
 */
export function roleIn(info, userId) {
  if (!userId) return "guest";
  if (!info) return "member";
  if (userId === info.owner_id) return "owner";
  return info.moderators.includes(userId) ? "moderator" : "member";
}
