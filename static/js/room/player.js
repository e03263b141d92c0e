// @ts-check
// The player: made for the room's video, shown at the room's position, and steered onto the
// room on the server's clock by the client library (clients/js: follow.js, sync.js).
import { t } from "../i18n.js";
import { formatTime } from "../links.js";
import { create } from "../players.js";
import { wireSubtitles } from "./subtitles.js";
import { $, showError } from "./view.js";

/** @typedef {import("./view.js").Room} Room */

/** @param {Room} room */
export function wirePlayer(room) {
  const { client, send } = room;
  // The client library keeps the player on the room, on the server's clock as its TIME
  // pings estimate it (clients/js: room.js, follow.js; the server's WATCHPARTY_SYNC_*).
  const target = () => client.position();
  const follower = client.follow({
    blocked: () => !$("unmute").hidden,
    played: (ok) => { $("unmute").hidden = ok; },
  });
  /** @type {import("../players.js").Player | null} */
  let player = null;
  let seekDragging = false;

  function ensurePlayer() {
    const state = room.state;
    const want = state && state.video_id ? `${state.video_kind}:${state.video_id}` : null;
    const have = player ? `${player.kind}:${player.source}` : null;
    if (want === have) return;
    if (player) player.destroy();
    player = null;
    follower.use(null);
    const container = $("player");
    if (!state || !state.video_id) {
      container.innerHTML = '<p class="empty">Nothing is playing. Add a video to the queue, or paste one below.</p>';
      return;
    }
    const urls = JSON.parse(room.root.dataset.players || "{}");
    player = create(container, state.video_kind || "video", state.video_id, showError, urls);
    follower.use(player);
  }

  function render() {
    ensurePlayer();
    if (seekDragging) return;
    const live = Boolean(room.state && room.state.live);  // no position to share: no seek bar
    $("seek").hidden = live;
    if (live) {
      $("clock").textContent = t("Live");
      return;
    }
    const now = target();
    const duration = player ? player.duration() : 0;
    $("seek").max = String(Math.max(duration, now));
    $("seek").value = String(now);
    $("clock").textContent = `${formatTime(now)} / ${formatTime(duration)}`;
  }
  setInterval(render, 250);

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
  room.rendered.push(render, renderSpeed, subtitles.refresh);  // the client updates the follower
}
