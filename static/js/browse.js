// @ts-check
// Browse rooms: the public list (GET /api/rooms?visibility=public), a page at a time.
import { api } from "./api.js";
import { t } from "./i18n.js";

const PAGE = 20;
/** @type {(id: string) => any} */
const $ = (id) => document.getElementById(id);
let offset = 0;

/** One public room as a list item: its name, what plays, its viewers, a lock if it asks
 * for a password.
 * @param {{id: string, path: string, name: string|null, title: string|null, video_id: string|null, viewers: number, password: boolean}} room */
export function roomItem(room) {
  const li = document.createElement("li");
  const link = document.createElement("a");
  link.href = room.path;
  link.textContent = room.name || t("Room {id}", { id: room.id });
  li.append(link);
  if (room.password) {
    const lock = document.createElement("span");
    lock.className = "lock";
    lock.textContent = "🔒";
    lock.setAttribute("aria-label", t("asks for a password"));
    lock.setAttribute("role", "img");
    li.append(" ", lock);
  }
  const about = document.createElement("span");
  about.className = "muted";
  const playing = room.title || room.video_id;
  const viewers = t("watching: {count}", { count: room.viewers });
  about.textContent = playing ? `${viewers} · ${playing}` : viewers;
  li.append(" ", about);
  return li;
}

async function more() {
  const res = await api("GET", `/api/rooms?visibility=public&offset=${offset}&limit=${PAGE}`);
  if (!res.ok) {
    $("browse-error").textContent = t("Could not list the rooms: {reason}", { reason: res.message });
    $("browse-error").hidden = false;
    return;
  }
  for (const room of res.data.rooms) $("public-rooms").append(roomItem(room));
  offset += res.data.rooms.length;
  $("browse-empty").hidden = offset > 0;
  $("browse-more").hidden = offset >= res.data.total || res.data.rooms.length === 0;
}

if ($("public-rooms")) {
  $("browse-more").addEventListener("click", more);
  more();
}
