// Exchanges a pasted API token for the session cookie, then goes where the user was headed.
import { api } from "./api.js";

const form = document.getElementById("login-form");
const error = document.getElementById("login-error");
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  error.textContent = "";
  try {
    await api("POST", "/api/login", { token: document.getElementById("token").value.trim() });
    const next = new URLSearchParams(window.location.search).get("next") || "/";
    window.location.assign(next.startsWith("/") && !next.startsWith("//") ? next : "/");
  } catch (err) {
    error.textContent = err.message;
  }
});
