// @ts-check
// Who may enter: at the door, the password a room asks for (asked again after a wrong one)
// and the invite a link carries; in the owner's panel, the room's visibility, its password
// and its invite links. The password stays in this page's memory (the socket's auth, which
// its reconnects reuse): a reload asks for it again.
import { api } from "../api.js";
import { t } from "../i18n.js";
import { $, button, setStatus, showError, span } from "./view.js";

/** @typedef {import("./view.js").Room} Room */
/** @typedef {{token: string, url: string, uses: number|null, used: number, expires_at: number|null}} Invite */

/** The invite a link carries (`/r/<id>?invite=<token>`), for the socket's auth.
 * @param {string} search @returns {string|null} */
export function inviteOf(search) {
  const token = new URLSearchParams(search).get("invite");
  return token && /^[A-Za-z0-9_-]{1,64}$/.test(token) ? token : null;
}

/** How an invite reads in the owner's list.
 * @param {Invite} invite @param {number} now seconds @returns {string} */
export function inviteSummary(invite, now) {
  const used = invite.uses === null
    ? t("used by {used}", { used: invite.used })
    : t("used by {used} of {uses}", { used: invite.used, uses: invite.uses });
  if (invite.expires_at === null) return used;
  const hours = Math.max(0, Math.round((invite.expires_at - now) / 3600));
  const expires = t("expires in {hours} h", { hours });  // (not in a template literal: pybabel)
  return `${used} · ${expires}`;
}

/** @param {Room} room */
export function wireAccess(room) {
  const { socket } = room;
  const path = `/api/rooms/${encodeURIComponent(room.id)}`;

  // --- at the door ------------------------------------------------------------------------
  $("door-form").addEventListener("submit", (/** @type {Event} */ e) => {
    e.preventDefault();
    socket.auth.password = $("door-password").value;
    $("door-form").hidden = true;
    setStatus(t("connecting…"), "bad");
    socket.connect();
  });

  /** A refused connection this module answers (true), or not its business (false).
   * @param {string} code */
  function refused(code) {
    if (code !== "password_required" && code !== "wrong_password") return false;
    $("door-error").hidden = code !== "wrong_password";
    $("door-error").textContent = t("That is not the password. Try again.");
    $("door-form").hidden = false;
    $("door-password").value = "";
    $("door-password").focus();
    return true;
  }

  // --- the owner's panel -----------------------------------------------------------------
  /** @param {object} changes */
  async function update(changes) {
    const res = await api("PATCH", path, changes);
    if (!res.ok) showError(t("Could not change the room: {reason}", { reason: res.message }));
    return res.ok;
  }
  $("visibility-select").addEventListener("change", () => update({ visibility: $("visibility-select").value }));
  $("password-form").addEventListener("submit", async (/** @type {Event} */ e) => {
    e.preventDefault();
    const password = $("room-password").value;
    if (password && await update({ password })) $("room-password").value = "";
  });
  $("password-remove").addEventListener("click", () => update({ password: null }));
  $("invite-form").addEventListener("submit", async (/** @type {Event} */ e) => {
    e.preventDefault();
    /** @type {Record<string, number>} */
    const body = {};
    if ($("invite-uses").value) body.uses = Number($("invite-uses").value);
    if ($("invite-expiry").value) body.expires_in = Number($("invite-expiry").value);
    const res = await api("POST", `${path}/invites`, body);
    if (!res.ok) return showError(t("Could not make an invite: {reason}", { reason: res.message }));
    await listInvites();
  });

  async function listInvites() {
    const res = await api("GET", `${path}/invites`);
    if (!res.ok) return;
    const list = $("invite-list");
    list.replaceChildren();
    const now = Date.now() / 1000;
    for (const invite of /** @type {Invite[]} */ (res.data.invites)) {
      const li = document.createElement("li");
      const link = document.createElement("input");
      link.readOnly = true;
      link.value = invite.url;
      link.setAttribute("aria-label", t("Invite link"));
      link.addEventListener("focus", () => link.select());
      li.append(link, span("muted", inviteSummary(invite, now)), button(t("Revoke"), t("Revoke this invite"), async () => {
        const gone = await api("DELETE", `${path}/invites/${encodeURIComponent(invite.token)}`);
        if (!gone.ok) showError(t("Could not revoke the invite: {reason}", { reason: gone.message }));
        await listInvites();
      }, "small secondary"));
      list.append(li);
    }
  }

  /** ROOM_INFO or ROOM_STATE: the panel shows the room as it is now. */
  function render() {
    const info = room.info;
    if (!info) return;
    $("visibility-select").value = info.visibility || "unlisted";
    $("password-state").textContent = info.password ? t("This room asks for a password.") : t("No password.");
    $("password-remove").hidden = !info.password;
  }

  socket.on("ROOM_INFO", render);  // after people.js's handler has kept it
  let listed = false;
  return {
    refused,
    render,
    /** The owner's panel opened (ROOM_STATE as owner): list the invites once. */
    owner() { if (!listed) { listed = true; listInvites(); } },
  };
}
