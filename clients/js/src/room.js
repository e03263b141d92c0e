// @ts-check
// A watchparty room, joined: the latest state, the server's clock, the commands as promises,
// a player kept in sync, and reconnection as the same member. It takes Socket.IO's `io`
// (index.js passes socket.io-client's), so that it runs wherever that client runs.
import { Follower, DEFAULT_TUNING } from "./follow.js";
import { mergeMembers } from "./members.js";
import { dailymotionPlayer } from "./dailymotion.js";
import { mediaPlayer, youtubePlayer } from "./players.js";
import { twitchPlayer } from "./twitch.js";
import { vimeoPlayer } from "./vimeo.js";
import { SyncClock, ping, roomPosition } from "./sync.js";

/**
 * @typedef {import("./sync.js").RoomState} RoomState
 * @typedef {import("./sync.js").QueueItem} QueueItem
 * @typedef {import("./sync.js").Track} Track
 * @typedef {{code: string, message: string, params?: Record<string, unknown>}} WireError
 * @typedef {{name?: string, token?: string, password?: string, invite?: string,
 *   guest?: string, path?: string, timeout?: number, tuning?: Partial<typeof DEFAULT_TUNING>,
 *   socket?: Record<string, unknown>}} JoinOptions
 * @typedef {{event: string, by?: string | null}} Change
 */

const NAMESPACE = "/rooms";
// Server events that carry the room's new state (the small queue operations arrive as
// UPDATE_QUEUE; DEGRADED's all-clear carries it too).
const STATE_EVENTS = ["PLAY", "PAUSE", "SEEK", "CHANGE_VIDEO", "UPDATE_QUEUE", "SET_RATE", "SET_SUBTITLES", "DEGRADED"];

/** A refusal from the server: `code` is the protocol's (docs/protocol.md), stable. */
export class WatchpartyError extends Error {
  /** @param {WireError} error */
  constructor(error) {
    super(error.message);
    this.name = "WatchpartyError";
    this.code = error.code;
    this.params = error.params || {};
  }
}

export class Room {
  /**
   * joinRoom (index.js) and connectRoom make one and wait for the room's state; a page that
   * keeps its own socket (the room page: it asks for passwords, changes names) makes one
   * around it. Register handlers that must see ROOM_STATE before the state does first.
   * @param {any} socket a Socket.IO client socket on /rooms, not yet connected
   * @param {JoinOptions} options
   */
  constructor(socket, options) {
    this.socket = socket;
    this.timeout = options.timeout || 8000;
    this.tuning = { ...DEFAULT_TUNING, ...(options.tuning || {}) };
    /** @type {RoomState | null} */
    this.state = null;
    /** @type {any} ROOM_STATE's info: name, owner, control, what each role may do */
    this.info = null;
    /** @type {any} this member: id, name, role */
    this.you = null;
    /** @type {import("./members.js").Roster} who is here (a large room: the count only) */
    this.roster = { members: [], listed: true, count: 0 };
    this.clock = new SyncClock();
    /** @type {Map<string, Set<(...args: any[]) => void>>} */
    this.listeners = new Map();
    /** @type {Set<Follower>} */
    this.followers = new Set();
    this.closed = false;
    this._wire();
  }

  /** The members (empty in a room too large to list them: `roster.count` says how many). */
  get members() {
    return this.roster.members;
  }

  /** Seconds on this side's monotonic clock. */
  local() {
    return performance.now() / 1000;
  }

  /** The server's time now, by the clock estimate (seconds). */
  serverNow() {
    return this.clock.serverTime(this.local());
  }

  /** Where the room's video is now, in seconds. */
  position() {
    return roomPosition(this.state, this.serverNow());
  }

  /**
   * Listen: "state" (state, change), "members" (members, MEMBERS message or null), "info"
   * (info), "chat" (message),
   * "connected", "disconnected" (reason), "deleted", or any server event by its name.
   * Returns a function that stops listening.
   * @param {string} event @param {(...args: any[]) => void} listener
   */
  on(event, listener) {
    const set = this.listeners.get(event) || new Set();
    set.add(listener);
    this.listeners.set(event, set);
    return () => set.delete(listener);
  }

  /** @param {string} event @param {...any} args */
  _tell(event, ...args) {
    for (const listener of this.listeners.get(event) || []) listener(...args);
  }

  /**
   * Send an event and wait for its acknowledgement: resolves with it, or rejects with a
   * WatchpartyError (its `code`: the server's, or "timeout" when no answer came).
   * @param {string} event @param {object} [payload]
   * @returns {Promise<any>}
   */
  send(event, payload = {}) {
    return new Promise((resolve, reject) => {
      this.socket.timeout(this.timeout).emit(event, payload, (/** @type {any} */ err, /** @type {any} */ ack) => {
        if (err) return reject(new WatchpartyError({ code: "timeout", message: `no answer to ${event}` }));
        if (ack.state) this._apply(ack.state, { event, by: this.you ? this.you.name : null });
        if (!ack.ok) return reject(new WatchpartyError(ack.error));
        resolve(ack);
      });
    });
  }

  /**
   * Ask for the list a room too large to send it shows only by count (`roster.listed` false):
   * the roster holds it until the next MEMBERS. Resolves with the members.
   * @returns {Promise<import("./members.js").Member[]>}
   */
  async listMembers() {
    const ack = await this.send("MEMBER_LIST");
    this.roster = { ...this.roster, members: ack.members, count: ack.count };
    this._tell("members", this.roster.members, null);
    return this.roster.members;
  }

  play() { return this.send("PLAY"); }
  pause() { return this.send("PAUSE"); }
  /** @param {number} seconds */
  seek(seconds) { return this.send("SEEK", { timestamp: seconds }); }
  /** @param {string} videoId @param {{title?: string, duration?: number, subtitles?: object[]}} [more] */
  changeVideo(videoId, more = {}) { return this.send("CHANGE_VIDEO", { video_id: videoId, ...more }); }
  /** @param {number} rate */
  setRate(rate) { return this.send("SET_RATE", { rate }); }
  /** The whole queue: items keep their ids when sent back with them. @param {object[]} queue */
  setQueue(queue) {
    const theirs = new Set(["kind", "added_by"]);  // the server's to say
    const items = queue.map((item) => Object.fromEntries(Object.entries(item).filter(([key]) => !theirs.has(key))));
    return this.send("UPDATE_QUEUE", { queue: items });
  }
  /** @param {{video_id: string, title?: string, duration?: number}} item @param {number} [position] */
  addToQueue(item, position) {
    return this.send("QUEUE_ADD", position === undefined ? { item } : { item, position });
  }
  /** @param {string} id */
  removeFromQueue(id) { return this.send("QUEUE_REMOVE", { id }); }
  /** @param {string} id @param {number} to */
  moveInQueue(id, to) { return this.send("QUEUE_MOVE", { id, to }); }
  /** @param {object[]} subtitles @param {string} [id] a queue item's; else the current video's */
  setSubtitles(subtitles, id) { return this.send("SET_SUBTITLES", id === undefined ? { subtitles } : { id, subtitles }); }
  /** @param {string} text */
  chat(text) { return this.send("CHAT", { text }); }

  /**
   * Keep a player on the room: an HTMLMediaElement (<video>, <audio>), or with `kind` a
   * YouTube IFrame player, a Vimeo.Player, a Twitch.Player or a Dailymotion player (with
   * `events`: dailymotion.events). Its own events are never sent to the room: only the
   * commands this page sends change it. Returns a function that stops.
   * @param {any} target
   * @param {{kind?: "media" | "youtube" | "vimeo" | "twitch" | "dailymotion", events?: any}} [options]
   */
  attach(target, { kind = "media", events } = {}) {
    const follower = this.follow();
    const players = {
      media: () => mediaPlayer(target),
      youtube: () => youtubePlayer(() => target),
      vimeo: () => vimeoPlayer(target),
      twitch: () => twitchPlayer(target, events || target.constructor),  // Twitch.Player.READY, ...
      dailymotion: () => dailymotionPlayer(target, events),
    };
    follower.use(players[kind]());
    return () => this.unfollow(follower);
  }

  /**
   * A Follower on this room, for players made and replaced by the caller (`use(player)`):
   * what attach() is built on, and the room page's player.
   * @param {import("./follow.js").Hooks} [hooks]
   */
  follow(hooks = {}) {
    const follower = new Follower(
      {
        state: () => this.state,
        now: () => this.serverNow(),
        local: () => this.local(),
        toLocal: (server) => this.clock.localTime(server),
        clockReady: () => this.clock.offset !== null,
        clockError: () => this.clock.error,
        report: (event, payload) => this.socket.emit(event, payload, () => {}),
      },
      this.tuning,
      hooks,
    );
    this.followers.add(follower);
    return follower;
  }

  /** @param {Follower} follower */
  unfollow(follower) {
    follower.stop();
    this.followers.delete(follower);
  }

  /** A state learnt another way (an HTTP answer): kept if it is newer. @param {RoomState} state */
  apply(state) {
    this._apply(state, { event: "HTTP" });
  }

  /** Leave the room and stop every attached player. */
  close() {
    this.closed = true;
    clearInterval(this.pinger);
    for (const follower of this.followers) follower.stop();
    this.followers.clear();
    this.socket.disconnect();
  }

  /** @param {RoomState} next @param {Change} change @param {boolean} [fresh] */
  _apply(next, change, fresh = false) {
    if (!fresh && this.state && next.version <= this.state.version) return;  // late or repeated
    this.state = next;
    for (const follower of this.followers) follower.update();
    this._tell("state", next, change);
  }

  _ping() {
    ping(this.clock, () => this.local(), (payload, onAck) => this.socket.emit("TIME", payload, onAck), (first) => {
      if (first) for (const follower of this.followers) follower.update();
    });
  }

  _wire() {
    const socket = this.socket;
    // Clock: a burst of pings on every connection, then one every few seconds.
    this.pinger = setInterval(() => socket.connected && this._ping(), 3000);
    socket.on("connect", () => {
      for (let i = 0; i < 8; i++) setTimeout(() => this._ping(), i * 100);
      this._tell("connected");
    });
    socket.on("disconnect", (/** @type {string} */ reason) => this._tell("disconnected", reason));
    socket.on("ROOM_STATE", (/** @type {any} */ snapshot) => {
      this.info = snapshot.info;
      this.you = snapshot.you;
      this.roster = { members: snapshot.members, listed: snapshot.listed, count: snapshot.count };
      // A reconnection comes back as this member, and a guest as the same guest.
      socket.auth.resume = snapshot.you.resume;
      if (snapshot.you.guest_token) socket.auth.guest = snapshot.you.guest_token;
      this._apply(snapshot.state, { event: "ROOM_STATE" }, true);
      this._tell("ROOM_STATE", snapshot);
    });
    for (const event of STATE_EVENTS) {
      socket.on(event, (/** @type {any} */ message) => {
        if (message.state) this._apply(message.state, { event, by: message.by });
        this._tell(event, message);
      });
    }
    socket.on("MEMBERS", (/** @type {any} */ delta) => {
      this.roster = mergeMembers(this.roster, delta);
      this._tell("members", this.roster.members, delta);
    });
    socket.on("ROOM_INFO", (/** @type {any} */ info) => {
      this.info = info;
      this._tell("info", info);
    });
    socket.on("CHAT", (/** @type {any} */ message) => this._tell("chat", message));
    socket.on("ROOM_DELETED", () => {
      this.close();
      this._tell("deleted");
    });
    for (const event of ["CHAT_DELETED", "REACTIONS", "SKIP_VOTES", "QUEUE_VOTES", "KICKED", "BANNED", "MUTED"]) {
      socket.on(event, (/** @type {any} */ message) => this._tell(event, message));
    }
  }
}

/**
 * Join room `roomId` on the server at `url` with Socket.IO's `io`: resolves once the room's
 * state has arrived, rejects with a WatchpartyError when the server refuses (its `code`:
 * password_required, room_not_found, ...).
 * @param {(url: string, options: object) => any} io
 * @param {string} url the server's origin, e.g. "https://watch.example"
 * @param {string} roomId
 * @param {JoinOptions} [options]
 * @returns {Promise<Room>}
 */
export function connectRoom(io, url, roomId, options = {}) {
  /** @type {Record<string, string>} */
  const auth = { room: roomId };
  for (const key of /** @type {const} */ (["name", "token", "password", "invite", "guest"])) {
    const value = options[key];
    if (value) auth[key] = value;
  }
  const socket = io(url.replace(/\/$/, "") + NAMESPACE, {
    auth,
    path: options.path || "/socket.io",
    transports: ["websocket", "polling"],
    tryAllTransports: true,
    ...(options.socket || {}),
  });
  const room = new Room(socket, options);
  return new Promise((resolve, reject) => {
    const stopJoined = room.on("ROOM_STATE", () => {
      stopJoined();
      socket.off("connect_error", refused);
      resolve(room);
    });
    /** @param {any} err */
    function refused(err) {
      if (!err.data || !err.data.code) return;  // the network: Socket.IO tries again
      stopJoined();
      socket.off("connect_error", refused);
      room.close();
      reject(new WatchpartyError({ code: err.data.code, message: err.message, params: err.data.params }));
    }
    socket.on("connect_error", refused);
  });
}
