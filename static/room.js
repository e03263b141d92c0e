"use strict";
// The room page. The server is the only authority: this page renders the state it receives,
// computes where playback should be *now* from it, and steers the player there. Only the
// page's own controls send commands.
(() => {
  const root = document.querySelector(".room");
  const roomId = root.dataset.room;
  const $ = (id) => document.getElementById(id);

  // Drift correction, in seconds (the server's WATCHPARTY_SYNC_* settings; docs/sync.md):
  // beyond seekAbove a seek; beyond nudgeAbove the playback rate moves by up to maxNudge until
  // caught up (a seek costs a visible stall, a nudge does not).
  const SYNC = { ...JSON.parse(root.dataset.sync), pausedSeekAbove: 0.002 };
  const { SyncClock, roomPosition, steer } = window.WatchSync;

  let state = null;
  let player = null;
  let seekDragging = false;
  const titles = new Map();  // video_id -> title, from the queue and from searches
  // Our offset to the server's clock, measured on the monotonic clock: a wall clock that is
  // wrong or steps changes nothing.
  const clock = new SyncClock();
  const localNow = () => performance.now() / 1000;

  let info = null;  // the room's name, owner and who may control it (ROOM_INFO)
  let you = null;  // this connection as a member: { id, name, user_id, role }
  let members = [];
  // A room of more than a few hundred is told its member count, not the list (MEMBERS
  // "listed": false); the list is then fetched when its viewer asks (MEMBER_LIST).
  let listed = true;
  let memberCount = 0;
  const api = window.watchpartyApi;

  // A signed-in page's socket is signed in by the session cookie the handshake carries (the
  // token itself stays in its HttpOnly cookie); a guest sends a display name. A name is not
  // a secret: it may live in localStorage (tokens never do).
  const nameKey = "watchparty:name";
  const nameInput = $("my-name");
  const auth = { room: roomId };
  // A guest's pass (the server's signed guest identity, ROOM_STATE's you.guest_token) is no
  // account's credential: it only makes this browser the same guest again, so it may live
  // in localStorage too.
  const guestKey = "watchparty:guest";
  if (nameInput) {
    nameInput.value = localStorage.getItem(nameKey) || `guest-${Math.floor(100 + Math.random() * 900)}`;
    localStorage.setItem(nameKey, nameInput.value);
    auth.name = nameInput.value;
    const pass = localStorage.getItem(guestKey);
    if (pass) auth.guest = pass;
  }
  // A websocket from the start (long-polling only if it fails): with several server
  // processes on one port, long-polling's requests could reach different ones.
  const socket = io(root.dataset.namespace, {
    auth,
    transports: ["websocket", "polling"],
    tryAllTransports: true,
  });

  // --- small helpers -------------------------------------------------------------------
  let errorTimer = null;
  function showError(message) {
    const el = $("error");
    el.textContent = message;
    el.hidden = false;
    clearTimeout(errorTimer);
    errorTimer = setTimeout(() => { el.hidden = true; }, 6000);
  }
  const setStatus = (text, cls) => { const el = $("status"); el.textContent = text; el.className = `status ${cls}`; };
  const fmt = (s) => {
    s = Math.max(0, Math.floor(s || 0));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = String(s % 60).padStart(2, "0");
    return h ? `${h}:${String(m).padStart(2, "0")}:${r}` : `${m}:${r}`;
  };
  const serverNow = () => clock.serverTime(localNow());
  const target = () => roomPosition(state, serverNow());
  function button(text, label, onClick, cls = "small") {
    const b = document.createElement("button");
    b.type = "button"; b.className = cls; b.textContent = text; b.setAttribute("aria-label", label);
    b.addEventListener("click", onClick);
    return b;
  }
  const titleOf = (item) => item.title || titles.get(item.video_id) || item.video_id;
  // Whatever people typed goes into the page through textContent: text, never HTML.
  function span(className, text) {
    const el = document.createElement("span");
    el.className = className;
    el.textContent = text;
    return el;
  }

  // --- commands -------------------------------------------------------------------------
  function send(event, payload) {
    return new Promise((resolve) => {
      socket.timeout(8000).emit(event, payload, (err, ack) => {
        if (err) { showError("The server did not answer; is the connection down?"); return resolve(null); }
        if (ack.state) apply(ack.state);
        if (!ack.ok) {
          showError(ack.error.code === "stale_version"
            ? "Someone changed the room at the same moment; look again and retry."
            : `Refused: ${ack.error.message}`);
        }
        resolve(ack.ok ? ack : null);
      });
    });
  }
  // Queue edits are small operations (QUEUE_ADD / _REMOVE / _MOVE), so two people editing at
  // once both get their change; the room answers with the whole new queue.
  const removeItem = (item) => send("QUEUE_REMOVE", { id: item.id });

  // --- state ----------------------------------------------------------------------------
  function apply(next, fresh = false) {
    if (!fresh && state && next.version <= state.version) return;  // late or duplicate
    state = next;
    for (const item of state.queue) if (item.title) titles.set(item.video_id, item.title);
    renderQueue();
    renderNow();
    resetSkip();
    scheduleStart();
    render();
    steerPlayer();
  }
  function renderNow() {
    const toggle = $("toggle");
    toggle.textContent = state && state.playing ? "❚❚" : "▶";
    toggle.setAttribute("aria-label", state && state.playing ? "Pause" : "Play");
    $("waiting-note").hidden = !(state && state.waiting);
    $("now-title").textContent = state && state.video_id ? titleOf({ video_id: state.video_id }) : "";
  }
  // --- who may do what (the server decides; this only greys out what it would refuse) ------
  function roleOf(userId) {
    if (!info || !userId) return userId ? "member" : "guest";
    if (userId === info.owner_id) return "owner";
    return info.moderators.includes(userId) ? "moderator" : "member";
  }
  function canControl() {
    if (!info || !you) return true;
    const role = roleOf(you.user_id);
    return info.control === "everyone" || role === "owner" || role === "moderator"
      || (info.control === "members" && role === "member");
  }
  function renderAccess() {
    const allowed = canControl();
    for (const id of ["toggle", "seek", "add-input", "playlist-append", "playlist-replace"]) {
      if ($(id)) $(id).disabled = !allowed;
    }
    for (const b of document.querySelectorAll("#add-form button, #queue button, #search-results button")) b.disabled = !allowed;
    const note = $("control-note");
    note.hidden = allowed;
    note.textContent = info && info.control === "members"
      ? "Only signed-in members control playback in this room."
      : "Only the owner and moderators control playback in this room.";
    const owner = you && info && you.user_id && you.user_id === info.owner_id;
    $("owner-panel").hidden = !owner;
    // A free room says what its plan allows (where an ad would go); its owner may upgrade.
    const plan = info && info.plan;
    $("plan-banner").hidden = !plan || plan.ad_free;
    if (plan) {
      $("plan-text").textContent = `Free room: up to ${plan.max_members} viewers and ${plan.max_queue} queued videos; deleted after ${root.dataset.freeDays} days unused.`;
    }
    if ($("room-upgrade")) $("room-upgrade").hidden = !owner;
    if (info) {
      const title = info.name || `Room ${roomId}`;
      $("room-title").textContent = title;
      document.title = `${title} · watchparty`;
      $("control-select").value = info.control;
      $("wait-for-all").checked = info.wait_for_all;
      if (document.activeElement !== $("rename-input")) $("rename-input").value = info.name || "";
    }
  }
  const RANK = { owner: 3, moderator: 2, member: 1, guest: 1 };
  const myRank = () => RANK[you ? roleOf(you.user_id) : "guest"];
  function renderMembers(list) {
    members = list;
    $("member-count").textContent = `(${listed ? members.length : memberCount})`;
    $("members-show").hidden = listed;
    const owner = you && info && you.user_id && you.user_id === info.owner_id;
    $("members").replaceChildren(...members.map((m) => {
      const li = document.createElement("li");
      li.append(span("name", m.name));
      const tag = m.role === "owner" || m.role === "moderator" ? m.role : m.signed_in ? "" : "guest";
      if (tag) li.append(span("role", tag));
      if (you && m.id !== you.id && myRank() >= RANK.moderator && RANK[m.role] < myRank()) {
        li.append(
          button("Mute", `Mute ${m.name} for 10 minutes`, () => moderate("MUTE", { member_id: m.id, seconds: 600 })),
          button("Kick", `Kick ${m.name}`, () => moderate("KICK", { member_id: m.id })),
        );
        // A guest's ban lasts while the room is live (by its guest pass and address).
        li.append(button("Ban", `Ban ${m.name}`, () => moderate("BAN", { member_id: m.id })));
      }
      if (owner && m.user_id && m.role !== "owner") {
        const isMod = m.role === "moderator";
        li.append(button(isMod ? "Remove moderator" : "Make moderator", `${isMod ? "Remove" : "Make"} ${m.name} moderator`, () => {
          const moderators = isMod ? info.moderators.filter((id) => id !== m.user_id) : [...info.moderators, m.user_id];
          updateRoom({ moderators });
        }));
      }
      return li;
    }));
  }
  async function moderate(event, payload) { await send(event, payload); }
  $("members-show").addEventListener("click", async () => {
    const ack = await send("MEMBER_LIST", {});
    if (ack) { memberCount = ack.count; renderMembers(ack.members); }
  });

  // --- chat: rendered as text, never as HTML -------------------------------------------------
  let chat = [];
  function chatItem(message) {
    const li = document.createElement("li");
    li.dataset.id = message.id;
    li.append(span("who", message.by));
    // A guest may pick any name: marked, so it cannot pass for a signed-in member.
    if (!message.signed_in) li.append(span("role", "guest"));
    li.append(span("text", message.text));
    if (myRank() >= RANK.moderator) {
      li.append(button("✕", `Delete the message from ${message.by}`, () => send("DELETE_CHAT", { id: message.id })));
    }
    return li;
  }
  function renderChat(stickToBottom = true) {
    const list = $("chat");
    const atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 4;
    list.replaceChildren(...chat.map(chatItem));
    if (stickToBottom && atBottom) list.scrollTop = list.scrollHeight;
  }
  $("chat-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const input = $("chat-input");
    const ack = await send("CHAT", { text: input.value });
    if (!ack) return;
    input.value = "";
    chat.push(ack.message);
    renderChat();
    $("chat").scrollTop = $("chat").scrollHeight;
  });
  $("chat-older").addEventListener("click", async () => {
    const ack = await send("CHAT_HISTORY", { before: chat.length ? chat[0].id : undefined, limit: 50 });
    if (!ack) return;
    chat = [...ack.messages, ...chat];
    $("chat-older").hidden = ack.messages.length < 50;
    renderChat(false);
  });
  $("vote-skip").addEventListener("click", () => send("VOTE_SKIP", {}));
  async function updateRoom(changes) {
    const res = await api("PATCH", `/api/rooms/${encodeURIComponent(roomId)}`, changes);
    if (!res.ok) showError(`Could not change the room: ${res.message}`);
  }

  // --- the player -----------------------------------------------------------------------
  function ensurePlayer() {
    const want = state && state.video_id ? `${state.video_kind}:${state.video_id}` : null;
    const have = player ? `${player.kind}:${player.source}` : null;
    if (want === have) return;
    if (player) player.destroy();
    player = null;
    const container = $("player");
    if (!want) {
      container.innerHTML = '<p class="empty">Nothing is playing. Add a video to the queue, or paste one below.</p>';
      return;
    }
    player = window.WatchPlayers.create(container, state.video_kind, state.video_id, showError);
  }

  function render() {
    ensurePlayer();
    if (seekDragging) return;
    const now = target();
    const duration = player ? player.duration() : 0;
    $("seek").max = String(Math.max(duration, now));
    $("seek").value = String(now);
    $("clock").textContent = `${fmt(now)} / ${fmt(duration)}`;
  }
  setInterval(render, 250);

  // A player takes a moment to get going, and the room moves on meanwhile: after play() its
  // audio output starts (~80 ms in Chromium), after a seek it decodes. So each way of getting
  // a player to the room aims that much ahead, and learns the amount from how far off the
  // player was 0.15 s later (the "lag" of each kind, in seconds):
  //   start:  a scheduled start; play() goes out this much before the room's start time;
  //   seek:   a seek while playing (drift beyond seekAbove);
  //   resume: a paused player joining a room that already plays (a seek, then play()).
  const lag = { start: 0.08, seek: 0.05, resume: 0.12 };
  let settling = null;  // {kind, at (server time), version}: a catch-up to measure
  let nudging = false;
  let startTimer = null;

  // A start scheduled ahead (STATE.updated_at later than now): hold at the position, then
  // start with everyone else at that server time, less the start lag.
  function scheduleStart() {
    clearTimeout(startTimer);
    if (!state || !state.playing || clock.offset === null) return;
    const wait = clock.localTime(state.updated_at) - lag.start - localNow();
    if (wait > 0) startTimer = setTimeout(startOnTime, wait * 1000);
  }
  function startOnTime() {
    if (!player || !player.ready() || player.busy() || !state.playing) return;  // late: steer catches up
    play();
    settling = { kind: "start", at: state.updated_at, version: state.version, free: null };
  }
  function play() {
    player.setRate(state.rate);
    player.play().then(() => { $("unmute").hidden = true; }).catch(() => { $("unmute").hidden = false; });
  }
  function catchUp(kind, goal) {
    player.seek(goal + lag[kind] * state.rate);
    if (player.paused()) play();
    settling = { kind, at: serverNow(), version: state.version, free: null };
  }
  // While a catch-up settles (until it has played 0.15 s, and 0.15 s since any
  // seek finished), leave the player alone; then learn from where it landed.
  function isSettling(error) {
    if (!settling) return false;
    if (settling.version !== state.version) {
      settling = null;
      return false;
    }
    const now = serverNow();
    if (settling.free === null) settling.free = now;
    if (now - settling.at < 0.15 || now - settling.free < 0.15) return true;
    if (!player.paused()) {
      lag[settling.kind] = Math.max(0, Math.min(1, lag[settling.kind] - 0.7 * error));
    }
    settling = null;
    return false;
  }

  function steerPlayer() {
    if (!state || !player) return;
    reportBuffering();
    if (!player.ready()) return;
    if (player.busy()) {
      if (settling) settling.free = null;
      return;
    }
    const duration = player.duration();
    reportEnd(duration);
    const now = target();
    const goal = duration ? Math.min(now, duration) : now;
    const error = player.time() - goal;
    if (isSettling(error)) return;
    if (state.playing && serverNow() >= state.updated_at && !(duration && goal >= duration - 0.05)) {
      if (player.paused()) {
        // The browser refused to play without a click: wait for it (the overlay asks).
        if (!$("unmute").hidden) return;
        return catchUp("resume", goal);
      }
      const tuning = player.tolerance ? { ...SYNC, seekAbove: Math.max(SYNC.seekAbove, player.tolerance) } : SYNC;
      const steering = steer(error, state.rate, tuning, nudging);
      nudging = steering.nudging;
      if (steering.seek) return catchUp("seek", goal);
      player.setRate(steering.rate);
    } else {
      if (!player.paused()) player.pause();
      player.setRate(state.rate);
      if (Math.abs(error) > Math.max(SYNC.pausedSeekAbove, player.tolerance / 10)) player.seek(goal);
    }
  }
  setInterval(steerPlayer, 50);

  // A player that stalls while the room plays says so (the room may wait for it: docs/
  // protocol.md, BUFFERING); a short hiccup is not worth holding everyone for.
  let stalledSince = null;
  let reportedStall = null;  // the video we said we are stuck on
  function reportBuffering() {
    const meantToPlay = state.playing || state.waiting;
    const stuck = meantToPlay && player.stalled();
    const now = localNow();
    if (!stuck) {
      stalledSince = null;
      if (reportedStall !== null) {
        socket.emit("READY", { video_id: reportedStall }, () => {});
        reportedStall = null;
      }
      return;
    }
    if (stalledSince === null) stalledSince = now;
    if (reportedStall === null && now - stalledSince > 0.5) {
      reportedStall = state.video_id;
      socket.emit("BUFFERING", { video_id: reportedStall }, () => {});
    }
  }

  // When the room does not know the video's length, the players say when it ends: the first
  // report moves the room on (the server ignores the rest), so report once per state.
  let reportedFor = null;
  function reportEnd(duration) {
    if (!state || !state.playing || state.duration || !duration || reportedFor === state.version) return;
    if (target() < duration - 0.25) return;
    reportedFor = state.version;
    socket.emit("ENDED", { video_id: state.video_id, duration }, () => {});
  }

  // --- clock sync (static/sync.js): a burst of TIME pings on connect, then one every few
  // seconds, so the estimate follows the network; our round trip goes along, so the room
  // schedules its starts far enough ahead for us.
  function ping() {
    const t0 = localNow();
    const payload = { client_time: t0 };
    if (clock.rtt !== null) payload.rtt = Math.min(10, clock.rtt);
    socket.emit("TIME", payload, (ack) => {
      if (!ack || !ack.ok) return;
      const hadClock = clock.offset !== null;
      clock.add(t0, localNow(), ack.server_time);
      if (!hadClock) scheduleStart();
    });
  }
  setInterval(() => socket.connected && ping(), 3000);

  // --- socket ---------------------------------------------------------------------------
  socket.on("connect", () => {
    setStatus("connected", "ok");
    for (let i = 0; i < 8; i++) setTimeout(ping, i * 100);
  });
  socket.on("disconnect", () => setStatus("reconnecting…", "bad"));
  socket.io.on("reconnect_attempt", () => setStatus("reconnecting…", "bad"));
  socket.on("connect_error", (err) => {
    setStatus(err.data && err.data.code ? "cannot join" : "reconnecting…", "bad");
    if (err.data && err.data.code === "room_not_found") showError("This room does not exist.");
    else if (err.data && err.data.code) showError(`Cannot join: ${err.message}`);
  });
  socket.on("ROOM_STATE", (snapshot) => {
    info = snapshot.info;
    you = snapshot.you;
    socket.auth.resume = you.resume;  // a reconnect comes back as this member
    if (you.guest_token) {
      localStorage.setItem(guestKey, you.guest_token);
      socket.auth.guest = you.guest_token;
    }
    apply(snapshot.state, true);
    listed = snapshot.listed !== false;
    memberCount = snapshot.count;
    renderMembers(snapshot.members);
    renderAccess();
    chat = snapshot.chat;
    $("chat-older").hidden = chat.length < 50;
    renderChat();
    $("chat").scrollTop = $("chat").scrollHeight;
  });
  socket.on("CHAT", (message) => { chat.push(message); renderChat(); });
  socket.on("CHAT_DELETED", ({ id }) => { chat = chat.filter((m) => m.id !== id); renderChat(false); });
  socket.on("SKIP_VOTES", ({ video_id: videoId, votes, needed }) => {
    if (state && videoId === state.video_id) $("vote-skip").textContent = `Skip (${votes}/${needed})`;
  });
  socket.on("MUTED", ({ seconds, by }) => showError(`${by} muted you for ${Math.round(seconds / 60)} min.`));
  for (const [event, verb] of [["KICKED", "removed you from"], ["BANNED", "banned you from"]]) {
    socket.on(event, ({ by, reason }) => {
      socket.io.reconnection(false);
      setStatus("removed", "bad");
      showError(`${by} ${verb} this room${reason ? `: ${reason}` : "."}`);
    });
  }
  // MEMBERS says what changed (a whole list to everyone would cost the square of the room).
  socket.on("MEMBERS", ({ joined, left, changed, count, listed: nowListed, members: all }) => {
    memberCount = count;
    if (nowListed === false) {  // what was shown is out of date from now on
      const was = listed;
      listed = false;
      renderMembers(was ? [] : members);
      return;
    }
    listed = true;
    if (all) { renderMembers(all); return; }
    const updated = new Map(changed.map((m) => [m.id, m]));
    const kept = members.filter((m) => !left.includes(m.id)).map((m) => updated.get(m.id) || m);
    const known = new Set(kept.map((m) => m.id));
    renderMembers([...kept, ...joined.filter((m) => !known.has(m.id))]);
  });
  socket.on("ROOM_INFO", (message) => { info = message; renderAccess(); renderMembers(members); });
  socket.on("ROOM_DELETED", () => {
    socket.io.reconnection(false);
    socket.disconnect();
    setStatus("room deleted", "bad");
    showError("The owner deleted this room.");
  });
  for (const event of ["PLAY", "PAUSE", "SEEK", "CHANGE_VIDEO", "UPDATE_QUEUE"]) {
    socket.on(event, (message) => apply(message.state));
  }
  let lastVideo = null;
  function resetSkip() {
    if (state && state.video_id !== lastVideo) { lastVideo = state.video_id; $("vote-skip").textContent = "Skip"; }
    $("vote-skip").disabled = !state || !state.video_id;
  }

  // --- controls -------------------------------------------------------------------------
  const toggle = () => state && send(state.playing ? "PAUSE" : "PLAY", {});
  $("toggle").addEventListener("click", toggle);
  document.addEventListener("keydown", (e) => {
    if (e.code === "Space" && !["INPUT", "BUTTON", "TEXTAREA"].includes(document.activeElement.tagName)) {
      e.preventDefault();
      toggle();
    }
  });
  const seek = $("seek");
  seek.addEventListener("input", () => { seekDragging = true; $("clock").textContent = fmt(Number(seek.value)); });
  seek.addEventListener("change", () => { seekDragging = false; send("SEEK", { timestamp: Number(seek.value) }); });
  $("unmute").addEventListener("click", () => { if (player) player.play().then(() => { $("unmute").hidden = true; }); });
  if (nameInput) {
    nameInput.addEventListener("change", () => {
      const name = nameInput.value.trim().slice(0, 40);
      if (!name) return;
      localStorage.setItem(nameKey, name);
      socket.auth.name = name;
      socket.disconnect().connect();
    });
  }

  // --- the owner's settings ---------------------------------------------------------------
  if ($("room-upgrade")) {
    $("room-upgrade").addEventListener("click", async () => {
      const res = await api("POST", "/api/billing/checkout", {});
      if (res.ok) window.location.assign(res.data.url);
      else showError(`Could not start the upgrade: ${res.message}`);
    });
  }
  $("rename-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const name = $("rename-input").value.trim();
    if (name) updateRoom({ name });
  });
  $("control-select").addEventListener("change", () => updateRoom({ control: $("control-select").value }));
  $("wait-for-all").addEventListener("change", () => updateRoom({ wait_for_all: $("wait-for-all").checked }));
  $("delete-room").addEventListener("click", async () => {
    if (!window.confirm("Delete this room for everyone? This cannot be undone.")) return;
    const res = await api("DELETE", `/api/rooms/${encodeURIComponent(roomId)}`);
    if (res.ok) window.location.assign("/");
    else showError(`Could not delete the room: ${res.message}`);
  });

  // --- saved playlists (signed in) ----------------------------------------------------------
  async function listPlaylists() {
    const res = await api("GET", "/api/users/me/playlists");
    if (!res.ok) return;
    $("playlist-select").replaceChildren(...res.data.playlists.map((p) => {
      const option = document.createElement("option");
      option.value = p.id;
      option.textContent = `${p.name} (${p.items.length})`;
      return option;
    }));
  }
  async function loadPlaylist(mode) {
    const playlistId = $("playlist-select").value;
    if (!playlistId) return showError("Save a playlist first.");
    const res = await api("POST", `/api/rooms/${encodeURIComponent(roomId)}/queue`, { playlist_id: playlistId, mode });
    if (res.ok) apply(res.data.state);
    else showError(`Could not load the playlist: ${res.message}`);
  }
  if ($("playlists-panel")) {
    listPlaylists();
    $("save-playlist-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      const res = await api("POST", "/api/users/me/playlists", { name: $("playlist-name").value.trim(), room_id: roomId });
      if (!res.ok) return showError(`Could not save the playlist: ${res.message}`);
      $("playlist-name").value = "";
      await listPlaylists();
      $("playlist-select").value = res.data.id;
    });
    $("playlist-append").addEventListener("click", () => loadPlaylist("append"));
    $("playlist-replace").addEventListener("click", () => loadPlaylist("replace"));
  }
  $("copy-link").addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(window.location.href);
      $("copy-link").textContent = "Copied!";
      setTimeout(() => { $("copy-link").textContent = "Copy link"; }, 1500);
    } catch {
      window.prompt("Copy this link", window.location.href);
    }
  });

  // --- the queue ------------------------------------------------------------------------
  const moveItem = (from, to) => send("QUEUE_MOVE", { id: state.queue[from].id, to });
  async function playNow(index) {
    const item = state.queue[index];
    const change = { video_id: item.video_id };
    if (item.duration) change.duration = item.duration;
    if (await send("CHANGE_VIDEO", change)) await removeItem(item);
  }
  let dragFrom = null;
  function renderQueue() {
    const list = $("queue");
    list.replaceChildren(...state.queue.map((item, index) => {
      const li = document.createElement("li");
      li.draggable = true;
      li.dataset.id = item.id;
      const kind = span("kind", item.kind);
      const title = span("item-title", titleOf(item));
      title.title = item.video_id;
      li.append(
        kind, title,
        button("▶", `Play ${titleOf(item)} now`, () => playNow(index)),
        button("⤒", `Play ${titleOf(item)} next`, () => index > 0 && moveItem(index, 0)),
        button("↑", "Move up", () => index > 0 && moveItem(index, index - 1)),
        button("↓", "Move down", () => index < state.queue.length - 1 && moveItem(index, index + 1)),
        button("✕", `Remove ${titleOf(item)}`, () => removeItem(item)),
      );
      li.addEventListener("dragstart", () => { dragFrom = index; li.classList.add("dragging"); });
      li.addEventListener("dragend", () => li.classList.remove("dragging"));
      li.addEventListener("dragover", (e) => e.preventDefault());
      li.addEventListener("drop", (e) => { e.preventDefault(); if (dragFrom !== null && dragFrom !== index) moveItem(dragFrom, index); dragFrom = null; });
      return li;
    }));
    $("queue-empty").hidden = state.queue.length > 0;
    renderAccess();
  }

  // What a person pastes: a YouTube link or id, an http(s) media URL, or a /path here.
  function parseVideo(text) {
    const value = text.trim();
    if (/^[A-Za-z0-9_-]{11}$/.test(value)) return { video_id: value, youtube: true };
    let url;
    try { url = new URL(value, window.location.href); } catch { return null; }
    if (!["http:", "https:"].includes(url.protocol)) return null;
    const host = url.hostname.replace(/^(www\.|m\.|music\.)/, "");
    let id = null;
    if (host === "youtu.be") id = url.pathname.slice(1);
    else if (host === "youtube.com" || host === "youtube-nocookie.com") {
      id = url.searchParams.get("v") || (url.pathname.match(/^\/(?:embed|shorts|live)\/([^/?#]+)/) || [])[1];
    }
    if (id) return /^[A-Za-z0-9_-]{11}$/.test(id) ? { video_id: id, youtube: true } : null;
    const sameOrigin = url.origin === window.location.origin && value.startsWith("/");
    return { video_id: sameOrigin ? url.pathname : url.href, title: decodeURIComponent(url.pathname.split("/").pop() || url.hostname) };
  }
  async function youtubeTitle(id) {
    try {
      const res = await fetch(`/api/videos/youtube/${encodeURIComponent(id)}`);
      if (res.ok) return (await res.json()).title;
    } catch { /* search may be disabled; the id will do */ }
    return undefined;
  }
  async function addToQueue(item) {
    if (!state) return;
    const entry = { video_id: item.video_id };
    const title = item.title || (item.youtube ? await youtubeTitle(item.video_id) : undefined);
    if (title) { entry.title = title.slice(0, 200); titles.set(item.video_id, entry.title); }
    if (item.duration) entry.duration = item.duration;
    await send("QUEUE_ADD", { item: entry });
  }
  $("add-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const parsed = parseVideo($("add-input").value);
    if (!parsed) return showError("Paste a YouTube link or id, or an http(s) link to a video.");
    await addToQueue(parsed);
    $("add-input").value = "";
  });

  // Search shows only when the server has a YouTube key (it answers 503 search_disabled otherwise).
  fetch("/api/search/youtube").then((res) => { $("search-form").hidden = res.status === 503; }).catch(() => {});
  $("search-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const q = $("search-input").value.trim();
    const res = await fetch(`/api/search/youtube?q=${encodeURIComponent(q)}`);
    const body = await res.json();
    if (!res.ok) return showError(`Search failed: ${body.error.message}`);
    $("search-results").replaceChildren(...body.items.map((video) => {
      const li = document.createElement("li");
      const img = document.createElement("img");
      img.alt = ""; img.loading = "lazy";
      if (video.thumbnail) img.src = video.thumbnail;
      const title = document.createElement("span");
      title.className = "item-title";
      title.textContent = `${video.title} · ${video.channel}${video.duration_seconds ? ` · ${fmt(video.duration_seconds)}` : ""}`;
      li.append(img, title, button("Add", `Add ${video.title}`, async () => {
        await addToQueue({ video_id: video.video_id, title: video.title, duration: video.duration_seconds });
        li.remove();
      }));
      return li;
    }));
  });
})();
