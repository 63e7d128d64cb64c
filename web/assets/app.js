// The app shell: who is logged in, the first-run setup and login pages, the
// navigation and a hash router (#/contacts, #/syncs/3, #/runs/12), so that
// the server only ever serves /index.html and the assets.
import { api, setCsrfToken, setUnauthenticatedHandler, ApiError } from "./api.js";
import { h, replace, field, message, setBusy, isBusy } from "./dom.js";
import { contactsPage } from "./pages/contacts.js";
import { listsPage } from "./pages/lists.js";
import { fieldsPage } from "./pages/fields.js";
import { exclusionsPage } from "./pages/exclusions.js";
import { syncsPage, syncDetailPage } from "./pages/syncs.js";
import { wizardPage } from "./pages/wizard.js";
import { reportPage } from "./pages/report.js";
import { mailPage } from "./pages/mail.js";
import { connectionsPage } from "./pages/connections.js";

const root = document.getElementById("app");
let currentUser = null;

const NAV = [
  ["#/syncs", "Database Sync"],
  ["#/connections", "Connections"],
  ["#/contacts", "Contacts"],
  ["#/lists", "Lists"],
  ["#/fields", "Custom fields"],
  ["#/exclusions", "Exclusion list"],
  ["#/mail", "Mail"],
];

const ROUTES = [
  [/^#\/contacts$/, () => contactsPage()],
  [/^#\/lists$/, () => listsPage()],
  [/^#\/fields$/, () => fieldsPage()],
  [/^#\/exclusions$/, () => exclusionsPage()],
  [/^#\/mail$/, () => mailPage()],
  [/^#\/connections$/, () => connectionsPage()],
  [/^#\/syncs$/, () => syncsPage()],
  [/^#\/syncs\/new$/, () => wizardPage(null)],
  [/^#\/syncs\/(\d+)\/edit$/, (m) => wizardPage(Number(m[1]))],
  [/^#\/syncs\/(\d+)$/, (m) => syncDetailPage(Number(m[1]))],
  [/^#\/runs\/(\d+)$/, (m) => reportPage(Number(m[1]))],
];

function authPage(title, intro, fields, submitLabel, onSubmit) {
  const status = h("div.form-status");
  const button = h("button.primary", { type: "submit" }, submitLabel);
  const form = h("form", { novalidate: true }, fields.map((f) => f.el), status, button);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (isBusy(button)) return;
    setBusy(button, true);
    replace(status);
    try {
      await onSubmit(status);
    } catch (err) {
      replace(status, message("error", err.message));
    } finally {
      setBusy(button, false);
    }
  });
  const main = h("main.center-card", { id: "main" }, h("h1", "contactsync"), h("h2", title),
    intro ? h("p.muted", intro) : null, form);
  replace(root, main);
  const first = form.querySelector("input");
  if (first) first.focus();
}

function textInput(label, attrs) {
  const input = h("input", { required: true, ...attrs });
  return { input, el: field(label, input) };
}

function showLogin(note) {
  const user = textInput("Username", { name: "username", autocomplete: "username" });
  const pass = textInput("Password", { name: "password", type: "password",
    autocomplete: "current-password" });
  authPage("Log in", note || null, [user, pass], "Log in", async () => {
    const data = await api.post("/session",
      { username: user.input.value, password: pass.input.value }, { quiet401: true });
    await loggedIn(data);
  });
}

function showSetup() {
  const user = textInput("Username", { name: "username", autocomplete: "username" });
  const pass = textInput("Password", { name: "password", type: "password",
    autocomplete: "new-password", minlength: "8" });
  const again = textInput("Password again", { name: "password2", type: "password",
    autocomplete: "new-password" });
  authPage("Create the first user",
    "No user exists yet. The account you create here is the administrator; this page works only until then.",
    [user, pass, again], "Create user and log in", async () => {
      if (!user.input.value.trim()) throw new Error("Enter a username.");
      if (pass.input.value !== again.input.value) throw new Error("The passwords differ.");
      const data = await api.post("/setup",
        { username: user.input.value.trim(), password: pass.input.value }, { quiet401: true });
      await loggedIn(data);
    });
}

async function loggedIn(data) {
  currentUser = data.user;
  setCsrfToken(data.csrf_token);
  if (!location.hash || location.hash === "#/login") location.hash = "#/syncs";
  await route();
}

async function logout() {
  try { await api.del("/session"); } catch { /* logged out either way */ }
  currentUser = null;
  setCsrfToken("");
  showLogin("You are logged out.");
}

function shell() {
  const nav = h("nav.nav", { "aria-label": "Main" },
    h("ul", NAV.map(([href, label]) => h("li", h("a", { href, dataset: { nav: href } }, label)))));
  const header = h("header.topbar",
    h("a.brand", { href: "#/syncs" }, "contactsync"), nav,
    h("div.user", h("span.muted", "Signed in as "), h("bdi", currentUser ? currentUser.username : ""),
      h("button.link", { type: "button", on: { click: logout } }, "Log out")));
  const main = h("main.content", { id: "main", tabindex: "-1" });
  replace(root, header, main);
  return main;
}

// Leaving a page with unsaved input asks first. Such a page sets
// window.csLeaveGuard to a function that returns the question to ask, or null
// when nothing would be lost; the router clears it when the page goes.
// In-app navigation asks in the page (the hash is put back meanwhile);
// closing or reloading the tab gets the browser's own prompt.
function leaveQuestion() {
  return window.csLeaveGuard ? window.csLeaveGuard() : null;
}

function askToLeave(question) {
  return new Promise((resolve) => {
    const stay = h("button.primary", { type: "button" }, "Stay");
    const leave = h("button.danger", { type: "button" }, "Leave");
    const dlg = h("dialog.confirm", { "aria-labelledby": "leave-text" },
      h("p", { id: "leave-text" }, question), h("div.actions", stay, leave));
    const done = (result) => { dlg.close(); dlg.remove(); resolve(result); };
    leave.addEventListener("click", () => done(true));
    stay.addEventListener("click", () => done(false));
    dlg.addEventListener("cancel", (e) => { e.preventDefault(); done(false); });
    document.body.append(dlg);
    dlg.showModal();
    stay.focus();
  });
}

// True when the hash change may go ahead; otherwise the old hash is back.
async function mayLeave(event) {
  const question = leaveQuestion();
  if (!question || !event || !event.oldURL) return true;
  const target = location.hash;
  history.replaceState(null, "", new URL(event.oldURL).hash || "#/syncs");
  if (!(await askToLeave(question))) return false;
  window.csLeaveGuard = null;
  location.hash = target;  // routes again, now without a guard
  return false;
}

async function route(event) {
  if (!currentUser) return;
  if (event && event.type === "hashchange" && !(await mayLeave(event))) return;
  const hash = location.hash || "#/syncs";
  let main = document.querySelector("main.content");
  if (!main) main = shell();
  for (const a of document.querySelectorAll("[data-nav]")) {
    const active = hash === a.dataset.nav || hash.startsWith(`${a.dataset.nav}/`) ||
      (a.dataset.nav === "#/syncs" && hash.startsWith("#/runs/"));
    if (active) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
  }
  const found = ROUTES.find(([re]) => re.test(hash));
  if (!found) { location.hash = "#/syncs"; return; }
  const [re, render] = found;
  if (window.csCleanup) { window.csCleanup(); window.csCleanup = null; }
  window.csLeaveGuard = null;
  replace(main, h("p.muted", "Loading…"));
  try {
    const page = await render(hash.match(re));
    replace(main, page);
    const heading = main.querySelector("h1");
    if (heading) document.title = `${heading.textContent} · contactsync`;
    main.focus({ preventScroll: true });
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return;
    replace(main, h("h1", "Something went wrong"), message("error", err.message));
  }
}

async function start() {
  // The skip link focuses the content without touching the hash (the router's).
  const skip = document.querySelector(".skip-link");
  if (skip) {
    skip.addEventListener("click", (e) => {
      e.preventDefault();
      const main = document.getElementById("main");
      if (main) { main.setAttribute("tabindex", "-1"); main.focus(); }
    });
  }
  setUnauthenticatedHandler(() => {
    if (currentUser) { currentUser = null; showLogin("Your session has ended. Log in again."); }
  });
  window.addEventListener("hashchange", route);
  window.addEventListener("beforeunload", (e) => {
    if (currentUser && leaveQuestion()) { e.preventDefault(); e.returnValue = ""; }
  });
  try {
    const data = await api.get("/session", { quiet401: true });
    await loggedIn(data);
    return;
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 401) {
      replace(root, h("main.center-card", { id: "main" }, h("h1", "contactsync"),
        message("error", err.message)));
      return;
    }
  }
  try {
    const setup = await api.get("/setup", { quiet401: true });
    if (setup && setup.needs_setup) { showSetup(); return; }
  } catch { /* fall through to login */ }
  showLogin();
}

start();
