// static/js/room/access.js's pure parts: the invite a link carries, and how an invite reads.
import { test } from "node:test";
import assert from "node:assert/strict";
import { inviteOf, inviteSummary } from "../../../static/js/room/access.js";

test("the invite comes from the link's query, and only a token's characters", () => {
  assert.equal(inviteOf("?invite=abc_DEF-123"), "abc_DEF-123");
  assert.equal(inviteOf("?x=1&invite=tok"), "tok");
  assert.equal(inviteOf(""), null);
  assert.equal(inviteOf("?invite="), null);
  assert.equal(inviteOf("?invite=%3Cscript%3E"), null);
  assert.equal(inviteOf(`?invite=${"a".repeat(65)}`), null);
});

test("an invite says how much it was used and when it expires", () => {
  const base = { token: "t", url: "u", created_at: 0 };
  assert.equal(inviteSummary({ ...base, uses: null, used: 3, expires_at: null }, 0), "used by 3");
  assert.equal(inviteSummary({ ...base, uses: 5, used: 1, expires_at: 7200 }, 0), "used by 1 of 5 · expires in 2 h");
  assert.equal(inviteSummary({ ...base, uses: 1, used: 1, expires_at: 10 }, 100), "used by 1 of 1 · expires in 0 h");
});
