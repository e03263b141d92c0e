"use strict";
// Home page: create a room (POST /api/rooms) or open one from a pasted link or id.
document.getElementById("create-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const name = document.getElementById("room-name").value.trim();
  const error = document.getElementById("create-error");
  try {
    const res = await fetch("/api/rooms", {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify(name ? { name } : {}),
    });
    const body = await res.json();
    if (!res.ok) throw new Error(body.error ? body.error.message : `HTTP ${res.status}`);
    window.location.assign(body.path);
  } catch (e) {
    error.textContent = `Could not create a room: ${e.message}`;
    error.hidden = false;
  }
});
document.getElementById("join-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const value = document.getElementById("room-link").value.trim();
  const match = value.match(/\/r\/([A-Za-z0-9_-]+)/);
  window.location.assign(`/r/${encodeURIComponent(match ? match[1] : value)}`);
});
