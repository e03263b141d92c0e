// @ts-check
// Every page: the sign-out button and the language picker (its choice is a cookie the
// browser keeps; the server renders the page in that language).
import { api } from "./api.js";

const ONE_YEAR_SECONDS = 365 * 24 * 3600;
const signOut = document.getElementById("sign-out");
if (signOut) {
  signOut.addEventListener("click", async () => {
    await api("POST", "/api/auth/logout", {});
    window.location.reload();
  });
}
const picker = /** @type {HTMLSelectElement | null} */ (document.getElementById("language"));
if (picker) {
  picker.addEventListener("change", () => {
    document.cookie = `watchparty_lang=${encodeURIComponent(picker.value)}; path=/; max-age=${ONE_YEAR_SECONDS}; SameSite=Lax`;
    window.location.reload();
  });
}
