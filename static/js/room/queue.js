// @ts-check
// The queue: shown with its controls, added to by pasting a link or from a search, and
// loaded from saved playlists. Queue edits are small operations (QUEUE_ADD / _REMOVE /
// _MOVE), so two people editing at once both get their change; the room answers with the
// whole new queue.
import { api } from "../api.js";
import { describe, t } from "../i18n.js";
import { formatTime, parseVideo } from "../links.js";
import { $, button, memberProof, showError, span, titleOf as titleIn } from "./view.js";

/** @typedef {import("./view.js").Room} Room */
/** @typedef {import("../../../clients/js/src/sync.js").QueueItem} QueueItem */

/** @param {Room} room @param {() => void} renderAccess */
export function wireQueue(room, renderAccess) {
  const { send } = room;
  /** @param {{video_id: string, title?: string|null}} item */
  const titleOf = (item) => titleIn(room, item);
  /** @param {QueueItem} item */
  const removeItem = (item) => send("QUEUE_REMOVE", { id: item.id });
  const queue = () => (room.state ? room.state.queue : []);
  /** @param {number} from @param {number} to */
  const moveItem = (from, to) => send("QUEUE_MOVE", { id: queue()[from].id, to });
  /** @param {number} index */
  async function playNow(index) {
    const item = queue()[index];
    /** @type {{video_id: string, title?: string, duration?: number, subtitles?: any[]}} */
    const change = { video_id: item.video_id };
    if (item.title) change.title = item.title;
    if (item.duration) change.duration = item.duration;
    if (item.subtitles && item.subtitles.length) change.subtitles = item.subtitles;
    if (await send("CHANGE_VIDEO", change)) await removeItem(item);
  }

  /** @param {QueueItem} item */
  async function toggleVote(item) {
    const mine = room.myVotes.has(item.id);
    const ack = await send("QUEUE_VOTE", { id: item.id, vote: !mine });
    if (!ack) return;
    if (mine) room.myVotes.delete(item.id); else room.myVotes.add(item.id);
    room.votes = ack.votes;
    render();
  }
  /** @param {QueueItem} item */
  function voteButton(item) {
    const votes = room.votes[item.id] || 0;
    const mine = room.myVotes.has(item.id);
    const label = mine ? t("Take back your vote for {title}", { title: titleOf(item) })
      : t("Vote for {title}", { title: titleOf(item) });
    const b = button(`▲ ${votes}`, label, () => toggleVote(item), "small vote");
    b.setAttribute("aria-pressed", String(mine));
    return b;
  }

  /** @type {number | null} */
  let dragFrom = null;
  function render() {
    const items = queue();
    const voting = room.info && room.info.queue_mode === "vote";
    // A vote room shows the most voted first (the order it plays in); ties keep queue order.
    const shown = voting
      ? [...items].sort((a, b) => (room.votes[b.id] || 0) - (room.votes[a.id] || 0))
      : items;
    $("queue").replaceChildren(...shown.map((item) => {
      const index = items.indexOf(item);
      const li = document.createElement("li");
      li.draggable = !voting;
      li.dataset.id = item.id;
      const title = span("item-title", titleOf(item));
      title.title = item.video_id;
      if (voting) li.append(voteButton(item));
      li.append(span("kind", item.kind || ""), title);
      if (item.added_by) li.append(span("added-by", t("by {name}", { name: item.added_by })));
      li.append(
        button("▶", t("Play {title} now", { title: titleOf(item) }), () => playNow(index)),
        button("⤒", t("Play {title} next", { title: titleOf(item) }), () => index > 0 && moveItem(index, 0)),
        button("↑", t("Move up"), () => index > 0 && moveItem(index, index - 1)),
        button("↓", t("Move down"), () => index < items.length - 1 && moveItem(index, index + 1)),
        button("✕", t("Remove {title}", { title: titleOf(item) }), () => removeItem(item)),
      );
      li.addEventListener("dragstart", () => { dragFrom = index; li.classList.add("dragging"); });
      li.addEventListener("dragend", () => li.classList.remove("dragging"));
      li.addEventListener("dragover", (e) => e.preventDefault());
      li.addEventListener("drop", (e) => {
        e.preventDefault();
        if (dragFrom !== null && dragFrom !== index) moveItem(dragFrom, index);
        dragFrom = null;
      });
      return li;
    }));
    $("queue-empty").hidden = items.length > 0;
    renderAccess();
  }

  /**
   * What the server knows of a link's video (its service's title and duration), or nothing
   * after a short wait: a lookup never holds up adding the link.
   * @param {string} link
   */
  async function describeLink(link) {
    try {
      const res = await fetch(`/api/videos?link=${encodeURIComponent(link)}`, { signal: AbortSignal.timeout(3000) });
      if (res.ok) return await res.json();
    } catch { /* slow or unreachable: the link will do */ }
    return {};
  }
  /** @param {{video_id: string, title?: string, duration?: number|null}} item */
  async function addToQueue(item) {
    if (!room.state) return;
    /** @type {{video_id: string, title?: string, duration?: number}} */
    const entry = { video_id: item.video_id };
    const described = item.title ? {} : await describeLink(item.video_id);
    const title = item.title || described.title;
    if (title) {
      const short = String(title).slice(0, 200);
      entry.title = short;
      room.titles.set(item.video_id, short);
    }
    const duration = item.duration || described.duration_seconds;
    if (duration) entry.duration = duration;
    await send("QUEUE_ADD", { item: entry });
  }
  $("add-form").addEventListener("submit", async (/** @type {Event} */ e) => {
    e.preventDefault();
    const parsed = parseVideo($("add-input").value, window.location);
    if (!parsed) return showError(t("Paste a YouTube link or id, or an http(s) link to a video."));
    await addToQueue(parsed);
    $("add-input").value = "";
  });

  // Search shows only when the server has a YouTube key (it answers 503 search_disabled otherwise).
  fetch("/api/search/youtube").then((res) => { $("search-form").hidden = res.status === 503; }).catch(() => {});
  $("search-form").addEventListener("submit", async (/** @type {Event} */ e) => {
    e.preventDefault();
    const q = $("search-input").value.trim();
    const res = await fetch(`/api/search/youtube?q=${encodeURIComponent(q)}`);
    const body = await res.json();
    if (!res.ok) return showError(t("Search failed: {reason}", { reason: describe(body.error) }));
    $("search-results").replaceChildren(...body.items.map((/** @type {any} */ video) => {
      const li = document.createElement("li");
      const img = document.createElement("img");
      img.alt = ""; img.loading = "lazy";
      if (video.thumbnail) img.src = video.thumbnail;
      const title = document.createElement("span");
      title.className = "item-title";
      title.textContent = `${video.title} · ${video.channel}${video.duration_seconds ? ` · ${formatTime(video.duration_seconds)}` : ""}`;
      li.append(img, title, button(t("Add"), t("Add {title}", { title: video.title }), async () => {
        await addToQueue({ video_id: video.video_id, title: video.title, duration: video.duration_seconds });
        li.remove();
      }));
      return li;
    }));
  });

  // --- saved playlists (signed in) --------------------------------------------------------
  async function listPlaylists() {
    const res = await api("GET", "/api/users/me/playlists");
    if (!res.ok) return;
    $("playlist-select").replaceChildren(...res.data.playlists.map((/** @type {any} */ p) => {
      const option = document.createElement("option");
      option.value = p.id;
      option.textContent = `${p.name} (${p.items.length})`;
      return option;
    }));
  }
  /** @param {"append" | "replace"} mode */
  async function loadPlaylist(mode) {
    const playlistId = $("playlist-select").value;
    if (!playlistId) return showError(t("Save a playlist first."));
    const res = await api("POST", `/api/rooms/${encodeURIComponent(room.id)}/queue`, { playlist_id: playlistId, mode }, undefined, memberProof(room));
    if (res.ok) room.apply(res.data.state);
    else showError(t("Could not load the playlist: {reason}", { reason: res.message }));
  }
  if ($("playlists-panel")) {
    listPlaylists();
    $("save-playlist-form").addEventListener("submit", async (/** @type {Event} */ e) => {
      e.preventDefault();
      const res = await api("POST", "/api/users/me/playlists", { name: $("playlist-name").value.trim(), room_id: room.id });
      if (!res.ok) return showError(t("Could not save the playlist: {reason}", { reason: res.message }));
      $("playlist-name").value = "";
      await listPlaylists();
      $("playlist-select").value = res.data.id;
    });
    $("playlist-append").addEventListener("click", () => loadPlaylist("append"));
    $("playlist-replace").addEventListener("click", () => loadPlaylist("replace"));
  }

  // How the queue plays on (the owner and moderators choose); a vote room's tallies.
  $("queue-mode").addEventListener("change", () => send("SET_QUEUE_MODE", { mode: $("queue-mode").value }));
  room.socket.on("QUEUE_VOTES", (/** @type {{votes: Record<string, number>}} */ { votes }) => {
    room.votes = votes || {};
    render();
  });
  room.socket.on("ROOM_INFO", () => render());  // the mode may have changed

  return { render, titleOf };
}
