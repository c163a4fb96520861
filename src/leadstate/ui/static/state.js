// Shared page state and the small helpers every view uses.

import { ApiError } from "./api.js";
import { $, $$, h, timeEl } from "./dom.js";

export const LEAD_STATES = [
  "READY", "PENDING", "ACTIVE", "CALLBACK", "AGENT-CALLBACK", "PENDING-CALLBACK",
  "CALLBACK-CANCELLED", "CANCELLED", "PAUSED", "COMPLETE", "MAX-DIAL-LIMIT", "DO-NOT-CALL",
  "DISCONNECTED", "INTERCEPT", "PENDING-ERR", "PENDING-HCI", "TRANSITIONED", "WHITELIST",
];

export const STORE = { key: "leadstate.apiKey", account: "leadstate.account" };

const TIME_FIELDS = new Set(["nextDialTime", "lastPassDts", "loadedDts", "stateDts"]);

export const state = {
  api: null,
  me: null,
  criteria: {},
  page: 0,
  pageSize: 50,
  sort: "",
  rows: [],
  total: 0,
  searched: false,
  selection: new Map(),
  allMatching: false,
  searchSeq: 0,
  session: 0, // bumped on sign-out and account switch: stops the old jobs' polling
};

// -- small utilities -----------------------------------------------------------------

export function announce(message, kind = "info") {
  const el = $("#status");
  el.className = `status ${kind}`;
  el.textContent = message;
}

export function hasScope(scope) {
  return Boolean(state.me && (state.me.scopes || []).includes(scope));
}

export function describeError(error) {
  if (!(error instanceof ApiError)) return `Unexpected error: ${error.message || error}`;
  if (error.status === 0) return error.message;
  return `${error.message} (${error.endpoint}: HTTP ${error.status})`;
}

export function stateBadge(value) {
  const name = String(value || "");
  return h("span", { class: `badge state-${name.toLowerCase()}` }, name || "—");
}

export function display(key, value, { short = false } = {}) {
  if (TIME_FIELDS.has(key)) return timeEl(value, { short });
  if (key === "leadState") return stateBadge(value);
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (value === null || value === undefined || value === "") return h("span", { class: "muted" }, "—");
  return String(value);
}

// -- views and routing ---------------------------------------------------------------

const VIEWS = ["signin", "account", "leads", "lead", "dashboard"];

export function showView(name, { focus = true } = {}) {
  for (const view of VIEWS) $(`#view-${view}`).hidden = view !== name;
  const signedIn = Boolean(state.api && state.api.account);
  $("#nav").hidden = !signedIn;
  $("#session").hidden = !state.api;
  for (const link of $$("#nav a")) {
    const current = link.dataset.nav === name || (name === "lead" && link.dataset.nav === "leads");
    if (current) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const title = { signin: "Sign in", account: "Account", leads: "Leads", lead: "Lead", dashboard: "Dashboard" }[name];
  document.title = `leadstate · ${title}`;
  if (focus) {
    const heading = $(`#view-${name} h1`);
    if (heading) heading.focus({ preventScroll: false });
  }
}
