// Signing in and out: a "sign in" button opens a small form that posts the login and
// password to /api/login; the server answers with an HttpOnly session cookie (the page
// never sees it) and every later request carries it. A wall display or an API client uses
// a bearer token instead (`#token=` in the URL, see config.js).

import { ApiError, me, signIn, signOut } from "./api.js";
import { clearToken } from "./config.js";
import { t } from "./i18n.js";

/**
 * Wires the sign-in button, the form and the signed-in badge; resolves to who is signed in.
 * @param {{token: string|null}} opts the bearer token in force for this tab, if any
 * @returns {Promise<{signed_in: boolean, login?: string, role?: string, personal_data: boolean, edits: boolean}>}
 */
export async function setUpLogin({ token }) {
  const button = document.querySelector(".login-button");
  const badge = document.querySelector(".token-badge");
  const dialog = document.getElementById("login");
  const form = dialog.querySelector("form");
  const error = dialog.querySelector(".login-error");

  let who = { signed_in: false, personal_data: false, edits: false };
  try {
    who = await me();
  } catch {
    // An expired token: the page works as public, and the badge offers to leave it.
  }
  const signedIn = Boolean(token) || who.signed_in;
  document.body.classList.toggle("has-token", signedIn);
  document.body.classList.toggle("signed-out", !signedIn);
  if (who.signed_in) {
    badge.title = t("signedInAs", { login: who.login, role: t(`role_${who.role}`) });
    badge.setAttribute("aria-label", t("signOutOf", { login: who.login }));
  }

  badge.addEventListener("click", async () => {
    clearToken();
    try {
      await signOut();
    } finally {
      window.location.reload();
    }
  });
  button.addEventListener("click", () => {
    error.textContent = "";
    dialog.showModal();
    form.elements.login.focus();
  });
  dialog.querySelector(".login-cancel").addEventListener("click", () => dialog.close());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    const submit = form.querySelector("button[type=submit]");
    submit.disabled = true;
    try {
      await signIn(form.elements.login.value.trim(), form.elements.password.value);
      form.reset();
      window.location.reload();
    } catch (e) {
      error.textContent =
        e instanceof ApiError && e.status === 429
          ? t("tooManySignIns")
          : e instanceof ApiError && e.status === 401
            ? t("signInRefused")
            : t("signInFailed");
      form.elements.password.select();
    } finally {
      submit.disabled = false;
    }
  });

  const config = window.GRIDMAP_CONFIG ?? {};
  document.getElementById("demo-banner").hidden = !config.localDemo;
  return who;
}
