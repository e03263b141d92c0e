// @ts-check
// The player: made for the room's video, shown at the room's position, and steered onto the
// room (steering.js decides, this carries it out) on the server's clock (sync.js).
import { formatTime } from "../links.js";
import { create } from "../players.js";
import { Steering } from "../steering.js";
import { SyncClock, roomPosition } from "../sync.js";
import { wireSubtitles } from "./subtitles.js";
import { $, showError } from "./view.js";

/** @typedef {import("./view.js").Room} Room */

/** @param {Room} room */
export function wirePlayer(room) {
  const { socket, send } = room;
  // Drift correction, in seconds (the server's WATCHPARTY_SYNC_* settings; docs/sync.md).
  const steering = new Steering({ ...JSON.parse(room.root.dataset.sync || "{}"), pausedSeekAbove: 0.002 });
  // Our offset to the server's clock, measured on the monotonic clock: a wall clock that is
  // wrong or steps changes nothing.
  const clock = new SyncClock();
  const localNow = () => performance.now() / 1000;
  const serverNow = () => clock.serverTime(localNow());
  const target = () => roomPosition(room.state, serverNow());
  /** @type {import("../players.js").Player | null} */
  let player = null;
  let seekDragging = false;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let startTimer;

  function ensurePlayer() {
    const state = room.state;
    const want = state && state.video_id ? `${state.video_kind}:${state.video_id}` : null;
    const have = player ? `${player.kind}:${player.source}` : null;
    if (want === have) return;
    if (player) player.destroy();
    player = null;
    const container = $("player");
    if (!state || !state.video_id) {
      container.innerHTML = '<p class="empty">Nothing is playing. Add a video to the queue, or paste one below.</p>';
      return;
    }
    player = create(container, state.video_kind || "file", state.video_id, showError);
  }

  function render() {
    ensurePlayer();
    if (seekDragging) return;
    const now = target();
    const duration = player ? player.duration() : 0;
    $("seek").max = String(Math.max(duration, now));
    $("seek").value = String(now);
    $("clock").textContent = `${formatTime(now)} / ${formatTime(duration)}`;
  }
  setInterval(render, 250);

  /** @param {import("../players.js").Player} p @param {number} rate */
  function play(p, rate) {
    p.setRate(rate);
    p.play().then(() => { $("unmute").hidden = true; }).catch(() => { $("unmute").hidden = false; });
  }

  // A start scheduled ahead (STATE.updated_at later than now): hold at the position, then
  // start with everyone else at that server time, less the start lag. A rate change
  // scheduled ahead (lead_rate > 0) switches at that very time (a rate applies at once).
  function scheduleStart() {
    clearTimeout(startTimer);
    const state = room.state;
    if (!state || !state.playing || clock.offset === null) return;
    const switching = (state.lead_rate || 0) > 0;
    const wait = clock.localTime(state.updated_at) - (switching ? 0 : steering.lag.start) - localNow();
    if (wait > 0) startTimer = setTimeout(switching ? switchRate : startOnTime, wait * 1000);
  }
  function switchRate() {
    const state = room.state;
    if (state && player && player.ready() && !player.paused()) player.setRate(state.rate);
  }
  function startOnTime() {
    const state = room.state;
    if (!state || !player || !player.ready() || player.busy() || !state.playing) return;  // late: steer catches up
    play(player, state.rate);
    steering.began("start", state.updated_at, state.version);
  }

  function steerPlayer() {
    const state = room.state;
    if (!state || !player) return;
    reportBuffering();
    if (!player.ready()) return;
    if (player.busy()) { steering.busy(); return; }
    const duration = player.duration();
    reportEnd(duration);
    const seen = {
      time: player.time(),
      duration,
      paused: player.paused(),
      busy: false,
      tolerance: player.tolerance,
    };
    const action = steering.decide(state, serverNow(), target(), seen, !$("unmute").hidden);
    if (action.kind === "catch-up") {
      player.seek(action.to);
      if (player.paused()) play(player, state.rate);
    } else if (action.kind === "rate") {
      player.setRate(action.rate);
    } else if (action.kind === "hold") {
      if (action.pause) player.pause();
      player.setRate(action.rate);
      if (action.seek !== null) player.seek(action.seek);
    }
  }
  setInterval(steerPlayer, 50);

  // A player that stalls while the room plays says so (the room may wait for it: docs/
  // protocol.md, BUFFERING); a short hiccup is not worth holding everyone for.
  /** @type {number | null} */
  let stalledSince = null;
  /** @type {string | null} the video we said we are stuck on */
  let reportedStall = null;
  function reportBuffering() {
    const state = room.state;
    if (!state || !player) return;
    const stuck = (state.playing || state.waiting) && player.stalled();
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
  /** @type {number | null} */
  let reportedFor = null;
  /** @param {number} duration */
  function reportEnd(duration) {
    const state = room.state;
    if (!state || !state.playing || state.duration || !duration || reportedFor === state.version) return;
    if (target() < duration - 0.25) return;
    reportedFor = state.version;
    socket.emit("ENDED", { video_id: state.video_id, duration }, () => {});
  }

  // Clock sync: a burst of TIME pings on connect, then one every few seconds, so the
  // estimate follows the network; our round trip goes along, so the room schedules its
  // starts far enough ahead for us.
  function ping() {
    const t0 = localNow();
    /** @type {{client_time: number, rtt?: number}} */
    const payload = { client_time: t0 };
    if (clock.rtt !== null) payload.rtt = Math.min(10, clock.rtt);
    socket.emit("TIME", payload, (/** @type {any} */ ack) => {
      if (!ack || !ack.ok) return;
      const hadClock = clock.offset !== null;
      clock.add(t0, localNow(), ack.server_time);
      if (!hadClock) scheduleStart();
    });
  }
  setInterval(() => socket.connected && ping(), 3000);

  const seek = $("seek");
  seek.addEventListener("input", () => { seekDragging = true; $("clock").textContent = formatTime(Number(seek.value)); });
  seek.addEventListener("change", () => { seekDragging = false; send("SEEK", { timestamp: Number(seek.value) }); });
  $("unmute").addEventListener("click", () => {
    if (player) player.play().then(() => { $("unmute").hidden = true; });
  });

  const speed = $("speed");
  speed.addEventListener("change", () => send("SET_RATE", { rate: Number(speed.value) }));
  function renderSpeed() {
    const state = room.state;
    const rates = (state && state.rates) || [0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2];
    const shown = state ? [...new Set([...rates, state.rate])].sort((a, b) => a - b) : rates;
    const key = shown.join(",");
    if (speed.dataset.rates !== key) {
      speed.dataset.rates = key;
      speed.replaceChildren(...shown.map((r) => new Option(`${r}×`, String(r))));
    }
    if (document.activeElement !== speed) speed.value = String(state ? state.rate : 1);
  }

  const subtitles = wireSubtitles(room, target, () => player);
  room.rendered.push(scheduleStart, render, renderSpeed, steerPlayer, subtitles.refresh);
  return {
    connected() {
      for (let i = 0; i < 8; i++) setTimeout(ping, i * 100);
    },
  };
}
