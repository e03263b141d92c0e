"use strict";
// The room page: follows the server's state (the only authority) and sends commands.
// The video player itself arrives with the demo-page work; this page already keeps time.
(() => {
  const root = document.querySelector(".room");
  const roomId = root.dataset.room;
  const $ = (id) => document.getElementById(id);
  const nameKey = "watchparty:name";  // a display name, not a secret
  let name = sessionStorage.getItem(nameKey);
  if (!name) {
    name = (window.prompt("Your name in this room?", "") || "").trim().slice(0, 40) || `guest-${Math.floor(Math.random() * 1000)}`;
    sessionStorage.setItem(nameKey, name);
  }

  let state = null;
  let offset = 0;       // server clock minus local clock, in seconds
  let bestRtt = Infinity;
  const serverNow = () => Date.now() / 1000 + offset;

  const socket = io(root.dataset.namespace, { auth: { room: roomId, name }, transports: ["websocket", "polling"] });

  const showError = (message) => { const el = $("error"); el.textContent = message; el.hidden = !message; };
  const setStatus = (text, cls) => { const el = $("status"); el.textContent = text; el.className = `status ${cls}`; };
  const fmt = (s) => { s = Math.max(0, Math.floor(s)); const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    return (h ? `${h}:${String(m).padStart(2, "0")}` : `${m}`) + `:${String(r).padStart(2, "0")}`; };
  const position = () => !state ? 0 : state.playing ? state.position + (serverNow() - state.updated_at) * state.rate : state.position;

  function apply(next) {
    if (state && next.version <= state.version) return;  // late or duplicate: ignore
    state = next;
    $("video-id").textContent = state.video_id || "nothing yet";
    $("playing-label").textContent = state.playing ? "playing" : "paused";
    const queue = $("queue");
    queue.replaceChildren(...state.queue.map((item, index) => {
      const li = document.createElement("li");
      const label = document.createElement("span");
      label.textContent = item.title || item.video_id;  // text, never HTML
      const play = button("Play", () => send("CHANGE_VIDEO", { video_id: item.video_id }));
      const remove = button("Remove", () => send("UPDATE_QUEUE", { queue: state.queue.filter((_, i) => i !== index) }));
      li.append(label, play, remove);
      return li;
    }));
  }
  function button(text, onClick) { const b = document.createElement("button"); b.type = "button"; b.className = "secondary"; b.textContent = text; b.addEventListener("click", onClick); return b; }
  function members(list) { $("members").replaceChildren(...list.map((m) => { const li = document.createElement("li"); li.textContent = m.name; return li; })); }

  function send(event, payload) {
    socket.timeout(5000).emit(event, payload, (err, ack) => {
      if (err) return showError(`${event}: no answer from the server`);
      if (ack.state) apply(ack.state);
      showError(ack.ok ? "" : `${event} refused: ${ack.error.message}`);
    });
  }
  function ping() {
    const t0 = Date.now() / 1000;
    socket.emit("TIME", { client_time: t0 }, (ack) => {
      const t1 = Date.now() / 1000, rtt = t1 - t0;
      if (ack.ok && rtt < bestRtt) { bestRtt = rtt; offset = ack.server_time - (t0 + rtt / 2); }
    });
  }

  socket.on("connect", () => { setStatus("connected", "ok"); bestRtt = Infinity; for (let i = 0; i < 5; i++) setTimeout(ping, i * 200); });
  socket.on("disconnect", () => setStatus("disconnected, reconnecting…", "bad"));
  socket.on("connect_error", (err) => {
    setStatus("cannot connect", "bad");
    showError(err.data && err.data.code === "room_not_found" ? "This room does not exist." : `Connection failed: ${err.message}`);
  });
  socket.on("ROOM_STATE", (snap) => { state = null; apply(snap.state); members(snap.members); });
  socket.on("MEMBERS", (msg) => members(msg.members));
  for (const event of ["PLAY", "PAUSE", "SEEK", "CHANGE_VIDEO", "UPDATE_QUEUE"]) socket.on(event, (msg) => apply(msg.state));

  $("play").addEventListener("click", () => send("PLAY", {}));
  $("pause").addEventListener("click", () => send("PAUSE", {}));
  $("seek-form").addEventListener("submit", (e) => { e.preventDefault(); send("SEEK", { timestamp: Number($("seek-to").value) }); });
  $("video-form").addEventListener("submit", (e) => { e.preventDefault(); send("CHANGE_VIDEO", { video_id: $("video-input").value.trim() }); });
  $("queue-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const item = { video_id: $("queue-video").value.trim() };
    const title = $("queue-title-input").value.trim();
    if (title) item.title = title;
    send("UPDATE_QUEUE", { queue: [...(state ? state.queue : []), item] });
    e.target.reset();
  });
  $("copy-link").addEventListener("click", async () => {
    try { await navigator.clipboard.writeText(window.location.href); $("copy-link").textContent = "Copied"; }
    catch { window.prompt("Copy this link", window.location.href); }
  });
  setInterval(() => { $("position").textContent = fmt(position()); }, 250);
  setInterval(ping, 30000);
})();
