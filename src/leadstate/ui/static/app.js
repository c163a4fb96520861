// leadstate UI: sign-in, account picker, lead search, actions and bulk jobs, one lead's
// detail and history, a dashboard. Plain ES modules, no build step, no third parties.

import { ACTIONS, ACTION_BY_NAME, ACTION_SCOPES, hasSelector, validateParams } from "./actions.js";
import { Api, ApiError } from "./api.js";
import { $, $$, clear, h, localToIso, plural, svg, timeEl } from "./dom.js";

export const LEAD_STATES = [
  "READY", "PENDING", "ACTIVE", "CALLBACK", "AGENT-CALLBACK", "PENDING-CALLBACK",
  "CALLBACK-CANCELLED", "CANCELLED", "PAUSED", "COMPLETE", "MAX-DIAL-LIMIT", "DO-NOT-CALL",
  "DISCONNECTED", "INTERCEPT", "PENDING-ERR", "PENDING-HCI", "TRANSITIONED", "WHITELIST",
];

const STORE = { key: "leadstate.apiKey", account: "leadstate.account" };
const JOB_POLL_MS = 500;

const COLUMNS = [
  { key: "leadId", label: "Lead", sort: "leadId" },
  { key: "externId", label: "Extern id", sort: "externId" },
  { key: "firstName", label: "First name", sort: "firstName" },
  { key: "lastName", label: "Last name", sort: "lastName" },
  { key: "leadPhone", label: "Phone", sort: "leadPhone" },
  { key: "leadState", label: "State", sort: "leadState" },
  { key: "suppressed", label: "Suppressed" },
  { key: "leadPasses", label: "Passes", sort: "leadPasses" },
  { key: "campaignId", label: "Campaign", sort: "campaignId" },
  { key: "listId", label: "List", sort: "listId" },
  { key: "nextDialTime", label: "Next dial", sort: "nextDialTime" },
  { key: "loadedDts", label: "Loaded", sort: "loadedDts" },
];

const CONTACT_FIELDS = [
  ["title", "Title"], ["firstName", "First name"], ["midName", "Middle name"],
  ["lastName", "Last name"], ["suffix", "Suffix"], ["leadPhone", "Phone"],
  ["leadPhoneE164", "Phone (E.164)"], ["auxPhone", "Other phone"], ["email", "Email"],
  ["address1", "Address 1"], ["address2", "Address 2"], ["city", "City"],
  ["state", "State/region"], ["zip", "Zip"], ["gateKeeper", "Gatekeeper"],
  ["auxData1", "Aux data 1"], ["auxData2", "Aux data 2"], ["auxData3", "Aux data 3"],
  ["auxData4", "Aux data 4"], ["auxData5", "Aux data 5"], ["extraData", "Extended data"],
];

const STATE_FIELDS = [
  ["leadState", "State"], ["suppressed", "Suppressed"], ["leadPasses", "Passes"],
  ["maxPasses", "Max passes"], ["nextDialTime", "Next dial"], ["lastPassDts", "Last pass"],
  ["lastPassDisposition", "Last pass disposition"], ["agentDisposition", "Agent disposition"],
  ["pendingAgentId", "Reserved for agent"], ["leadPriority", "Priority"],
  ["campaignId", "Campaign"], ["listId", "List"], ["listDesc", "List name"],
  ["externId", "Extern id"], ["leadTimezone", "Time zone"], ["callerId", "Caller id"],
  ["loadedDts", "Loaded"], ["stateDts", "State since"], ["originalLeadId", "Copy of lead"],
];

const TIME_FIELDS = new Set(["nextDialTime", "lastPassDts", "loadedDts", "stateDts"]);

const state = {
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

function announce(message, kind = "info") {
  const el = $("#status");
  el.className = `status ${kind}`;
  el.textContent = message;
}

function hasScope(scope) {
  return Boolean(state.me && (state.me.scopes || []).includes(scope));
}

function describeError(error) {
  if (!(error instanceof ApiError)) return `Unexpected error: ${error.message || error}`;
  if (error.status === 0) return error.message;
  return `${error.message} (${error.endpoint}: HTTP ${error.status})`;
}

function stateBadge(value) {
  const name = String(value || "");
  return h("span", { class: `badge state-${name.toLowerCase()}` }, name || "—");
}

function display(key, value, { short = false } = {}) {
  if (TIME_FIELDS.has(key)) return timeEl(value, { short });
  if (key === "leadState") return stateBadge(value);
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (value === null || value === undefined || value === "") return h("span", { class: "muted" }, "—");
  return String(value);
}

// -- views and routing ---------------------------------------------------------------

const VIEWS = ["signin", "account", "leads", "lead", "dashboard"];

function showView(name, { focus = true } = {}) {
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

// -- criteria ------------------------------------------------------------------------

function fieldLabel(input) {
  const label = input.labels && input.labels[0];
  return label ? label.textContent.trim() : input.name;
}

class CriteriaError extends Error {
  constructor(input, message) {
    super(message);
    this.input = input;
  }
}

/** The criteria body the form describes (SPEC §3 names); CriteriaError when malformed. */
function readCriteria() {
  const form = $("#criteria-form");
  const body = {};
  for (const input of $$("[data-kind]", form)) {
    const kind = input.dataset.kind;
    const name = input.name;
    const value = input.type === "checkbox" ? input.checked : input.value.trim();
    if (kind === "op") continue;
    if (kind === "flag") {
      if (value) body[name] = true;
      continue;
    }
    if (!value) continue;
    if (kind === "ids") {
      const parts = value.split(/[\s,;]+/).filter(Boolean);
      const bad = parts.find((p) => !/^\d{1,10}$/.test(p) || Number(p) > 2147483647);
      if (bad !== undefined) throw new CriteriaError(input, `${fieldLabel(input)}: '${bad}' is not an id (a whole number).`);
      body[name] = parts.map(Number);
    } else if (kind === "list") {
      body[name] = value.split(",").map((p) => p.trim()).filter(Boolean);
    } else if (kind === "text" || kind === "choice") {
      body[name] = value;
    } else if (kind === "int") {
      if (!/^-?\d{1,10}$/.test(value)) throw new CriteriaError(input, `${fieldLabel(input)}: a whole number, please.`);
      body[name] = Number(value);
    } else if (kind === "time") {
      const iso = localToIso(value);
      if (!iso) throw new CriteriaError(input, `${fieldLabel(input)}: not a valid time.`);
      body[name] = iso;
    } else if (kind === "compare-int" || kind === "compare-time") {
      const [group] = name.split(".");
      const op = $(`[name="${group}.operator"]`, form).value;
      let compared;
      if (kind === "compare-int") {
        if (!/^\d{1,10}$/.test(value)) throw new CriteriaError(input, `${fieldLabel(input)}: a whole number, please.`);
        compared = Number(value);
      } else {
        compared = localToIso(value);
        if (!compared) throw new CriteriaError(input, `${fieldLabel(input)}: not a valid time.`);
      }
      body[group] = { operator: op, value: compared };
    }
  }
  const states = $$("#c-states input:checked").map((i) => i.value);
  if (states.length) body.leadStates = states;
  return body;
}

function buildStateChoices() {
  const box = clear($("#c-states"));
  for (const name of LEAD_STATES) {
    const id = `c-state-${name.toLowerCase()}`;
    box.append(h("div", { class: "choice" },
      h("input", { type: "checkbox", id, value: name, name: "leadStates" }),
      h("label", { for: id }, name)));
  }
}

async function submitCriteria(event) {
  event.preventDefault();
  const errorEl = $("#criteria-error");
  errorEl.textContent = "";
  for (const el of $$("#criteria-form [aria-invalid]")) el.removeAttribute("aria-invalid");
  let criteria;
  try {
    criteria = readCriteria();
  } catch (error) {
    if (!(error instanceof CriteriaError)) throw error;
    errorEl.textContent = error.message;
    error.input.setAttribute("aria-invalid", "true");
    if (error.input.closest("details")) error.input.closest("details").open = true;
    error.input.focus();
    return;
  }
  state.criteria = criteria;
  state.page = 0;
  clearSelection();
  await runSearch();
}

// -- results -------------------------------------------------------------------------

function resetResults() {
  state.rows = [];
  state.total = 0;
  state.searched = false;
  state.criteria = {};
  state.page = 0;
  clearSelection();
  $("#results").hidden = true;
}

async function runSearch({ keepFocus = true } = {}) {
  const seq = ++state.searchSeq;
  const api = state.api;
  const errorEl = $("#criteria-error");
  $("#results").setAttribute("aria-busy", "true");
  try {
    const [rows, total] = await Promise.all([
      api.search(state.criteria, { page: state.page, maxRows: state.pageSize, sort: state.sort }),
      api.count(state.criteria),
    ]);
    if (seq !== state.searchSeq) return;
    state.rows = rows;
    state.total = total;
    state.searched = true;
    if (rows.length === 0 && state.page > 0 && total > 0) {
      state.page = Math.max(0, Math.ceil(total / state.pageSize) - 1);
      return runSearch({ keepFocus });
    }
    renderResults();
  } catch (error) {
    if (seq !== state.searchSeq) return;
    errorEl.textContent = describeError(error);
  } finally {
    if (seq === state.searchSeq) $("#results").removeAttribute("aria-busy");
  }
  if (!keepFocus) $("#results-title").focus();
}

function sortState(key) {
  if (state.sort === key) return "ascending";
  if (state.sort === `-${key}`) return "descending";
  return "none";
}

function renderHead() {
  const thead = clear($("#results-table thead"));
  const pageIds = state.rows.map((r) => r.leadId);
  const allOnPage = pageIds.length > 0 && (state.allMatching || pageIds.every((id) => state.selection.has(id)));
  const someOnPage = pageIds.some((id) => state.selection.has(id));
  const pageBox = h("input", {
    type: "checkbox", id: "select-page", "aria-label": "Select every lead on this page",
    onchange: (e) => selectPage(e.target.checked),
  });
  pageBox.checked = allOnPage;
  pageBox.indeterminate = !allOnPage && someOnPage;
  const row = h("tr", {}, h("th", { scope: "col", class: "select" }, pageBox));
  for (const column of COLUMNS) {
    if (!column.sort) {
      row.append(h("th", { scope: "col" }, column.label));
      continue;
    }
    const sorted = sortState(column.sort);
    const arrow = sorted === "ascending" ? "▲" : sorted === "descending" ? "▼" : "↕";
    const next = sorted === "ascending" ? "descending" : "ascending";
    row.append(h("th", { scope: "col", "aria-sort": sorted },
      h("button", {
        type: "button", class: "sort", dataset: { sort: column.sort },
        title: `Sort by ${column.label.toLowerCase()}, ${next}`,
        onclick: () => changeSort(column.sort),
      }, column.label, h("span", { class: "arrow", "aria-hidden": "true" }, ` ${arrow}`))));
  }
  thead.append(row);
}

function renderResults() {
  $("#results").hidden = false;
  renderHead();
  const tbody = clear($("#results-table tbody"));
  if (state.rows.length === 0) {
    tbody.append(h("tr", {}, h("td", { colspan: COLUMNS.length + 1, class: "empty" },
      "No leads match these criteria.")));
  }
  for (const lead of state.rows) {
    const selected = state.allMatching || state.selection.has(lead.leadId);
    const box = h("input", {
      type: "checkbox", "aria-label": `Select lead ${lead.leadId}`,
      dataset: { leadId: lead.leadId },
      onchange: (e) => toggleRow(lead, e.target.checked),
    });
    box.checked = selected;
    const cells = COLUMNS.map((column) => {
      if (column.key === "leadId") {
        return h("td", {}, h("a", { href: `#/lead/${lead.leadId}`, title: `Open lead ${lead.leadId}` }, String(lead.leadId)));
      }
      return h("td", { class: column.key }, display(column.key, lead[column.key], { short: true }));
    });
    tbody.append(h("tr", { dataset: { leadId: lead.leadId, state: lead.leadState }, class: selected ? "selected" : "" },
      h("td", { class: "select" }, box), cells));
  }
  const first = state.total === 0 ? 0 : state.page * state.pageSize + 1;
  const last = state.page * state.pageSize + state.rows.length;
  const pages = Math.max(1, Math.ceil(state.total / state.pageSize));
  $("#result-summary").textContent = state.total === 0
    ? "No matching leads"
    : `${plural(state.total, "matching lead")} · showing ${first.toLocaleString()}–${last.toLocaleString()}`;
  $("#result-summary").dataset.total = String(state.total);
  $("#page-info").textContent = `Page ${state.page + 1} of ${pages}`;
  $("#page-prev").disabled = state.page === 0;
  $("#page-next").disabled = last >= state.total;
  renderSelection();
}

function changeSort(key) {
  state.sort = state.sort === key ? `-${key}` : key;
  state.page = 0;
  runSearch().then(() => {
    const button = $(`#results-table button[data-sort="${key}"]`);
    if (button) button.focus();
  });
}

function changePage(delta) {
  state.page = Math.max(0, state.page + delta);
  runSearch();
}

// -- selection -----------------------------------------------------------------------

function clearSelection() {
  state.selection.clear();
  state.allMatching = false;
  syncRowBoxes();
}

function toggleRow(lead, checked) {
  if (state.allMatching && !checked) {
    // Leave "all matching": keep this page's rows but the one unticked.
    state.allMatching = false;
    state.selection.clear();
    for (const row of state.rows) if (row.leadId !== lead.leadId) state.selection.set(row.leadId, row);
  } else if (checked) {
    state.selection.set(lead.leadId, lead);
  } else {
    state.selection.delete(lead.leadId);
  }
  syncRowBoxes();
}

function selectPage(checked) {
  if (!checked && state.allMatching) state.allMatching = false;
  for (const row of state.rows) {
    if (checked) state.selection.set(row.leadId, row);
    else state.selection.delete(row.leadId);
  }
  syncRowBoxes();
}

function syncRowBoxes() {
  for (const box of $$("#results-table tbody input[type=checkbox]")) {
    const id = Number(box.dataset.leadId);
    box.checked = state.allMatching || state.selection.has(id);
    box.closest("tr").classList.toggle("selected", box.checked);
  }
  const pageIds = state.rows.map((r) => r.leadId);
  const pageBox = $("#select-page");
  if (pageBox) {
    const all = pageIds.length > 0 && (state.allMatching || pageIds.every((id) => state.selection.has(id)));
    pageBox.checked = all;
    pageBox.indeterminate = !all && pageIds.some((id) => state.selection.has(id));
  }
  renderSelection();
}

function selectedCount() {
  return state.allMatching ? state.total : state.selection.size;
}

function renderSelection() {
  const summary = $("#selection-summary");
  const allButton = $("#select-all-matching");
  const n = selectedCount();
  if (state.allMatching) summary.textContent = `All ${plural(state.total, "matching lead")} selected`;
  else if (n === 0) summary.textContent = "No leads selected";
  else summary.textContent = `${plural(n, "lead")} selected`;
  summary.dataset.count = String(n);
  const pageIds = state.rows.map((r) => r.leadId);
  const pageAll = pageIds.length > 0 && pageIds.every((id) => state.selection.has(id));
  const offer = !state.allMatching && pageAll && state.total > state.selection.size;
  allButton.hidden = !offer;
  allButton.textContent = `Select all ${plural(state.total, "matching lead")}`;
  $("#clear-selection").hidden = n === 0;
  $("#actions-button").disabled = n === 0;
}

function selectAllMatching() {
  state.allMatching = true;
  syncRowBoxes();
  $("#clear-selection").focus();
}

/** What an action from the results acts on: the ticked rows, or all that match. */
function currentTarget() {
  if (state.allMatching) {
    return { criteria: { ...state.criteria }, count: state.total, allMatching: true,
      describe: (n) => `all ${plural(n, "matching lead")}` };
  }
  const ids = [...state.selection.keys()].sort((a, b) => a - b);
  return { criteria: { leadIds: ids }, count: ids.length, allMatching: false,
    describe: (n) => `${plural(n, "selected lead")}` };
}

// -- action menu ---------------------------------------------------------------------

function buildActionMenu() {
  const menu = clear($("#actions-menu"));
  for (const def of ACTIONS) {
    const scope = ACTION_SCOPES[def.name] || "leads:write";
    const allowed = hasScope(scope);
    menu.append(h("li", { role: "none" },
      h("button", {
        type: "button", role: "menuitem", tabindex: "-1", dataset: { action: def.name },
        "aria-disabled": allowed ? null : "true",
        title: allowed ? def.description : `Needs the scope ${scope}`,
        onclick: () => {
          if (!allowed) return;
          closeMenu(false);
          openActionDialog(def, currentTarget(), { after: "results", opener: $("#actions-button") });
        },
      }, def.label, h("span", { class: "code", "aria-hidden": "true" }, def.name), allowed ? null : h("span", { class: "code" }, `needs ${scope}`))));
  }
}

function menuItems() {
  return $$("#actions-menu [role=menuitem]");
}

function openMenu(focusLast = false) {
  buildActionMenu();
  const button = $("#actions-button");
  $("#actions-menu").hidden = false;
  button.setAttribute("aria-expanded", "true");
  const items = menuItems();
  (focusLast ? items[items.length - 1] : items[0]).focus();
}

function closeMenu(returnFocus = true) {
  const button = $("#actions-button");
  $("#actions-menu").hidden = true;
  button.setAttribute("aria-expanded", "false");
  if (returnFocus) button.focus();
}

function menuKeydown(event) {
  const items = menuItems();
  const index = items.indexOf(document.activeElement);
  const move = (to) => { event.preventDefault(); items[(to + items.length) % items.length].focus(); };
  if (event.key === "ArrowDown") move(index + 1);
  else if (event.key === "ArrowUp") move(index - 1);
  else if (event.key === "Home") move(0);
  else if (event.key === "End") move(items.length - 1);
  else if (event.key === "Escape") { event.preventDefault(); closeMenu(); }
  else if (event.key === "Tab") closeMenu(false);
  else if (event.key.length === 1) {
    const letter = event.key.toLowerCase();
    const start = index + 1;
    for (let i = 0; i < items.length; i += 1) {
      const item = items[(start + i) % items.length];
      if (item.textContent.trim().toLowerCase().startsWith(letter)) { move((start + i) % items.length); break; }
    }
  }
}

// -- action dialog -------------------------------------------------------------------

const dialogState = { def: null, target: null, step: "params", paramMap: {}, busy: false, after: "results", opener: null, count: 0 };

function fieldId(key) {
  return `p-${key}`;
}

function renderParamField(field) {
  const id = fieldId(field.key);
  const describedBy = [field.help ? `${id}-help` : null, `${id}-error`].filter(Boolean).join(" ");
  const label = `${field.label}${field.required ? " (required)" : ""}`;
  let control;
  if (field.kind === "bool") {
    control = h("input", { id, type: "checkbox", name: field.key, "aria-describedby": describedBy });
    return h("div", { class: "field checkbox", dataset: { key: field.key } },
      control, h("label", { for: id }, label),
      field.help ? h("p", { id: `${id}-help`, class: "help" }, field.help) : null,
      h("p", { id: `${id}-error`, class: "error field-error" }));
  }
  if (field.kind === "choice") {
    control = h("select", { id, name: field.key, "aria-describedby": describedBy, "aria-required": field.required ? "true" : null },
      field.options.map(([value, text]) => h("option", { value, selected: value === field.initial }, text)));
  } else {
    const type = field.kind === "datetime" ? "datetime-local" : "text";
    control = h("input", {
      id, name: field.key, type, autocomplete: "off", "aria-describedby": describedBy,
      "aria-required": field.required ? "true" : null,
      inputmode: field.kind === "int" ? "numeric" : null,
      step: field.kind === "datetime" ? "1" : null,
      spellcheck: field.kind === "emails" ? "false" : null,
    });
  }
  return h("div", { class: "field", dataset: { key: field.key } },
    h("label", { for: id }, label), control,
    field.help ? h("p", { id: `${id}-help`, class: "help" }, field.help) : null,
    h("p", { id: `${id}-error`, class: "error field-error" }));
}

function paramValues(def) {
  const values = {};
  for (const field of def.fields) {
    const el = document.getElementById(fieldId(field.key));
    values[field.key] = field.kind === "bool" ? el.checked : el.value;
  }
  return values;
}

function visibleFields(def) {
  const values = paramValues(def);
  return def.fields.filter((f) => !f.showIf || f.showIf(values));
}

function updateFieldVisibility() {
  const def = dialogState.def;
  if (!def) return;
  const visible = new Set(visibleFields(def).map((f) => f.key));
  for (const field of def.fields) {
    $(`#action-fields [data-key="${field.key}"]`).hidden = !visible.has(field.key);
  }
}

/** The paramMap the dialog sends: visible fields, empty optional ones left out. */
function readParamMap(def) {
  const values = paramValues(def);
  const map = {};
  for (const field of visibleFields(def)) {
    const value = values[field.key];
    if (field.kind === "bool") map[field.key] = value;
    else if (field.kind === "choice") map[field.key] = value;
    else if (field.kind === "datetime") {
      if (value) map[field.key] = localToIso(value) || value;
    } else if (String(value).trim() !== "") map[field.key] = String(value).trim();
  }
  return map;
}

function showFieldErrors(errors) {
  for (const el of $$("#action-fields .field-error")) el.textContent = "";
  for (const el of $$("#action-fields [aria-invalid]")) el.removeAttribute("aria-invalid");
  const general = [];
  let first = null;
  for (const error of errors) {
    const control = error.key && document.getElementById(fieldId(error.key));
    if (control && !control.closest(".field").hidden) {
      const errEl = document.getElementById(`${fieldId(error.key)}-error`);
      if (!errEl.textContent) errEl.textContent = error.message;
      control.setAttribute("aria-invalid", "true");
      first = first || control;
    } else {
      general.push(error.message);
    }
  }
  $("#action-error").textContent = general.join(" ");
  if (first) first.focus();
}

function openActionDialog(def, target, { after = "results", opener = null } = {}) {
  Object.assign(dialogState, { def, target, step: "params", paramMap: {}, busy: false, after, opener, count: target.count });
  $("#action-title").textContent = `${def.label} (${def.name})`;
  $("#action-description").textContent = def.description;
  $("#action-error").textContent = "";
  const fields = clear($("#action-fields"));
  for (const field of def.fields) fields.append(renderParamField(field));
  updateFieldVisibility();
  const dialog = $("#action-dialog");
  dialog.dataset.action = def.name;
  if (!dialog.open) dialog.showModal();
  if (def.fields.length) {
    showParamsStep();
  } else {
    showConfirmStep();
  }
}

function showParamsStep() {
  dialogState.step = "params";
  $("#action-step-params").hidden = false;
  $("#action-step-confirm").hidden = true;
  $("#action-back").hidden = true;
  const next = $("#action-next");
  next.textContent = "Continue";
  next.disabled = false;
  next.classList.remove("danger");
  const first = $("#action-fields input, #action-fields select");
  if (first) first.focus();
}

async function showConfirmStep() {
  const { def, target } = dialogState;
  dialogState.step = "confirm";
  $("#action-step-params").hidden = true;
  $("#action-step-confirm").hidden = false;
  $("#action-back").hidden = def.fields.length === 0;
  const summary = clear($("#action-param-summary"));
  for (const [key, value] of Object.entries(dialogState.paramMap)) {
    const field = def.fields.find((f) => f.key === key);
    summary.append(h("dt", {}, field ? field.label : key), h("dd", {}, h("code", {}, `${key} = ${JSON.stringify(value)}`)));
  }
  const warning = $("#action-warning");
  warning.hidden = !def.warning;
  warning.textContent = def.warning ? `⚠ ${def.warning}` : "";
  const next = $("#action-next");
  next.classList.toggle("danger", Boolean(def.warning));
  const countEl = $("#action-count");
  if (target.allMatching && !hasSelector(target.criteria)) {
    countEl.textContent = "";
    $("#action-error").textContent =
      "An action needs at least one criterion besides Suppressed: search with a campaign (or another criterion) first.";
    next.textContent = "Apply";
    next.disabled = true;
    $("#action-close").focus();
    return;
  }
  let n = target.count;
  if (target.allMatching) {
    try {
      n = await state.api.count(target.criteria);
    } catch (error) {
      $("#action-error").textContent = describeError(error);
    }
  }
  dialogState.count = n;
  countEl.dataset.count = String(n);
  countEl.textContent = def.changesNothing
    ? `An export of ${target.describe(n)} will be emailed; no lead changes.`
    : `${def.label} will change ${target.describe(n)}.`;
  if (!def.changesNothing && n > 0) {
    countEl.textContent += " Leads it would not change (already so, or not allowed) are left as they are.";
  }
  next.textContent = `Apply to ${plural(n, "lead")}`;
  next.disabled = n === 0;
  if (n === 0) $("#action-error").textContent = "No lead matches any more: nothing to do.";
  next.focus();
}

async function submitActionForm(event) {
  event.preventDefault();
  if (dialogState.busy) return;
  const { def } = dialogState;
  $("#action-error").textContent = "";
  if (dialogState.step === "params") {
    const paramMap = readParamMap(def);
    const result = validateParams(def.name, paramMap);
    showFieldErrors(result.errors);
    if (!result.ok) return;
    dialogState.paramMap = paramMap;
    await showConfirmStep();
    return;
  }
  await applyAction();
}

async function applyAction() {
  const { def, target, paramMap, after } = dialogState;
  const next = $("#action-next");
  dialogState.busy = true;
  next.disabled = true;
  const label = next.textContent;
  next.textContent = "Working…";
  $("#action-dialog").setAttribute("aria-busy", "true");
  try {
    const response = await state.api.action(def.name, paramMap, target.criteria);
    const dialog = $("#action-dialog");
    if (dialog.open) dialog.close("done");
    if (response.status === 202) {
      const job = response.data || {};
      if (!job.jobId) {
        const location = response.headers.get("Location") || "";
        job.jobId = location.split("/").pop();
      }
      if (after === "results") clearSelection();
      startJob(job, def, target.describe(dialogState.count), after);
    } else {
      const result = response.data || {};
      announce(resultMessage(def, result), "success");
      afterAction(after);
    }
  } catch (error) {
    const dialog = $("#action-dialog");
    const message = describeError(error);
    if (dialog.open) {
      $("#action-error").textContent = `The server refused: ${message}`;
      next.textContent = label;
      next.disabled = false;
      if (!$("#action-back").hidden) $("#action-back").focus();
      else next.focus();
    } else {
      announce(`${def.label} failed: ${message}`, "error");
    }
  } finally {
    dialogState.busy = false;
    $("#action-dialog").removeAttribute("aria-busy");
  }
}

function resultMessage(def, result) {
  const parts = [];
  if (def.name === "DELETE_LEADS") parts.push(`${plural(result.leadDeleteCount || 0, "lead")} deleted`);
  else if (def.changesNothing) parts.push("export requested");
  else parts.push(`${plural(result.leadUpdateCount || 0, "lead")} updated`);
  const skipped = Array.isArray(result.errors) ? result.errors : [];
  if (skipped.length) {
    const shown = skipped.slice(0, 5).map((e) => `lead ${e.leadId} (${e.reason})`).join(", ");
    parts.push(`${plural(skipped.length, "lead")} skipped: ${shown}${skipped.length > 5 ? ", …" : ""}`);
  } else if (result.errorMessage) {
    parts.push(result.errorMessage);
  }
  if (result.newListId) parts.push(`new list ${result.newListId}`);
  return `${def.label}: ${parts.join("; ")}.`;
}

function afterAction(after) {
  if (after === "lead") {
    const match = /^#\/lead\/(\d+)$/.exec(location.hash);
    if (match) {
      showLead(Number(match[1]), { focus: false }).then(() => {
        const again = $("#lead-action-open");
        if (again) again.focus();
      });
    }
  } else {
    clearSelection();
    if (state.searched) runSearch();
  }
}

// -- bulk jobs -----------------------------------------------------------------------

function startJob(job, def, describe, after) {
  const api = state.api;
  const session = state.session;
  $("#jobs").hidden = false;
  const id = job.jobId;
  const titleId = `job-${id}-title`;
  const bar = h("progress", { max: "100", value: "0", "aria-labelledby": titleId, id: `job-${id}-bar` });
  const text = h("p", { class: "job-text", id: `job-${id}-text` });
  const percent = h("span", { class: "job-percent", "aria-hidden": "true" }, "0%");
  const dismiss = h("button", { type: "button", class: "link", hidden: true,
    onclick: () => { item.remove(); if (!$("#job-list").children.length) $("#jobs").hidden = true; } }, "Dismiss");
  const item = h("li", { class: "job", dataset: { jobId: id, status: job.status || "queued" } },
    h("p", { class: "job-title", id: titleId }, `${def.label} · ${describe} · job ${id}`),
    h("div", { class: "job-bar" }, bar, percent), text, dismiss);
  $("#job-list").prepend(item);
  announce(`${def.label}: running as bulk job ${id}; progress below.`);
  const update = (data) => {
    const total = Number(data.total) || 0;
    const processed = Number(data.processed) || 0;
    const done = data.status === "done" || data.status === "failed";
    const pct = total > 0 ? Math.floor((processed / total) * 100) : done ? 100 : 0;
    bar.value = pct;
    bar.setAttribute("aria-valuetext", `${pct}% (${processed} of ${total})`);
    percent.textContent = `${pct}%`;
    item.dataset.status = data.status || "running";
    text.textContent = `${data.status || "running"} · ${processed.toLocaleString()} of ${total.toLocaleString()} processed`;
    if (done && session === state.session) {
      const result = data.result || {};
      const summary = data.status === "failed"
        ? `${def.label} job failed: ${result.errorMessage || "see the server log"}`
        : resultMessage(def, { ...result, errors: data.errors });
      text.textContent = `${data.status} · ${processed.toLocaleString()} of ${total.toLocaleString()} processed · ${summary}`;
      dismiss.hidden = false;
      announce(summary, data.status === "failed" ? "error" : "success");
      afterAction(after);
    }
    return done;
  };
  if (update(job)) return;
  const poll = async () => {
    if (session !== state.session) return;
    try {
      const data = await api.job(id);
      if (session !== state.session) return;
      if (!update(data)) setTimeout(poll, JOB_POLL_MS);
    } catch (error) {
      item.dataset.status = "unknown";
      text.textContent = `Progress unavailable: ${describeError(error)}`;
      dismiss.hidden = false;
    }
  };
  setTimeout(poll, JOB_POLL_MS);
}

// -- one lead ------------------------------------------------------------------------

function definitionList(lead, fields, { skipEmpty = false } = {}) {
  const dl = h("dl", { class: "facts" });
  for (const [key, label] of fields) {
    const value = lead[key];
    if (skipEmpty && (value === null || value === undefined || value === "")) continue;
    dl.append(h("div", { dataset: { field: key } }, h("dt", {}, label), h("dd", {}, display(key, value))));
  }
  return dl;
}

function section(title, id, ...children) {
  return h("section", { class: "card", id, "aria-labelledby": `${id}-title` },
    h("h2", { id: `${id}-title` }, title), children);
}

function eventName(event) {
  const raw = String(event.type || event.eventType || event.topic || event.name || "event");
  const last = raw.split(/[.:]/).pop();
  return last || raw;
}

function eventTime(event) {
  return event.time || event.timestamp || event.at || event.recordedAt || null;
}

function eventVersion(event) {
  return event.version ?? event.originatorVersion ?? event.originator_version ?? null;
}

async function showLead(leadId, { focus = true } = {}) {
  showView("lead", { focus });
  $("#lead-title").textContent = `Lead ${leadId}`;
  const errorEl = $("#lead-error");
  errorEl.textContent = "";
  const body = clear($("#lead-body"));
  body.setAttribute("aria-busy", "true");
  const api = state.api;
  const audit = hasScope("audit:read");
  const [lead, calls, history] = await Promise.allSettled([
    api.lead(leadId),
    api.calls(leadId),
    audit ? api.history(leadId) : Promise.resolve(null),
  ]);
  body.removeAttribute("aria-busy");
  if (lead.status === "rejected") {
    const error = lead.reason;
    errorEl.textContent = error.status === 404
      ? `Lead ${leadId} is not in account ${api.account} (it may have been deleted).`
      : error.status === 403
        ? `This key may not read leads: ${error.message}.`
        : describeError(error);
  } else {
    const data = lead.value;
    $("#lead-title").textContent = `Lead ${leadId}${data.externId ? ` · ${data.externId}` : ""}`;
    const actions = leadActionPicker(data);
    body.append(
      section("Current state", "lead-state", definitionList(data, STATE_FIELDS), actions),
      section("Contact", "lead-contact", definitionList(data, CONTACT_FIELDS, { skipEmpty: true })),
    );
  }
  body.append(section("Calls", "lead-calls", renderCalls(calls)));
  const historySection = section("History", "lead-history", renderHistory(leadId, history, audit, lead.status === "fulfilled" ? lead.value : null));
  historySection.classList.add("wide");
  body.append(historySection);
}

function leadActionPicker(lead) {
  const select = h("select", { id: "lead-action" },
    ACTIONS.map((def) => {
      const scope = ACTION_SCOPES[def.name] || "leads:write";
      return h("option", { value: def.name, disabled: !hasScope(scope) }, hasScope(scope) ? def.label : `${def.label} (needs ${scope})`);
    }));
  const open = h("button", {
    type: "button", id: "lead-action-open",
    onclick: () => {
      const def = ACTION_BY_NAME[select.value];
      openActionDialog(def, { criteria: { leadIds: [lead.leadId] }, count: 1, allMatching: false, describe: () => `lead ${lead.leadId}` },
        { after: "lead", opener: open });
    },
  }, "Act on this lead…");
  return h("div", { class: "inline-form lead-actions" },
    h("div", { class: "field" }, h("label", { for: "lead-action" }, "Action"), select), open);
}

function renderCalls(settled) {
  if (settled.status === "rejected") {
    const error = settled.reason;
    if (error.status === 404) return h("p", { class: "muted", id: "calls-empty" }, "No calls.");
    if (error.status === 403) return h("p", { class: "muted" }, "This key may not read calls.");
    return h("p", { class: "error" }, describeError(error));
  }
  const calls = settled.value || [];
  if (!calls.length) return h("p", { class: "muted", id: "calls-empty" }, "No calls.");
  const cols = [["startTime", "Start"], ["uii", "UII"], ["agentId", "Agent"], ["systemDisposition", "System disposition"],
    ["agentDisposition", "Agent disposition"], ["talkTime", "Talk time (s)"], ["kind", "Kind"]];
  return h("table", { class: "compact" },
    h("thead", {}, h("tr", {}, cols.map(([, label]) => h("th", { scope: "col" }, label)))),
    h("tbody", {}, calls.map((call) => h("tr", {}, cols.map(([key]) =>
      h("td", {}, key === "startTime" ? timeEl(call[key]) : display(key, call[key])))))));
}

function renderHistory(leadId, settled, audit, current) {
  if (!audit) {
    return h("p", { class: "muted", id: "history-unavailable" },
      "History and as-of views need the scope audit:read, which this key lacks.");
  }
  if (settled.status === "rejected") {
    const error = settled.reason;
    const message = error.status === 403
      ? "History needs the scope audit:read."
      : error.status === 404
        ? `No history available (${error.endpoint} answered 404).`
        : describeError(error);
    return h("p", { class: error.status === 404 ? "muted" : "error", id: "history-unavailable" }, message);
  }
  const events = settled.value || [];
  const asOfPanel = h("div", { id: "as-of-panel", class: "as-of", "aria-live": "polite" });
  const asOfInput = h("input", { id: "as-of-time", type: "datetime-local", step: "1" });
  const asOfForm = h("form", { class: "inline-form", novalidate: true, onsubmit: (e) => {
    e.preventDefault();
    const iso = localToIso(asOfInput.value);
    if (!iso) { asOfPanel.replaceChildren(h("p", { class: "error" }, "Choose a time first.")); asOfInput.focus(); return; }
    showAsOf(leadId, iso, asOfPanel, current);
  } },
  h("div", { class: "field" }, h("label", { for: "as-of-time" }, "Show the lead as of"), asOfInput),
  h("button", { type: "submit" }, "Show"));
  const list = h("ol", { class: "timeline", id: "history-list" });
  events.forEach((event, index) => {
    const when = eventTime(event);
    const version = eventVersion(event);
    const data = event.data ?? event.payload ?? null;
    const meta = [];
    if (version !== null) meta.push(`version ${version}`);
    if (event.actor) meta.push(`by ${event.actor}`);
    const correlation = event.correlationId || event.correlation_id;
    if (correlation) meta.push(`correlation ${correlation}`);
    list.append(h("li", { class: "event", dataset: { version: version ?? index + 1, type: eventName(event) } },
      h("div", { class: "event-head" },
        h("strong", { class: "event-type" }, eventName(event)), " ", timeEl(when)),
      h("p", { class: "event-meta" }, meta.join(" · ")),
      data && Object.keys(data).length
        ? h("details", {}, h("summary", {}, "Event data"), h("pre", {}, JSON.stringify(data, null, 2)))
        : null,
      when ? h("button", { type: "button", class: "link", onclick: () => showAsOf(leadId, when, asOfPanel, current),
        "aria-label": `As of this event (version ${version ?? index + 1})` }, "As of this event") : null));
  });
  return h("div", { class: "history-grid" },
    h("div", {}, events.length ? list : h("p", { class: "muted" }, "No events.")),
    h("div", {}, asOfForm, asOfPanel));
}

async function showAsOf(leadId, iso, panel, current) {
  panel.replaceChildren(h("p", { class: "muted" }, "Loading…"));
  try {
    const past = await state.api.lead(leadId, { asOf: iso });
    const fields = [...STATE_FIELDS, ...CONTACT_FIELDS.slice(0, 6)].filter(([key]) => key !== "listDesc");
    const rows = fields.map(([key, label]) => {
      const changed = current && JSON.stringify(current[key] ?? null) !== JSON.stringify(past[key] ?? null);
      return h("tr", { class: changed ? "changed" : "", dataset: { field: key } },
        h("th", { scope: "row" }, label), h("td", {}, display(key, past[key])),
        h("td", {}, current ? display(key, current[key]) : "—"));
    });
    panel.replaceChildren(
      h("h3", { id: "as-of-title", tabindex: "-1" }, "As of ", timeEl(iso),
        past.version ? ` · version ${past.version}` : "", past.deleted ? " · deleted" : ""),
      h("table", { class: "compact as-of-table", "aria-labelledby": "as-of-title" },
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Field"), h("th", { scope: "col" }, "Then"), h("th", { scope: "col" }, "Now"))),
        h("tbody", {}, rows)));
    $("#as-of-title").focus();
  } catch (error) {
    const message = error.status === 403
      ? "The as-of view needs the scope audit:read."
      : error.status === 404 ? `The lead had no state at ${iso}.` : describeError(error);
    panel.replaceChildren(h("p", { class: "error" }, message));
  }
}

// -- dashboard -----------------------------------------------------------------------

function showDashboard() {
  showView("dashboard");
  const input = $("#dash-campaign");
  if (!input.value && state.criteria.campaignIds && state.criteria.campaignIds.length) {
    input.value = String(state.criteria.campaignIds[0]);
  }
  if (input.value && $("#dash-figure").hidden) loadDashboard();
}

/** Per-state counts out of the `/counts` answer, or null when its shape is unknown. */
function suppressedOf(data, campaignId) {
  const rows = Array.isArray(data) ? data : data && Array.isArray(data.counts) ? data.counts : null;
  if (rows) {
    if (!rows.some((row) => "suppressed" in row)) return null;
    return rows
      .filter((row) => row.suppressed === true && (row.campaignId === undefined || Number(row.campaignId) === campaignId))
      .reduce((sum, row) => sum + Number(row.count ?? 0), 0);
  }
  const n = data && (data.suppressed ?? data.suppressedCount);
  return typeof n === "number" ? n : null;
}

function countsByState(data, campaignId) {
  const rows = Array.isArray(data) ? data
    : data && Array.isArray(data.counts) ? data.counts
      : data && Array.isArray(data.rows) ? data.rows : null;
  const out = {};
  if (rows) {
    for (const row of rows) {
      if (row.campaignId !== undefined && Number(row.campaignId) !== campaignId) continue;
      const name = row.leadState || row.state;
      const n = Number(row.count ?? row.leads ?? row.n);
      if (!name || Number.isNaN(n)) return null;
      out[name] = (out[name] || 0) + n;
    }
    return out;
  }
  const map = data && (data.byState || data.states || data.leadStates);
  if (map && typeof map === "object" && !Array.isArray(map)) {
    for (const [name, n] of Object.entries(map)) out[name] = Number(n) || 0;
    return out;
  }
  return null;
}

async function computedCounts(campaignId) {
  const api = state.api;
  const out = {};
  const queue = [...LEAD_STATES];
  const worker = async () => {
    while (queue.length) {
      const name = queue.shift();
      out[name] = await api.count({ campaignIds: [campaignId], leadStates: [name] });
    }
  };
  await Promise.all(Array.from({ length: 6 }, worker));
  return out;
}

async function loadDashboard(event) {
  if (event) event.preventDefault();
  const input = $("#dash-campaign");
  const errorEl = $("#dash-error");
  errorEl.textContent = "";
  input.removeAttribute("aria-invalid");
  const raw = input.value.trim();
  if (!/^\d{1,10}$/.test(raw) || Number(raw) < 1) {
    errorEl.textContent = "Type a campaign id (a positive whole number).";
    input.setAttribute("aria-invalid", "true");
    input.focus();
    return;
  }
  const campaignId = Number(raw);
  $("#dash-figure").setAttribute("aria-busy", "true");
  let counts = null;
  let suppressed = null;
  let source;
  try {
    try {
      const data = await state.api.counts(campaignId);
      counts = countsByState(data, campaignId);
      suppressed = suppressedOf(data, campaignId);
      source = "From GET …/counts?campaignId=.";
    } catch (error) {
      if (!(error instanceof ApiError) || ![404, 405].includes(error.status)) throw error;
    }
    if (!counts) {
      counts = await computedCounts(campaignId);
      source = `Computed with ${LEAD_STATES.length + 1} count searches (the /counts endpoint is not available).`;
    }
    if (suppressed === null) {
      suppressed = await state.api.count({ campaignIds: [campaignId], suppressed: "ONLY_SUPPRESSED" });
    }
  } catch (error) {
    errorEl.textContent = describeError(error);
    $("#dash-figure").removeAttribute("aria-busy");
    return;
  }
  $("#dash-figure").removeAttribute("aria-busy");
  renderChart(campaignId, counts, suppressed, source);
}

/** The leads view, searching one campaign (and state): the dashboard's drill-down. */
function showLeadsOf(campaignId, leadState) {
  $("#criteria-form").reset();
  $("#c-campaignIds").value = String(campaignId);
  if (leadState) {
    const box = $$("#c-states input").find((input) => input.value === leadState);
    if (box) box.checked = true;
  }
  location.hash = "#/leads";
  state.criteria = readCriteria();
  state.page = 0;
  clearSelection();
  runSearch({ keepFocus: false });
}

function renderChart(campaignId, counts, suppressed, source) {
  const entries = LEAD_STATES.filter((s) => counts[s]).map((s) => [s, counts[s]]);
  for (const [name, n] of Object.entries(counts)) {
    if (!LEAD_STATES.includes(name) && n) entries.push([name, n]);
  }
  const total = entries.reduce((sum, [, n]) => sum + n, 0);
  const figure = $("#dash-figure");
  figure.hidden = false;
  figure.dataset.campaign = String(campaignId);
  $("#dash-caption").textContent = `Campaign ${campaignId}: ${plural(total, "lead")} by state`;
  $("#dash-suppressed").textContent = `Suppressed (not dialable whatever their state): ${(suppressed || 0).toLocaleString()}.`;
  $("#dash-source").textContent = source;
  const chart = clear($("#dash-chart"));
  const tbody = clear($("#dash-table tbody"));
  if (!entries.length) {
    chart.append(h("p", { class: "muted" }, "No leads in this campaign."));
    return;
  }
  const max = Math.max(...entries.map(([, n]) => n));
  const rowH = 30;
  const labelW = 170;
  const barW = 420;
  const width = labelW + barW + 80;
  const height = entries.length * rowH + 10;
  const summary = entries.map(([s, n]) => `${s} ${n}`).join(", ");
  const chartSvg = svg("svg", {
    viewBox: `0 0 ${width} ${height}`, width, height, role: "img", class: "bars",
    "aria-label": `Leads by state in campaign ${campaignId}: ${summary}`,
  });
  entries.forEach(([name, n], i) => {
    const y = i * rowH + 5;
    const w = Math.max(2, Math.round((n / max) * barW));
    const group = svg("g", { class: `bar state-${name.toLowerCase()}`, dataset: { state: name, count: n } },
      svg("title", {}, `${name}: ${n}`),
      svg("text", { x: labelW - 8, y: y + rowH / 2, "text-anchor": "end", "dominant-baseline": "middle", class: "label" }, name),
      svg("rect", { x: labelW, y: y + 4, width: w, height: rowH - 10, rx: 3 }),
      svg("text", { x: labelW + w + 6, y: y + rowH / 2, "dominant-baseline": "middle", class: "value" }, n.toLocaleString()));
    chartSvg.append(group);
    tbody.append(h("tr", {}, h("th", { scope: "row" }, name), h("td", {}, n.toLocaleString()),
      h("td", {}, h("button", { type: "button", class: "link", onclick: () => showLeadsOf(campaignId, name),
        "aria-label": `Show the ${name} leads of campaign ${campaignId}` }, "Show leads"))));
  });
  chart.append(chartSvg);
}

// -- wiring --------------------------------------------------------------------------

function wire() {
  buildStateChoices();
  $("#signin-form").addEventListener("submit", signIn);
  $("#account-form").addEventListener("submit", submitAccount);
  $("#account-id").addEventListener("input", () => {
    for (const radio of $$("input[name=account]")) radio.checked = false;
  });
  $("#sign-out").addEventListener("click", () => signOut("Signed out."));
  $("#switch-account").addEventListener("click", () => { location.hash = "#/account"; });
  $("#criteria-form").addEventListener("submit", submitCriteria);
  $("#criteria-form").addEventListener("reset", () => {
    $("#criteria-error").textContent = "";
    for (const el of $$("#criteria-form [aria-invalid]")) el.removeAttribute("aria-invalid");
  });
  $("#page-prev").addEventListener("click", () => changePage(-1));
  $("#page-next").addEventListener("click", () => changePage(1));
  $("#page-size").addEventListener("change", (e) => {
    state.pageSize = Number(e.target.value);
    state.page = 0;
    if (state.searched) runSearch();
  });
  $("#select-all-matching").addEventListener("click", selectAllMatching);
  $("#clear-selection").addEventListener("click", () => {
    clearSelection();
    syncRowBoxes();
    const pageBox = $("#select-page");
    if (pageBox) pageBox.focus();
  });
  const menuButton = $("#actions-button");
  menuButton.addEventListener("click", () => ($("#actions-menu").hidden ? openMenu() : closeMenu()));
  menuButton.addEventListener("keydown", (e) => {
    if (e.key === "ArrowDown") { e.preventDefault(); openMenu(); }
    if (e.key === "ArrowUp") { e.preventDefault(); openMenu(true); }
  });
  $("#actions-menu").addEventListener("keydown", menuKeydown);
  document.addEventListener("click", (e) => {
    if (!$("#actions-menu").hidden && !e.target.closest(".menu-wrap")) closeMenu(false);
  });
  $("#action-form").addEventListener("submit", submitActionForm);
  $("#action-form").addEventListener("input", updateFieldVisibility);
  $("#action-form").addEventListener("change", updateFieldVisibility);
  $("#action-back").addEventListener("click", () => { $("#action-error").textContent = ""; showParamsStep(); });
  $("#action-close").addEventListener("click", () => $("#action-dialog").close("close"));
  $("#action-dialog").addEventListener("close", () => {
    const opener = dialogState.opener;
    if (opener && document.contains(opener) && !opener.disabled) opener.focus();
    else if (dialogState.after === "results" && !$("#results").hidden) $("#results-title").focus();
  });
  $("#dash-form").addEventListener("submit", loadDashboard);
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
