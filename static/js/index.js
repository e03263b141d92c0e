// @ts-check
// Home page: create or open a room; sign in or up; a signed-in user's rooms and playlists.
import { api } from "./api.js";
import { describe, language, t } from "./i18n.js";

/** @type {(id: string) => any} */
const $ = (id) => document.getElementById(id);
/** @param {string} id @param {string} text */
const showError = (id, text) => { $(id).textContent = text; $(id).hidden = false; };

$("create-form").addEventListener("submit", async (/** @type {Event} */ event) => {
  event.preventDefault();
  const name = $("room-name").value.trim();
  const res = await api("POST", "/api/rooms", name ? { name } : {});
  if (!res.ok) return showError("create-error", t("Could not create a room: {reason}", { reason: res.message }));
  window.location.assign(res.data.path);
});
$("join-form").addEventListener("submit", (/** @type {Event} */ event) => {
  event.preventDefault();
  const value = $("room-link").value.trim();
  const match = value.match(/\/r\/([A-Za-z0-9_-]+)/);
  window.location.assign(`/r/${encodeURIComponent(match ? match[1] : value)}`);
});

// Back from the identity provider: why it failed, or the account it would be linked to.
const back = new URLSearchParams(window.location.search);
if ($("account") && back.get("oidc_error")) showError("account-error", describe({ code: back.get("oidc_error") || "" }));
if ($("oidc-link-form") && back.get("oidc") === "link") showLink();

async function showLink() {
  const res = await api("GET", "/api/auth/oidc/link");
  if (!res.ok) return showError("account-error", res.message);
  $("oidc-link-text").textContent = t("An account with {email} exists here. Enter its password to sign in with {provider} from now on.", res.data);
  $("oidc-link-form").hidden = false;
  $("oidc-link-password").focus();
  $("oidc-link-form").addEventListener("submit", async (/** @type {Event} */ event) => {
    event.preventDefault();
    const linked = await api("POST", "/api/auth/oidc/link", { password: $("oidc-link-password").value });
    if (!linked.ok) return showError("account-error", linked.message);
    window.location.assign("/");
  });
}

if ($("sign-in-form")) {
  $("sign-in-form").addEventListener("submit", async (/** @type {Event} */ event) => {
    event.preventDefault();
    const id = $("sign-in-id").value.trim();
    const body = { password: $("sign-in-password").value, [id.includes("@") ? "email" : "username"]: id };
    const res = await api("POST", "/api/auth/login", body);
    if (!res.ok) return showError("account-error", res.message);
    window.location.reload();
  });
  $("register-form").addEventListener("submit", async (/** @type {Event} */ event) => {
    event.preventDefault();
    const res = await api("POST", "/api/auth/register", {
      username: $("register-username").value.trim(),
      email: $("register-email").value.trim(),
      password: $("register-password").value,
    });
    if (!res.ok) return showError("account-error", res.message);
    window.location.reload();
  });
}

/** @param {string} text @param {string | null} href @param {HTMLElement[]} buttons */
function item(text, href, ...buttons) {
  const li = document.createElement("li");
  const link = href ? Object.assign(document.createElement("a"), { href }) : document.createElement("span");
  link.textContent = text;  // text, never HTML
  li.append(link, ...buttons);
  return li;
}
/** @param {string} text @param {string} label @param {() => unknown} onClick */
function small(text, label, onClick) {
  const b = document.createElement("button");
  b.type = "button"; b.className = "small"; b.textContent = text; b.setAttribute("aria-label", label);
  b.addEventListener("click", onClick);
  return b;
}
async function listRooms() {
  const res = await api("GET", "/api/users/me/rooms");
  if (!res.ok) return;
  $("my-rooms").replaceChildren(...res.data.rooms.map((/** @type {any} */ room) => item(room.name || t("Room {id}", { id: room.id }), room.path)));
  $("my-rooms-empty").hidden = res.data.rooms.length > 0;
}
async function listPlaylists() {
  const res = await api("GET", "/api/users/me/playlists");
  if (!res.ok) return;
  $("my-playlists").replaceChildren(...res.data.playlists.map((/** @type {any} */ p) => item(
    `${p.name} (${p.items.length})`, null,
    small("✕", t("Delete playlist {name}", { name: p.name }), async () => {
      const done = await api("DELETE", `/api/playlists/${encodeURIComponent(p.id)}`);
      if (done.ok) listPlaylists();
    }),
  )));
  $("my-playlists-empty").hidden = res.data.playlists.length > 0;
}
if ($("my-rooms")) { listRooms(); listPlaylists(); }

// --- the plan (only when the server sells one) -------------------------------------------
/** @param {string} path */
async function go(path) {
  const res = await api("POST", path, {});
  if (res.ok) window.location.assign(res.data.url);
  else showError("billing-message", res.message);
}
async function showPlan() {
  const res = await api("GET", "/api/billing");
  if (!res.ok) return;
  const { plan, status, current_period_end: end, manageable } = res.data;
  const until = end ? t(" · paid until {date}", { date: new Date(end).toLocaleDateString(language) }) : "";
  // (t() not inside a template literal, where pybabel's extraction does not look)
  const kept = t("rooms are kept, up to {viewers} viewers, {queued} queued videos, no ads.", { viewers: plan.max_members, queued: plan.max_queue });
  $("plan-summary").textContent = plan.name === "plus"
    ? `Plus${status ? ` (${status})` : ""}${until}: ${kept}`
    : t("Free: rooms are deleted after {days} days unused, up to {viewers} viewers and {queued} queued videos.", { days: $("plan-card").dataset.freeDays, viewers: plan.max_members, queued: plan.max_queue });
  $("upgrade").hidden = plan.name === "plus";
  $("manage-billing").hidden = !manageable;
}
if ($("plan-card")) {
  const outcome = new URLSearchParams(window.location.search).get("billing");
  if (outcome === "success") showError("billing-message", t("Thank you! Your plan changes as soon as Stripe confirms the payment."));
  if (outcome === "cancelled") showError("billing-message", t("Checkout was cancelled; nothing was charged."));
  $("upgrade").addEventListener("click", () => go("/api/billing/checkout"));
  $("manage-billing").addEventListener("click", () => go("/api/billing/portal"));
  showPlan();
}
