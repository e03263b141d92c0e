// @ts-check
// Every page: the sign-out button.
import { api } from "./api.js";

const signOut = document.getElementById("sign-out");
if (signOut) {
  signOut.addEventListener("click", async () => {
    await api("POST", "/api/auth/logout", {});
    window.location.reload();
  });
}
