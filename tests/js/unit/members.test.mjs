// static/js/members.js: the member list as MEMBERS changes it, and the grants the server sends.
import { test } from "node:test";
import assert from "node:assert/strict";
import { may, mayActOn, roleIn } from "../../../static/js/members.js";
import { mergeMembers } from "../../../clients/js/src/members.js";

const member = (id, role = "member") => ({ id, name: id, user_id: null, signed_in: false, role });
const delta = (fields) => ({ joined: [], left: [], changed: [], count: 0, listed: true, ...fields });

test("joins, leaves and changes apply in order, without duplicates", () => {
  let roster = { members: [member("a"), member("b")], listed: true, count: 2 };
  roster = mergeMembers(roster, delta({ joined: [member("c"), member("a")], left: ["b"], changed: [member("a", "moderator")], count: 2 }));
  assert.deepEqual(roster.members.map((m) => [m.id, m.role]), [["a", "moderator"], ["c", "member"]]);
  assert.equal(roster.count, 2);
});

test("a room that grows past the list keeps the count only, then gets the whole list back", () => {
  let roster = { members: [member("a")], listed: true, count: 1 };
  roster = mergeMembers(roster, delta({ listed: false, count: 500 }));
  assert.deepEqual(roster, { members: [], listed: false, count: 500 });
  roster = mergeMembers({ ...roster, members: [member("fetched")] }, delta({ listed: false, count: 501 }));
  assert.deepEqual(roster.members.map((m) => m.id), ["fetched"]);  // a list asked for stays
  roster = mergeMembers(roster, delta({ members: [member("x"), member("y")], count: 2 }));
  assert.deepEqual(roster, { members: [member("x"), member("y")], listed: true, count: 2 });
});

const info = {
  owner_id: "o",
  moderators: ["m"],
  grants: {
    owner: { rank: 3, may: ["control", "kick", "delete_room"] },
    moderator: { rank: 2, may: ["control", "kick"] },
    member: { rank: 1, may: [] },
    guest: { rank: 1, may: [] },
  },
};

test("what a role may do is what the server's grants say", () => {
  assert.equal(may(info, "moderator", "kick"), true);
  assert.equal(may(info, "member", "control"), false);
  assert.equal(may(info, "moderator", "delete_room"), false);
  assert.equal(may(null, "guest", "control"), true);  // before ROOM_INFO the server decides
});

test("moderation reaches only those of lower rank", () => {
  assert.equal(mayActOn(info, "moderator", "member", "kick"), true);
  assert.equal(mayActOn(info, "moderator", "moderator", "kick"), false);
  assert.equal(mayActOn(info, "moderator", "owner", "kick"), false);
  assert.equal(mayActOn(info, "owner", "moderator", "kick"), true);
  assert.equal(mayActOn(info, "member", "guest", "kick"), false);
});

test("roles are looked up in ROOM_INFO", () => {
  assert.equal(roleIn(info, "o"), "owner");
  assert.equal(roleIn(info, "m"), "moderator");
  assert.equal(roleIn(info, "x"), "member");
  assert.equal(roleIn(info, null), "guest");
});
