// The leads view: criteria, results, paging, sorting and selection.

import { ACTIONS, ACTION_SCOPES } from "./actions.js";
import { openActionDialog } from "./dialog.js";
import { $, $$, clear, h, localToIso, plural } from "./dom.js";
import { LEAD_STATES, describeError, display, hasScope, state } from "./state.js";

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
export function readCriteria() {
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

/** Searches what the form now says from the first page, focus left where it is (the dashboard's drill-down). */
export function searchFormCriteria() {
  state.criteria = readCriteria();
  state.page = 0;
  clearSelection();
  runSearch({ keepFocus: false });
}

// -- results -------------------------------------------------------------------------

export function resetResults() {
  state.rows = [];
  state.total = 0;
  state.searched = false;
  state.criteria = {};
  state.page = 0;
  clearSelection();
  $("#results").hidden = true;
}

export async function runSearch({ keepFocus = true } = {}) {
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

export function clearSelection() {
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

/** What the results view does around an action taken from it. */
const AFTER_RESULTS = {
  started: () => clearSelection(),
  done: () => {
    clearSelection();
    if (state.searched) runSearch();
  },
  closed: () => {
    if (!$("#results").hidden) $("#results-title").focus();
  },
};

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
          openActionDialog(def, currentTarget(), { after: AFTER_RESULTS, opener: $("#actions-button") });
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

/** Connects the criteria form, paging, selection and the action menu (once, at start). */
export function wireSearch() {
  buildStateChoices();
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
}
