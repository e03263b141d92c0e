// @ts-check
// The room page. The server is the only authority: this page renders the state it receives,
// and the client library (clients/js) keeps that state, the server's clock and the player on
// the room. Only the page's own controls send commands. This module connects and
// dispatches; people.js, player.js and queue.js render and act on their parts.
import { describe, t } from "../i18n.js";
import { $, setStatus, showError } from "./view.js";
import { wirePeople } from "./people.js";
import { wirePlayer } from "./player.js";
import { wireQueue } from "./queue.js";
import { wireReactions } from "./reactions.js";
import { inviteOf, wireAccess } from "./access.js";
import { Room as Client } from "../../../clients/js/src/room.js";

/** @typedef {import("./view.js").Room} Room */

const root = /** @type {HTMLElement} */ (document.querySelector(".room"));
const roomId = root.dataset.room || "";

// A signed-in page's socket is signed in by the session cookie the handshake carries (the
// token itself stays in its HttpOnly cookie); a guest sends a display name. A name is not
// a secret: it may live in localStorage (tokens never do). A guest's pass (the server's
// signed guest identity, ROOM_STATE's you.guest_token) is no account's credential: it only
// makes this browser the same guest again, so it may live in localStorage too.
const nameKey = "watchparty:name";
const guestKey = "watchparty:guest";
const nameInput = $("my-name");
/** @type {Record<string, string>} */
const auth = { room: roomId };
if (nameInput) {
  nameInput.value = localStorage.getItem(nameKey) || `guest-${Math.floor(100 + Math.random() * 900)}`;
  localStorage.setItem(nameKey, nameInput.value);
  auth.name = nameInput.value;
  const pass = localStorage.getItem(guestKey);
  if (pass) auth.guest = pass;
}
const invite = inviteOf(window.location.search);  // a link into a private or password room
if (invite) auth.invite = invite;
// A websocket from the start (long-polling only if it fails): with several server
// processes on one port, long-polling's requests could reach different ones.
// io: the vendored Socket.IO client's global (static/vendor, tests/js/globals.d.ts).
const socket = io(root.dataset.namespace, {
  auth,
  transports: ["websocket", "polling"],
  tryAllTransports: true,
});
// What this page knows before the state arrives (the client's own handler, registered
// after, applies it and renders).
socket.on("ROOM_STATE", (/** @type {any} */ snapshot) => {
  room.info = snapshot.info;
  room.you = snapshot.you;
  if (snapshot.you.guest_token) localStorage.setItem(guestKey, snapshot.you.guest_token);
  room.votes = snapshot.queue_votes || {};
});
// The client library keeps the state, the server's clock (TIME), membership across
// reconnections and the player on the room (clients/js); this page draws it.
const client = new Client(socket, { tuning: { ...JSON.parse(root.dataset.sync || "{}"), pausedSeekAbove: 0.002 } });

/** @type {Room} */
const room = {
  id: roomId,
  root,
  socket,
  client,
  get state() { return client.state; },
  info: null,
  you: null,
  get roster() { return client.roster; },
  chat: [],
  titles: new Map(),  // video_id -> title, from the queue and from searches
  votes: {},  // queue item id -> votes, in a room whose queue plays by votes
  myVotes: new Set(),  // the items this page voted for
  send,
  refused,
  apply,
  rendered: [],
};

/** A command or room event, acknowledged: the ack (ok), or null after showing why not.
 * @param {string} event @param {object} payload */
function send(event, payload) {
  return client.send(event, payload).catch(refused);
}

/** Shows why the server refused (the client library's WatchpartyError). @param {any} err */
function refused(err) {
  if (err.code === "timeout") showError(t("The server did not answer; is the connection down?"));
  else {
    showError(err.code === "stale_version"
      ? t("Someone changed the room at the same moment; look again and retry.")
      : t("Refused: {reason}", { reason: describe({ code: err.code, message: err.message, params: err.params }) }));
  }
  return null;
}

/** A state from an HTTP answer (loading a playlist), kept if newer. @param {import("./view.js").RoomState} next */
function apply(next) {
  client.apply(next);
}
client.on("state", (/** @type {import("./view.js").RoomState} */ next) => {
  for (const item of next.queue) if (item.title) room.titles.set(item.video_id, item.title);
  for (const render of room.rendered) render();
});

const people = wirePeople(room);
const queue = wireQueue(room, people.renderAccess);
room.rendered.push(queue.render, renderNow, resetSkip);
wirePlayer(room);  // renders and steers last, as the state's last step
wireReactions(room);
const access = wireAccess(room);

function renderNow() {
  const state = room.state;
  const toggle = $("toggle");
  toggle.textContent = state && state.playing ? "❚❚" : "▶";
  toggle.setAttribute("aria-label", state && state.playing ? t("Pause") : t("Play"));
  $("waiting-note").hidden = !(state && state.waiting);
  $("now-title").textContent = state && state.video_id ? queue.titleOf({ video_id: state.video_id, title: state.title }) : "";
}
/** @type {string | null} */
let lastVideo = null;
function resetSkip() {
  const state = room.state;
  if (state && state.video_id !== lastVideo) { lastVideo = state.video_id; $("vote-skip").textContent = t("Skip"); }
  $("vote-skip").disabled = !state || !state.video_id;
}

// --- the socket ---------------------------------------------------------------------------
socket.on("connect", () => {
  setStatus(t("connected"), "ok");
  $("degraded").hidden = true;  // a new connection hears DEGRADED again if it still is
});
socket.on("disconnect", () => setStatus(t("reconnecting…"), "bad"));
socket.io.on("reconnect_attempt", () => setStatus(t("reconnecting…"), "bad"));
socket.on("connect_error", (/** @type {any} */ err) => {
  setStatus(err.data && err.data.code ? t("cannot join") : t("reconnecting…"), "bad");
  if (err.data && access.refused(err.data.code)) return;
  if (err.data && err.data.code === "room_not_found") showError(t("This room does not exist."));
  else if (err.data && err.data.code) showError(t("Cannot join: {reason}", { reason: describe({ code: err.data.code, message: err.message, params: err.data.params }) }));
});
client.on("ROOM_STATE", (/** @type {any} */ snapshot) => {  // after the state is drawn
  people.joined(snapshot);
  access.render();
  if (room.info && room.you && room.info.owner_id === room.you.user_id && room.you.user_id) access.owner();
});
// Several server processes that lost Redis: the room plays on; its state may have moved
// meanwhile without reaching this page, so the all-clear carries it.
socket.on("DEGRADED", (/** @type {any} */ news) => {  // the client applies its state
  $("degraded").hidden = !news.degraded;
});
socket.on("SKIP_VOTES", (/** @type {any} */ { video_id: videoId, votes, needed }) => {
  if (room.state && videoId === room.state.video_id) $("vote-skip").textContent = t("Skip ({votes}/{needed})", { votes, needed });
});
socket.on("ROOM_DELETED", () => {
  socket.io.reconnection(false);
  socket.disconnect();
  setStatus(t("room deleted"), "bad");
  showError(t("The owner deleted this room."));
});

// --- controls -----------------------------------------------------------------------------
const toggle = () => room.state && send(room.state.playing ? "PAUSE" : "PLAY", {});
$("toggle").addEventListener("click", toggle);
document.addEventListener("keydown", (e) => {
  const active = document.activeElement;
  if (e.code === "Space" && !["INPUT", "BUTTON", "TEXTAREA"].includes(active ? active.tagName : "")) {
    e.preventDefault();
    toggle();
  }
});
$("vote-skip").addEventListener("click", () => send("VOTE_SKIP", {}));
if (nameInput) {
  nameInput.addEventListener("change", () => {
    const name = nameInput.value.trim().slice(0, 40);
    if (!name) return;
    localStorage.setItem(nameKey, name);
    socket.auth.name = name;
    socket.disconnect().connect();
  });
}
$("copy-link").addEventListener("click", async () => {
  try {
    await navigator.clipboard.writeText(window.location.href);
    $("copy-link").textContent = t("Copied!");
    setTimeout(() => { $("copy-link").textContent = t("Copy link"); }, 1500);
  } catch {
    window.prompt(t("Copy this link"), window.location.href);
  }
});
