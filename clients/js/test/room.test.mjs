// The client library against a real watchparty server (WATCHPARTY_URL; tests/e2e/
// test_js_client.py starts one): joining, every command, refusals, reconnecting as the same
// member, and a media element kept on the room.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { WatchpartyError, joinRoom } from "../src/index.js";

const URL = process.env.WATCHPARTY_URL;
if (!URL) throw new Error("set WATCHPARTY_URL to a running watchparty server");
const rooms = [];
after(() => { for (const room of rooms) room.close(); });

async function http(method, path, body, token) {
  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${URL}${path}`, { method, headers, body: body && JSON.stringify(body) });
  return { status: res.status, data: res.status === 204 ? null : await res.json() };
}
async function newRoom(token) {
  const { status, data } = await http("POST", "/api/rooms", {}, token);
  assert.equal(status, 201);
  return data.id;
}
async function join(roomId, options) {
  const room = await joinRoom(URL, roomId, { socket: { forceNew: true }, ...options });
  rooms.push(room);
  return room;
}
/** The next "state" change `room` hears. */
function nextChange(room) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no state change within 5 s")), 5000);
    const stop = room.on("state", (state, change) => { clearTimeout(timer); stop(); resolve({ state, change }); });
  });
}
const until = async (check, what, ms = 5000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`not ${what} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

test("joining gives the state, and every command reaches the other member", async () => {
  const id = await newRoom();
  const ann = await join(id, { name: "Ann" });
  const bob = await join(id, { name: "Bob" });
  assert.equal(ann.state.room, id);
  assert.equal(bob.you.name, "Bob");
  await until(() => ann.members.length === 2, "two members");
  const steps = [
    ["CHANGE_VIDEO", () => ann.changeVideo("/media/clip.webm", { title: "Clip" })],
    ["PLAY", () => ann.play()],
    ["SEEK", () => ann.seek(1.5)],
    ["SET_RATE", () => ann.setRate(1.25)],
    ["PAUSE", () => ann.pause()],
    ["SET_SUBTITLES", () => ann.setSubtitles([{ label: "Français", lang: "fr", url: "https://s.example/fr.vtt" }])],
    ["UPDATE_QUEUE", () => ann.setQueue([{ video_id: "/media/a.webm" }, { video_id: "/media/b.webm" }])],
    ["UPDATE_QUEUE", () => ann.addToQueue({ video_id: "dQw4w9WgXcQ" }, 0)],
    ["UPDATE_QUEUE", () => ann.moveInQueue(ann.state.queue[0].id, 2)],
    ["UPDATE_QUEUE", () => ann.removeFromQueue(ann.state.queue[2].id)],
  ];
  for (const [event, command] of steps) {
    const heard = nextChange(bob);
    const ack = await command();
    assert.equal(ack.ok, true);
    const { state, change } = await heard;
    assert.equal(change.event, event);
    assert.equal(change.by, "Ann");
    assert.deepEqual(state, ann.state);  // both hold the same, newest state
  }
  assert.equal(bob.state.rate, 1.25);
  assert.deepEqual(bob.state.queue.map((i) => i.video_id), ["/media/a.webm", "/media/b.webm"]);
  // A queue read from the state can be sent back as it is (ids kept, kinds left out).
  await ann.setQueue([...ann.state.queue].reverse());
  assert.deepEqual(ann.state.queue.map((i) => i.video_id), ["/media/b.webm", "/media/a.webm"]);
  const said = new Promise((resolve) => bob.on("chat", resolve));
  await ann.chat("hello");
  assert.equal((await said).text, "hello");
});

test("a refused command rejects with the server's code and changes nothing", async () => {
  const ann = await join(await newRoom(), { name: "Ann" });
  const before = ann.state.version;
  await assert.rejects(ann.play(), (err) => err instanceof WatchpartyError && err.code === "no_video");
  await assert.rejects(ann.seek(-1), (err) => err.code === "invalid_payload");
  await assert.rejects(ann.setRate(1.1e9), (err) => err.code === "invalid_payload");
  assert.equal(ann.state.version, before);
});

test("a refused join rejects with the server's code", async () => {
  await assert.rejects(joinRoom(URL, "NoSuchRoom12", { name: "Ann" }), (err) => err.code === "room_not_found");
  const owner = (await http("POST", "/api/auth/register", { username: "clientowner", email: "co@example.org", password: "a long enough password" })).data;
  const id = await newRoom(owner.token);
  assert.equal((await http("PATCH", `/api/rooms/${id}`, { password: "sesame" }, owner.token)).status, 200);
  await assert.rejects(joinRoom(URL, id, { name: "Eve" }), (err) => err.code === "password_required");
  await assert.rejects(joinRoom(URL, id, { name: "Eve", password: "nope" }), (err) => err.code === "wrong_password");
  const guest = await join(id, { name: "Gus", password: "sesame" });
  const member = await join(id, { token: owner.token });  // the owner, by its token
  assert.equal(member.you.user_id, owner.user.id);
  assert.equal(member.you.role, "owner");
  assert.equal(guest.you.role, "guest");
});

test("the roster follows MEMBERS, and listMembers asks for the whole list", async () => {
  const id = await newRoom();
  const ann = await join(id, { name: "Ann" });
  /** @type {any[]} */
  const told = [];
  ann.on("members", (members, delta) => told.push([members.map((m) => m.name), delta]));
  const bob = await join(id, { name: "Bob" });
  await until(() => told.length > 0, "a MEMBERS message");
  assert.deepEqual(told[0][0].sort(), ["Ann", "Bob"]);
  assert.deepEqual(told[0][1].joined.map((/** @type {any} */ m) => m.id), [bob.you.id]);
  const listed = await ann.listMembers();
  assert.deepEqual(listed.map((m) => m.id).sort(), [ann.you.id, bob.you.id].sort());
  assert.equal(told.at(-1)[1], null);
  assert.equal(ann.roster.count, 2);
  await bob.close();
  await until(() => ann.members.length === 1, "Bob gone");
});

test("a lost connection comes back as the same member, with the state", async () => {
  const id = await newRoom();
  const ann = await join(id, { name: "Ann" });
  const bob = await join(id, { name: "Bob" });
  const me = bob.you.id;
  await until(() => ann.members.length === 2, "two members");
  await ann.changeVideo("/media/clip.webm");
  const back = new Promise((resolve) => bob.on("ROOM_STATE", resolve));
  bob.socket.io.engine.close();  // the network drops; Socket.IO reconnects by itself
  await ann.seek(4);  // meanwhile
  await back;
  assert.equal(bob.you.id, me);
  assert.equal(bob.state.version, ann.state.version);
  assert.equal(bob.state.position, 4);
  assert.deepEqual(ann.members.map((m) => m.id).sort(), [ann.you.id, me].sort());
});

test("an attached media element plays with the room, and the clock estimate is close", async () => {
  const ann = await join(await newRoom(), { name: "Ann" });
  await until(() => ann.clock.offset !== null, "a clock estimate");
  // Server and client share a machine here: the offset is the clocks' origins apart, known.
  const truth = Date.now() / 1000 - performance.now() / 1000;
  assert.ok(Math.abs(ann.clock.offset - truth) < 0.02, `offset ${ann.clock.offset} vs ${truth}`);
  const media = fakeMedia(60);
  const stop = ann.attach(media);
  await ann.changeVideo("/media/clip.webm");
  await ann.seek(10);
  await ann.play();
  await until(() => !media.paused, "playing");
  await new Promise((r) => setTimeout(r, 1000));
  const off = Math.abs(media.currentTime - ann.position());
  assert.ok(off < 0.05, `${off} s off the room`);
  await ann.pause();
  await until(() => media.paused, "paused");
  stop();
});

/** A media element that plays on the real clock: what attach() needs of a <video>. A new
 * rate applies from when it is set, as a real element's does. */
function fakeMedia(duration) {
  let position = 0;
  let since = null;
  let rate = 1;
  const now = () => performance.now() / 1000;
  const media = {
    duration, readyState: 4, seeking: false,
    get paused() { return since === null; },
    get currentTime() { return since === null ? position : position + (now() - since) * rate; },
    set currentTime(t) { position = t; if (since !== null) since = now(); },
    get playbackRate() { return rate; },
    set playbackRate(r) { position = media.currentTime; if (since !== null) since = now(); rate = r; },
    play() { if (since === null) since = now(); return Promise.resolve(); },
    pause() { if (since !== null) { position = media.currentTime; since = null; } },
  };
  return media;
}
