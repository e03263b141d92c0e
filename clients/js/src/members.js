// @ts-check
// The member list as MEMBERS changes it (docs/protocol.md): pure; the room page and room.js
// keep theirs with it (tests/js/unit/members.test.mjs).

/**
 * @typedef {{id: string, name: string, user_id: string|null, signed_in: boolean, role: string}} Member
 * @typedef {{members: Member[], listed: boolean, count: number}} Roster
 * @typedef {{joined: Member[], left: string[], changed: Member[], count: number,
 *   listed?: boolean, members?: Member[]}} MembersMessage
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
