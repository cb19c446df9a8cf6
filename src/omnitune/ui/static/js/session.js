// Shows who is signed in and signs out.
import { api } from "./api.js";

const who = document.getElementById("who");
api("GET", "/api/me").then((me) => { who.textContent = `${me.name} (${me.role})`; }).catch(() => {});
document.getElementById("logout").addEventListener("click", async () => {
  await api("POST", "/api/logout");
  window.location.assign("/login");
});
