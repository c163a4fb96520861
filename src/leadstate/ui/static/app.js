// leadstate UI: routing, sign-in and the account picker; the views live in their own
// modules. Plain ES modules, no build step, no third parties.

import { Api } from "./api.js";
import { showDashboard, wireDashboard } from "./dashboard.js";
import { wireDialog } from "./dialog.js";
import { $, $$, clear, h } from "./dom.js";
import { showLead } from "./lead.js";
import { resetResults, searchFormCriteria, wireSearch } from "./search.js";
import { STORE, describeError, showView, state } from "./state.js";

async function route() {
  const hash = location.hash || "#/leads";
  if (!state.api) return showView("signin");
  if (hash === "#/account" || !state.api.account) return showAccountPicker();
  const lead = /^#\/lead\/(\d+)$/.exec(hash);
  if (lead) return showLead(Number(lead[1]));
  if (hash === "#/dashboard") return showDashboard();
  showView("leads");
  if (!state.searched) $("#c-campaignIds").focus();
}

// -- sign-in and accounts ------------------------------------------------------------

function updateSessionBar() {
  const account = state.api && state.api.account;
  const name = state.me ? (state.me.name || state.me.keyId) : "";
  $("#session-account").textContent = account ? `Account ${account} · key ${name}` : `Key ${name}`;
}

function signOut(message) {
  state.session += 1;
  sessionStorage.removeItem(STORE.key);
  sessionStorage.removeItem(STORE.account);
  state.api = null;
  state.me = null;
  resetResults();
  clear($("#job-list"));
  $("#jobs").hidden = true;
  $("#signin-form").reset();
  $("#signin-error").textContent = message || "";
  if (location.hash !== "#/leads") history.replaceState(null, "", "#/leads");
  showView("signin");
  $("#api-key").focus();
}

function newApi(key) {
  const api = new Api(key);
  api.onUnauthorized = (error) => signOut(`Signed out: ${error.message}. Sign in again.`);
  return api;
}

async function signIn(event) {
  event.preventDefault();
  const input = $("#api-key");
  const key = input.value.trim();
  const errorEl = $("#signin-error");
  errorEl.textContent = "";
  input.removeAttribute("aria-invalid");
  if (!key) {
    errorEl.textContent = "Type your API key.";
    input.setAttribute("aria-invalid", "true");
    input.focus();
    return;
  }
  const api = new Api(key);
  try {
    state.me = await api.me();
  } catch (error) {
    errorEl.textContent = error.status === 401
      ? "This API key was not accepted (unknown or revoked)."
      : describeError(error);
    input.setAttribute("aria-invalid", "true");
    input.focus();
    return;
  }
  sessionStorage.setItem(STORE.key, key);
  state.api = newApi(key);
  input.value = "";
  updateSessionBar();
  const accounts = state.me.accounts || [];
  if (accounts.length === 1 && accounts[0] !== "*") {
    await chooseAccount(accounts[0]);
  } else {
    location.hash = "#/account";
    if (location.hash === "#/account") showAccountPicker();
  }
}

function showAccountPicker() {
  const accounts = (state.me && state.me.accounts) || [];
  const concrete = accounts.filter((a) => a !== "*");
  const star = accounts.includes("*");
  const list = clear($("#account-list"));
  const current = sessionStorage.getItem(STORE.account) || "";
  concrete.forEach((account, index) => {
    const id = `account-${account}`;
    list.append(h("div", { class: "choice" },
      h("input", { type: "radio", name: "account", id, value: account,
        checked: current ? account === current : index === 0 }),
      h("label", { for: id }, `Account ${account}`)));
  });
  $("#account-choices").hidden = concrete.length === 0;
  $("#account-other").hidden = !star;
  $("#account-id").value = star && !concrete.includes(current) ? current : "";
  $("#account-error").textContent = "";
  const scopes = (state.me && state.me.scopes) || [];
  $("#account-key-info").textContent =
    `Key ${state.me ? state.me.keyId : ""} · scopes: ${scopes.join(", ") || "none"}` +
    (star ? " · all accounts" : "");
  showView("account");
}

async function chooseAccount(account) {
  const api = state.api.withAccount(account);
  try {
    await api.leadStates();
  } catch (error) {
    if (error.status === 404) throw new Error(`This key may not use account ${account}.`);
    if (error.status !== 403) throw new Error(describeError(error));
  }
  if (api.account !== (state.api && state.api.account)) {
    state.session += 1;
    clear($("#job-list"));
    $("#jobs").hidden = true;
  }
  state.api = api;
  sessionStorage.setItem(STORE.account, String(account));
  resetResults();
  updateSessionBar();
  location.hash = "#/leads";
  route();
}

async function submitAccount(event) {
  event.preventDefault();
  const errorEl = $("#account-error");
  errorEl.textContent = "";
  const typed = $("#account-id").value.trim();
  const picked = $("input[name=account]:checked");
  let account = typed || (picked ? picked.value : "");
  const input = $("#account-id");
  input.removeAttribute("aria-invalid");
  if (!account) {
    errorEl.textContent = "Choose an account, or type its id.";
    return;
  }
  if (!/^\d{1,18}$/.test(account) || Number(account) <= 0) {
    errorEl.textContent = "An account id is a positive whole number.";
    input.setAttribute("aria-invalid", "true");
    input.focus();
    return;
  }
  account = String(Number(account));
  try {
    await chooseAccount(account);
  } catch (error) {
    errorEl.textContent = error.message;
  }
}

// -- wiring --------------------------------------------------------------------------

function wire() {
  $("#signin-form").addEventListener("submit", signIn);
  $("#account-form").addEventListener("submit", submitAccount);
  $("#account-id").addEventListener("input", () => {
    for (const radio of $$("input[name=account]")) radio.checked = false;
  });
  $("#sign-out").addEventListener("click", () => signOut("Signed out."));
  $("#switch-account").addEventListener("click", () => { location.hash = "#/account"; });
  wireSearch();
  wireDialog();
  wireDashboard({ searchLeads: searchFormCriteria });
  window.addEventListener("hashchange", route);
}

async function start() {
  wire();
  const key = sessionStorage.getItem(STORE.key);
  if (key) {
    const api = newApi(key);
    try {
      state.me = await api.me();
      state.api = api;
      const account = sessionStorage.getItem(STORE.account);
      if (account) state.api = api.withAccount(account);
      updateSessionBar();
    } catch {
      sessionStorage.removeItem(STORE.key);
      state.api = null;
      state.me = null;
    }
  }
  document.body.dataset.ready = "true";
  await route();
}

start();
