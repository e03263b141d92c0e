// The core room scenario, driven by the official npm socket.io-client (v4) in Node.
// Run by tests/test_js_client.py, which starts the server and sets WATCHPARTY_URL.
"use strict";
const { test } = require("node:test");
const assert = require("node:assert/strict");
const { io } = require("socket.io-client");

const URL = process.env.WATCHPARTY_URL;
if (!URL) throw new Error("set WATCHPARTY_URL to a running watchparty server");

async function createRoom() {
  const res = await fetch(`${URL}/api/rooms`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
  assert.equal(res.status, 201);
  return (await res.json()).id;
}

// Connects and resolves with the socket and its join snapshot; records every event.
function join(room, name, transports = ["websocket"]) {
  return new Promise((resolve, reject) => {
    const socket = io(`${URL}/rooms`, { auth: { room, name }, transports, forceNew: true, reconnection: false });
    socket.received = [];
    trackMembers(socket);
    socket.onAny((event, data) => socket.received.push([event, data]));
    socket.once("ROOM_STATE", (snapshot) => resolve({ socket, snapshot }));
    socket.once("connect_error", reject);
  });
}
const next = (socket, event) => new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`no ${event} within 5 s`)), 5000);
  socket.once(event, (data) => { clearTimeout(timer); resolve(data); });
});
// Keeps socket.members current: ROOM_STATE's list, then each MEMBERS change (drop left,
// replace changed, add joined at the end), as the protocol says.
function trackMembers(socket) {
  socket.members = [];
  socket.on("ROOM_STATE", (snapshot) => { socket.members = snapshot.members; });
  socket.on("MEMBERS", ({ joined, left, changed }) => {
    const updated = new Map(changed.map((m) => [m.id, m]));
    const kept = socket.members.filter((m) => !left.includes(m.id)).map((m) => updated.get(m.id) || m);
    const known = new Set(kept.map((m) => m.id));
    socket.members = [...kept, ...joined.filter((m) => !known.has(m.id))];
  });
}
// Resolves when the member list is exactly these names (updates are coalesced by the server).
const membersBecome = (socket, names) => new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`members never became ${names}`)), 5000);
  const same = () => JSON.stringify(socket.members.map((m) => m.name)) === JSON.stringify(names);
  const check = () => {
    if (!same()) return;
    clearTimeout(timer); socket.off("MEMBERS", check); resolve();
  };
  socket.on("MEMBERS", check);
  check();
});
const call = (socket, event, payload) => socket.timeout(5000).emitWithAck(event, payload);

test("two clients share a room: snapshot, members, every command", async () => {
  const room = await createRoom();
  const { socket: ann, snapshot } = await join(room, "ann");
  assert.equal(snapshot.state.room, room);
  assert.equal(snapshot.state.version, 0);
  assert.deepEqual(snapshot.members.map((m) => m.name), ["ann"]);

  const annSeesMembers = membersBecome(ann, ["ann", "bob"]);
  const { socket: bob, snapshot: bobSnap } = await join(room, "bob", ["polling", "websocket"]);
  assert.deepEqual(bobSnap.members.map((m) => m.name), ["ann", "bob"]);
  await annSeesMembers;

  const script = [
    ["CHANGE_VIDEO", { video_id: "dQw4w9WgXcQ" }],
    ["PLAY", {}],
    ["SEEK", { timestamp: 30 }],
    ["PAUSE", {}],
    ["UPDATE_QUEUE", { queue: [{ video_id: "next-------", title: "Next" }] }],
  ];
  let version = 0;
  for (const [event, payload] of script) {
    const heard = next(bob, event);
    const ack = await call(ann, event, payload);
    assert.equal(ack.ok, true, JSON.stringify(ack));
    assert.equal(ack.state.version, ++version);
    const message = await heard;
    assert.deepEqual(message.state, ack.state);
    assert.equal(message.by, "ann");
  }
  const last = (await call(bob, "TIME", { client_time: 1.5 }));
  assert.equal(last.ok, true);
  assert.equal(last.client_time, 1.5);
  assert.ok(Math.abs(last.server_time - Date.now() / 1000) < 5);

  const annLeaves = membersBecome(bob, ["bob"]);
  ann.close();
  await annLeaves;
  bob.close();
});

test("a stale version loses and both clients end in one state", async () => {
  const room = await createRoom();
  const { socket: ann } = await join(room, "ann");
  const { socket: bob } = await join(room, "bob");
  const base = (await call(ann, "CHANGE_VIDEO", { video_id: "v----------" })).state.version;
  const [a, b] = await Promise.all([call(ann, "PLAY", { version: base }), call(bob, "PAUSE", { version: base })]);
  const winner = a.ok ? a : b, loser = a.ok ? b : a;
  assert.equal(winner.ok, true);
  assert.equal(loser.ok, false);
  assert.equal(loser.error.code, "stale_version");
  assert.deepEqual(loser.state, winner.state);
  const res = await fetch(`${URL}/api/rooms/${room}`);
  assert.deepEqual((await res.json()).state, winner.state);
  ann.close(); bob.close();
});

test("bad input is refused through the ack and changes nothing", async () => {
  const room = await createRoom();
  const { socket: ann } = await join(room, "ann");
  for (const [event, payload, code] of [
    ["SEEK", { timestamp: -1 }, "invalid_payload"],
    ["SEEK", { timestamp: "1" }, "invalid_payload"],
    ["CHANGE_VIDEO", {}, "invalid_payload"],
    ["UPDATE_QUEUE", { queue: "all of them" }, "invalid_payload"],
    ["EXPLODE", {}, "unknown_event"],
  ]) {
    const ack = await call(ann, event, payload);
    assert.equal(ack.ok, false);
    assert.equal(ack.error.code, code);
  }
  const res = await fetch(`${URL}/api/rooms/${room}`);
  assert.equal((await res.json()).state.version, 0);
  ann.close();
});

test("an unknown room refuses the connection with a reason", async () => {
  await assert.rejects(join("no-such-room", "ann"), (err) => {
    assert.equal(err.message, "room not found");
    assert.equal(err.data.code, "room_not_found");
    return true;
  });
});

// Accounts: a token in `auth` signs the socket in; the owner's room refuses a guest's command.
async function signUp(username) {
  const res = await fetch(`${URL}/api/auth/register`, {
    method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, email: `${username}@example.org`, password: "node client pw" }),
  });
  assert.equal(res.status, 201);
  return res.json();
}
function joinWith(auth) {
  return new Promise((resolve, reject) => {
    const socket = io(`${URL}/rooms`, { auth, transports: ["websocket"], forceNew: true, reconnection: false });
    socket.once("ROOM_STATE", (snapshot) => resolve({ socket, snapshot }));
    socket.once("connect_error", reject);
  });
}

test("a signed-in owner controls a room that guests may only watch", async () => {
  const owner = await signUp(`node${Date.now()}`);
  const bearer = { authorization: `Bearer ${owner.token}`, "content-type": "application/json" };
  let res = await fetch(`${URL}/api/rooms`, { method: "POST", headers: bearer, body: "{}" });
  const room = (await res.json()).id;
  res = await fetch(`${URL}/api/rooms/${room}`, { method: "PATCH", headers: bearer, body: JSON.stringify({ control: "owner" }) });
  assert.equal(res.status, 200);

  const { socket: ann, snapshot } = await joinWith({ room, token: owner.token });
  assert.equal(snapshot.you.user_id, owner.user.id);
  assert.equal(snapshot.you.role, "owner");
  assert.equal(snapshot.info.control, "owner");
  const { socket: guest, snapshot: guestSnap } = await joinWith({ room, name: "guest" });
  assert.equal(guestSnap.you.role, "guest");

  const refused = await call(guest, "SEEK", { timestamp: 9 });
  assert.equal(refused.ok, false);
  assert.equal(refused.error.code, "forbidden");
  const accepted = await call(ann, "SEEK", { timestamp: 9 });
  assert.equal(accepted.ok, true);
  assert.equal(accepted.state.version, 1);

  await assert.rejects(joinWith({ room, token: "not-a-token" }), (err) => {
    assert.equal(err.data.code, "invalid_token");
    return true;
  });
  ann.close();
  guest.close();
});
