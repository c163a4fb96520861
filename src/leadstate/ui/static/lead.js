// One lead: its state, contact, calls, history and as-of view.

import { ACTIONS, ACTION_BY_NAME, ACTION_SCOPES } from "./actions.js";
import { openActionDialog } from "./dialog.js";
import { $, clear, h, localToIso, timeEl } from "./dom.js";
import { describeError, display, hasScope, showView, state } from "./state.js";

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

export async function showLead(leadId, { focus = true } = {}) {
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

/** What the lead view does around an action taken from it: show the open lead again. */
const AFTER_LEAD = {
  started() {},
  done() {
    const match = /^#\/lead\/(\d+)$/.exec(location.hash);
    if (match) {
      showLead(Number(match[1]), { focus: false }).then(() => {
        const again = $("#lead-action-open");
        if (again) again.focus();
      });
    }
  },
  closed() {},
};

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
        { after: AFTER_LEAD, opener: open });
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

