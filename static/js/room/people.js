// @ts-check
// Who is here and what they may do: the member list, chat, moderation and the owner's
// settings. What anyone may do comes from ROOM_INFO's grants (the server's permission table);
// the page only hides what the server would refuse.
import { api } from "../api.js";
import { fill, t } from "../i18n.js";
import { may, mayActOn, roleIn } from "../members.js";
import { $, button, setStatus, showError, span } from "./view.js";

/** @typedef {import("./view.js").Room} Room */
/** @typedef {import("./view.js").ChatMessage} ChatMessage */

const CHAT_PAGE = 50;

/** @param {Room} room */
export function wirePeople(room) {
  const { socket, send, client } = room;
  const myRole = () => roleIn(room.info, room.you && room.you.user_id);
  const isOwner = () => myRole() === "owner";

  function renderAccess() {
    const info = room.info;
    const allowed = !room.you || may(info, myRole(), "control");
    for (const id of ["toggle", "seek", "add-input", "playlist-append", "playlist-replace"]) {
      if ($(id)) $(id).disabled = !allowed;
    }
    for (const b of document.querySelectorAll("#add-form button, #queue button:not(.vote), #search-results button")) {
      /** @type {HTMLButtonElement} */ (b).disabled = !allowed;
    }
    $("queue-mode").disabled = Boolean(room.you) && !may(info, myRole(), "set_queue_mode");
    if (info && info.queue_mode) $("queue-mode").value = info.queue_mode;
    const note = $("control-note");
    note.hidden = allowed;
    note.textContent = info && info.control === "members"
      ? t("Only signed-in members control playback in this room.")
      : t("Only the owner and moderators control playback in this room.");
    $("owner-panel").hidden = !isOwner();
    // A free room says what its plan allows (where an ad would go); its owner may upgrade.
    const plan = info && info.plan;
    $("plan-banner").hidden = !plan || plan.ad_free;
    if (plan) {
      $("plan-text").textContent = t("Free room: up to {viewers} viewers and {queued} queued videos; deleted after {days} days unused.", { viewers: plan.max_members, queued: plan.max_queue, days: room.root.dataset.freeDays });
    }
    if ($("room-upgrade")) $("room-upgrade").hidden = !isOwner();
    if (info) {
      const title = info.name || t("Room {id}", { id: room.id });
      $("room-title").textContent = title;
      document.title = `${title} · watchparty`;
      $("control-select").value = info.control;
      $("wait-for-all").checked = info.wait_for_all;
      if (document.activeElement !== $("rename-input")) $("rename-input").value = info.name || "";
    }
  }

  function renderMembers() {
    const { members, listed, count } = room.roster;
    const info = room.info;
    const you = room.you;
    $("member-count").textContent = `(${listed ? members.length : count})`;
    $("members-show").hidden = listed;
    $("members").replaceChildren(...members.map((m) => {
      const li = document.createElement("li");
      li.append(span("name", m.name));
      const tag = m.role === "owner" ? t("owner") : m.role === "moderator" ? t("moderator") : m.signed_in ? "" : t("guest");
      if (tag) li.append(span("role", tag));
      if (you && m.id !== you.id && mayActOn(info, myRole(), m.role, "kick")) {
        li.append(
          button(t("Mute"), t("Mute {name} for 10 minutes", { name: m.name }), () => send("MUTE", { member_id: m.id, seconds: 600 })),
          button(t("Kick"), t("Kick {name}", { name: m.name }), () => send("KICK", { member_id: m.id })),
        );
        // A guest's ban lasts while the room is live (by its guest pass and address).
        li.append(button(t("Ban"), t("Ban {name}", { name: m.name }), () => send("BAN", { member_id: m.id })));
      }
      if (info && isOwner() && m.user_id && m.role !== "owner") {
        const isMod = m.role === "moderator";
        const userId = m.user_id;
        const label = isMod ? t("Remove {name} as moderator", { name: m.name }) : t("Make {name} moderator", { name: m.name });
        li.append(button(isMod ? t("Remove moderator") : t("Make moderator"), label, () => {
          const moderators = isMod ? info.moderators.filter((id) => id !== userId) : [...info.moderators, userId];
          updateRoom({ moderators });
        }));
      }
      return li;
    }));
  }
  $("members-show").addEventListener("click", async () => {
    await client.listMembers().catch(room.refused);
  });

  // --- chat: rendered as text, never as HTML --------------------------------------------
  /** @param {ChatMessage} message */
  function chatItem(message) {
    const li = document.createElement("li");
    li.dataset.id = message.id;
    li.append(span("who", message.by));
    // A guest may pick any name: marked, so it cannot pass for a signed-in member.
    if (!message.signed_in) li.append(span("role", t("guest")));
    li.append(span("text", message.text));
    if (may(room.info, myRole(), "delete_chat")) {
      li.append(button("✕", t("Delete the message from {name}", { name: message.by }), () => send("DELETE_CHAT", { id: message.id })));
    }
    return li;
  }
  function renderChat(stickToBottom = true) {
    const list = $("chat");
    const atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 4;
    list.replaceChildren(...room.chat.map(chatItem));
    if (stickToBottom && atBottom) list.scrollTop = list.scrollHeight;
  }
  $("chat-form").addEventListener("submit", async (/** @type {Event} */ e) => {
    e.preventDefault();
    const input = $("chat-input");
    const ack = await send("CHAT", { text: input.value });
    if (!ack) return;
    input.value = "";
    room.chat.push(ack.message);
    renderChat();
    $("chat").scrollTop = $("chat").scrollHeight;
  });
  $("chat-older").addEventListener("click", async () => {
    const chat = room.chat;
    const ack = await send("CHAT_HISTORY", { before: chat.length ? chat[0].id : undefined, limit: CHAT_PAGE });
    if (!ack) return;
    room.chat = [...ack.messages, ...chat];
    $("chat-older").hidden = ack.messages.length < CHAT_PAGE;
    renderChat(false);
  });
  socket.on("CHAT", (/** @type {ChatMessage} */ message) => { room.chat.push(message); renderChat(); });
  socket.on("CHAT_DELETED", (/** @type {{id: string}} */ { id }) => {
    room.chat = room.chat.filter((m) => m.id !== id);
    renderChat(false);
  });

  // --- what the server says about us and the others ----------------------------------------
  socket.on("MUTED", (/** @type {any} */ { seconds, by }) => showError(t("{name} muted you for {minutes} min.", { name: by, minutes: Math.round(seconds / 60) })));
  const removals = {
    KICKED: t("{name} removed you from this room."),
    BANNED: t("{name} banned you from this room."),
  };
  for (const [event, text] of Object.entries(removals)) {
    socket.on(event, (/** @type {any} */ { by, reason }) => {
      socket.io.reconnection(false);
      setStatus(t("removed"), "bad");
      showError(`${fill(text, { name: by })}${reason ? ` ${reason}` : ""}`);
    });
  }
  // The client library keeps the roster (MEMBERS says what changed); the page draws it.
  client.on("members", (/** @type {any} */ _members, /** @type {any} */ delta) => {
    renderMembers();
    // Screen readers hear who came and went (a polite live region).
    const joined = ((delta && delta.joined) || []).map((/** @type {any} */ m) => t("{name} joined", { name: m.name }));
    if (joined.length) $("arrivals").textContent = joined.join(". ");
  });
  socket.on("ROOM_INFO", (/** @type {any} */ info) => { room.info = info; renderAccess(); renderMembers(); });

  // --- the owner's settings ----------------------------------------------------------------
  /** @param {object} changes */
  async function updateRoom(changes) {
    const res = await api("PATCH", `/api/rooms/${encodeURIComponent(room.id)}`, changes);
    if (!res.ok) showError(t("Could not change the room: {reason}", { reason: res.message }));
  }
  if ($("room-upgrade")) {
    $("room-upgrade").addEventListener("click", async () => {
      const res = await api("POST", "/api/billing/checkout", {});
      if (res.ok) window.location.assign(res.data.url);
      else showError(t("Could not start the upgrade: {reason}", { reason: res.message }));
    });
  }
  $("rename-form").addEventListener("submit", (/** @type {Event} */ e) => {
    e.preventDefault();
    const name = $("rename-input").value.trim();
    if (name) updateRoom({ name });
  });
  $("control-select").addEventListener("change", () => updateRoom({ control: $("control-select").value }));
  $("wait-for-all").addEventListener("change", () => updateRoom({ wait_for_all: $("wait-for-all").checked }));
  $("delete-room").addEventListener("click", async () => {
    if (!window.confirm(t("Delete this room for everyone? This cannot be undone."))) return;
    const res = await api("DELETE", `/api/rooms/${encodeURIComponent(room.id)}`);
    if (res.ok) window.location.assign("/");
    else showError(t("Could not delete the room: {reason}", { reason: res.message }));
  });

  return {
    renderAccess,
    /** ROOM_STATE: the member list, what we may do, and the chat so far.
     * @param {any} snapshot */
    joined(snapshot) {
      renderMembers();  // the client library took the roster from the snapshot
      renderAccess();
      room.chat = snapshot.chat;
      $("chat-older").hidden = room.chat.length < CHAT_PAGE;
      renderChat();
      $("chat").scrollTop = $("chat").scrollHeight;
    },
  };
}
