// The action dialog (parameters, then confirmation) and the bulk jobs it starts.

import { hasSelector, validateParams } from "./actions.js";
import { $, $$, clear, h, localToIso, plural } from "./dom.js";
import { announce, describeError, state } from "./state.js";

const JOB_POLL_MS = 500;

// -- action dialog -------------------------------------------------------------------

const NO_HOOKS = { started() {}, done() {}, closed() {} };

const dialogState = { def: null, target: null, step: "params", paramMap: {}, busy: false, after: NO_HOOKS, opener: null, count: 0 };

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

/**
 * Opens the dialog for `def` over `target`. `after` is what the caller's view does next:
 * `started()` once a bulk job is accepted, `done()` once the change is visible, and
 * `closed()` when the dialog closes with no opener left to take the focus back.
 */
export function openActionDialog(def, target, { after = NO_HOOKS, opener = null } = {}) {
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
      after.started();
      startJob(job, def, target.describe(dialogState.count), after);
    } else {
      const result = response.data || {};
      announce(resultMessage(def, result), "success");
      after.done();
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
      after.done();
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

/** Connects the dialog's form and buttons (once, at start). */
export function wireDialog() {
  $("#action-form").addEventListener("submit", submitActionForm);
  $("#action-form").addEventListener("input", updateFieldVisibility);
  $("#action-form").addEventListener("change", updateFieldVisibility);
  $("#action-back").addEventListener("click", () => { $("#action-error").textContent = ""; showParamsStep(); });
  $("#action-close").addEventListener("click", () => $("#action-dialog").close("close"));
  $("#action-dialog").addEventListener("close", () => {
    const opener = dialogState.opener;
    if (opener && document.contains(opener) && !opener.disabled) opener.focus();
    else dialogState.after.closed();
  });
}
