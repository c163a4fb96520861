// The dashboard: one campaign's leads by state, with a drill-down to the leads view.

import { ApiError } from "./api.js";
import { $, $$, clear, h, plural, svg } from "./dom.js";
import { LEAD_STATES, describeError, showView, state } from "./state.js";

/** Runs the leads view's search of what its form says; given by `wireDashboard`. */
let searchLeads = () => {};

// -- dashboard -----------------------------------------------------------------------

export function showDashboard() {
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
  searchLeads();
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

/**
 * Connects the dashboard's form (once, at start).
 * @param {{searchLeads: function(): void}} hooks how to search what the leads view's form says
 */
export function wireDashboard({ searchLeads: search }) {
  searchLeads = search;
  $("#dash-form").addEventListener("submit", loadDashboard);
}
