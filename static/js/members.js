// @ts-check
// The member list as MEMBERS changes it, and what this member may do: pure, tested by
// tests/js/unit/members.test.mjs. What anyone may do comes from the server (ROOM_INFO's
// `grants`, written from its permission table); nothing here re-derives it.

/**
 * @typedef {{id: string, name: string, user_id: string|null, signed_in: boolean, role: string}} Member
 * @typedef {{members: Member[], listed: boolean, count: number}} Roster
 * @typedef {{joined: Member[], left: string[], changed: Member[], count: number,
 *   listed?: boolean, members?: Member[]}} MembersMessage
 * @typedef {{rank: number, may: string[]}} Grant
 * @typedef {{grants?: Record<string, Grant>, owner_id: string|null, moderators: string[]}} Info
 */

/**
 * The roster after a MEMBERS message: its changes applied in place of a whole list (a whole
 * list to everyone would cost the square of the room), or the count only for a large room.
 * @param {Roster} roster
 * @param {MembersMessage} message
 * @returns {Roster}
 */
export function mergeMembers(roster, message) {
  const { joined, left, changed, count, listed, members: all } = message;
  if (listed === false) {  // what was shown is out of date from now on
    return { members: roster.listed ? [] : roster.members, listed: false, count };
  }
  if (all) return { members: all, listed: true, count };
  const updated = new Map(changed.map((m) => [m.id, m]));
  const kept = roster.members.filter((m) => !left.includes(m.id)).map((m) => updated.get(m.id) || m);
  const known = new Set(kept.map((m) => m.id));
  return { members: [...kept, ...joined.filter((m) => !known.has(m.id))], listed: true, count };
}

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
