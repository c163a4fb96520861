// The twelve lead actions, their params and the rules the API checks them by.
//
// `validateParams` mirrors `leadstate.domain.params.parse_params` (SPEC §2 param table):
// the same keys, types, ranges and requirements, so the dialog refuses what the server
// would refuse (tests/e2e/test_ui_browser.py runs both over one table of cases). The
// server still has the last word: its 400 message is shown when it refuses anyway.

const INT32_MAX = 2147483647;
const EMAIL = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/;
const INT_TEXT = /^\s*-?\d{1,10}\s*$/;
const ISO_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2})(?::(\d{2})(?::(\d{2})(?:[.,]\d{1,6})?)?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

/** Scope each action needs (SPEC §6): leads:write unless listed. */
export const ACTION_SCOPES = { DELETE_LEADS: "leads:delete", EMAIL_LEADS: "leads:export" };

/**
 * Field kinds: text, int, bool, choice, datetime, emails. `showIf(values)` hides a field
 * that does not apply (a hidden field is not sent).
 */
export const ACTIONS = [
  {
    name: "RESET_LEADS",
    label: "Reset",
    description: "State READY, passes 0, next dial now; callback state cleared; reservation kept.",
    fields: [],
  },
  {
    name: "READY_LEADS",
    label: "Ready",
    description: "State READY; passes, next dial time and reservation unchanged.",
    fields: [],
  },
  {
    name: "CANCEL_LEADS",
    label: "Cancel",
    description: "State CANCELLED: the leads are not dialled.",
    warning:
      "Cancelling cannot be undone: the leads' previous state is forgotten and no action " +
      "restores it (only an action that sets a new state, such as Reset, moves them on).",
    fields: [],
  },
  {
    name: "PAUSE_LEADS",
    label: "Pause",
    description: "State PAUSED: exactly as Cancel, with state PAUSED.",
    warning:
      "Pausing cannot be undone: the leads' previous state is forgotten and no action " +
      "restores it (only an action that sets a new state, such as Ready, moves them on).",
    fields: [],
  },
  {
    name: "SUPPRESS_LEADS",
    label: "Suppress",
    description: "Suppressed: not dialable until unsuppressed; nothing else changes.",
    fields: [],
  },
  {
    name: "UNSUPPRESS_LEADS",
    label: "Unsuppress",
    description: "No longer suppressed: the leads show whatever state they have.",
    fields: [],
  },
  {
    name: "DELETE_LEADS",
    label: "Delete",
    description: "The leads leave the system and their personal data is destroyed.",
    warning:
      "Deleting cannot be undone: the leads and their contact data are gone for good " +
      "(call records and do-not-call entries stay).",
    fields: [],
  },
  {
    name: "MANUAL_LEADS",
    label: "Manual pass",
    description: "One manual pass: passes +1 with your disposition; then do-not-call, requeue or complete.",
    fields: [
      { key: "PASS_DISPOSITION", label: "Pass disposition", kind: "text", required: true },
      { key: "REQUEUE", label: "Requeue (back to READY after the delay)", kind: "bool" },
      { key: "PASS_DELAY", label: "Requeue delay (minutes)", kind: "int", min: 0,
        help: "Default 0.", showIf: (v) => v.REQUEUE === true },
      { key: "DO_NOT_CALL", label: "Do not call (the phone joins the DNC list)", kind: "bool" },
      { key: "MERGE_ORIGINAL", label: "Also on the original of a copy", kind: "bool" },
    ],
  },
  {
    name: "MOVE_TO_CAMPAIGN",
    label: "Move to campaign",
    description: "Move (or copy) the leads to another campaign and list.",
    fields: [
      { key: "CAMPAIGN_ID", label: "Target campaign id", kind: "int", min: 1, required: true },
      { key: "LIST_ID", label: "Target list id", kind: "int", min: 0, required: true,
        help: "0 creates a new list: name it in the field that appears." },
      { key: "LIST_NAME", label: "New list name", kind: "text",
        help: "Required when the list id is 0.",
        showIf: (v) => String(v.LIST_ID ?? "").trim() === "0" },
      { key: "CREATE_COPY_SETTING", label: "Move or copy", kind: "choice", initial: "false",
        options: [["false", "Move the leads"], ["true", "Copy (originals untouched)"],
                  ["TRANSITION", "Copy, originals become TRANSITIONED"]] },
      { key: "DUPLICATE_ACTION_SETTING", label: "Phone already in the target campaign",
        kind: "choice", initial: "MOVE",
        options: [["MOVE", "Move anyway"], ["IGNORE", "Skip the lead"]] },
    ],
  },
  {
    name: "CALLBACK_LEADS",
    label: "Callback",
    description: "Schedule, reserve, cancel or reset callbacks.",
    fields: [
      { key: "ACTION_TYPE", label: "Callback type", kind: "choice", required: true, initial: "SET",
        options: [["SET", "Set a callback (state CALLBACK)"],
                  ["AGENT", "Agent callback (reserved for one agent)"],
                  ["CANCEL", "Cancel callbacks"], ["RESET", "Reset callbacks to READY"]] },
      { key: "RESERVATION_AGENT_ID", label: "Agent id", kind: "int", min: 1,
        showIf: (v) => v.ACTION_TYPE === "AGENT" },
      { key: "CALLBACK_DATE", label: "Callback time", kind: "datetime",
        help: "Your local time; a past time is due now.",
        showIf: (v) => v.ACTION_TYPE === "SET" || v.ACTION_TYPE === "AGENT" },
    ],
  },
  {
    name: "AGENT_RESERVATION",
    label: "Agent reservation",
    description: "Reserve the leads for one agent (0 clears the reservation); state untouched.",
    fields: [
      { key: "RESERVATION_AGENT_ID", label: "Agent id", kind: "int", min: 0, required: true,
        help: "0 clears the reservation." },
    ],
  },
  {
    name: "EMAIL_LEADS",
    label: "Email leads",
    description: "No lead changes: an export of the leads is mailed to the recipients.",
    fields: [
      { key: "EMAIL_TO", label: "Recipients", kind: "emails", required: true,
        help: "Email addresses, separated by commas." },
    ],
    changesNothing: true,
  },
];

export const ACTION_BY_NAME = Object.fromEntries(ACTIONS.map((a) => [a.name, a]));

/** Keys each action accepts (the server's allowed list, in its order). */
export const ALLOWED = {
  ...Object.fromEntries(ACTIONS.map((a) => [a.name, a.fields.map((f) => f.key)])),
  MANUAL_LEADS: ["PASS_DISPOSITION", "REQUEUE", "DO_NOT_CALL", "MERGE_ORIGINAL", "PASS_DELAY"],
  DIALER_REFRESH: ["force_dialer_cache_refresh"],
};

class ParamError extends Error {
  constructor(key, message) {
    super(message);
    this.key = key;
  }
}

/** A value as the server's messages show it (Python's repr). */
function repr(value) {
  if (typeof value === "string") return `'${value}'`;
  if (typeof value === "boolean") return value ? "True" : "False";
  if (value === null || value === undefined) return "None";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function asBool(key, value) {
  if (typeof value === "boolean") return value;
  if (typeof value === "string" && ["true", "false"].includes(value.trim().toLowerCase())) {
    return value.trim().toLowerCase() === "true";
  }
  throw new ParamError(key, `${key} must be true or false, got ${repr(value)}`);
}

function asInt(key, value, min) {
  let number;
  if (typeof value === "number" && Number.isInteger(value)) number = value;
  else if (typeof value === "string" && INT_TEXT.test(value)) number = parseInt(value.trim(), 10);
  else throw new ParamError(key, `${key} must be a whole number, got ${repr(value)}`);
  if (number < min || number > INT32_MAX) {
    throw new ParamError(key, `${key} must be between ${min} and ${INT32_MAX}, got ${number}`);
  }
  return number;
}

function asStr(key, value) {
  if (typeof value === "string") return value.trim();
  if (typeof value === "number" && Number.isInteger(value)) return String(value);
  throw new ParamError(key, `${key} must be a string, got ${repr(value)}`);
}

function asChoice(key, value, allowed) {
  let text = null;
  if (typeof value === "boolean") text = value ? "true" : "false";
  else if (typeof value === "string") text = value.trim();
  const found = text === null ? undefined
    : allowed.find((option) => option.toUpperCase() === text.toUpperCase());
  if (found === undefined) {
    throw new ParamError(key, `${key} must be one of ${allowed.join(", ")}, got ${repr(value)}`);
  }
  return found;
}

/** True when `text` is an ISO-8601 time the server's parser takes. */
export function isIsoTime(text) {
  if (typeof text !== "string") return false;
  const m = ISO_TIME.exec(text.trim());
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12 || year < 1) return false;
  const days = new Date(Date.UTC(2000, month, 0)).getUTCDate(); // leap-year max for Feb
  const realDays = month === 2 ? new Date(Date.UTC(year, 2, 0)).getUTCDate() : days;
  if (day < 1 || day > realDays) return false;
  if (m[4] !== undefined && Number(m[4]) > 23) return false;
  if (m[5] !== undefined && Number(m[5]) > 59) return false;
  if (m[6] !== undefined && Number(m[6]) > 59) return false;
  if (m[7] && !/^[Zz]$/.test(m[7])) {
    const digits = m[7].replace(":", "");
    if (Number(digits.slice(1, 3)) > 23 || (digits.length > 3 && Number(digits.slice(3, 5)) > 59)) {
      return false;
    }
  }
  return true;
}

/**
 * Check a param map as the server does. Returns {ok, errors: [{key, message}]}; the
 * first error is the one the server would name (it stops at the first problem too).
 */
export function validateParams(action, paramMap) {
  const raw = { ...(paramMap || {}) };
  const errors = [];
  const allowed = ALLOWED[action];
  if (!allowed) {
    const names = [...Object.keys(ALLOWED)].join(", ");
    return { ok: false, errors: [{ key: null, message: `unknown leadAction '${action}'; allowed: ${names}` }] };
  }
  const unknown = Object.keys(raw).filter((k) => !allowed.includes(k)).sort();
  if (unknown.length) {
    const names = allowed.length ? allowed.join(", ") : "none";
    return {
      ok: false,
      errors: [{ key: unknown[0], message: `unknown parameter(s) ${unknown.join(", ")} for ${action}; allowed: ${names}` }],
    };
  }
  const present = (key) => key in raw;
  const need = (key) => {
    if (!present(key) || raw[key] === null || raw[key] === undefined || raw[key] === "") {
      throw new ParamError(key, `${action} requires parameter ${key}`);
    }
    return raw[key];
  };
  // Collect one error per field where the server's order allows going on.
  const check = (fn) => {
    try {
      return fn();
    } catch (error) {
      if (!(error instanceof ParamError)) throw error;
      errors.push({ key: error.key, message: error.message });
      return undefined;
    }
  };

  if (action === "MANUAL_LEADS") {
    check(() => {
      if (!asStr("PASS_DISPOSITION", need("PASS_DISPOSITION"))) {
        throw new ParamError("PASS_DISPOSITION", "PASS_DISPOSITION must not be empty");
      }
    });
    for (const key of ["REQUEUE", "DO_NOT_CALL", "MERGE_ORIGINAL"]) {
      if (present(key)) check(() => asBool(key, raw[key]));
    }
    if (present("PASS_DELAY")) check(() => asInt("PASS_DELAY", raw.PASS_DELAY, 0));
  } else if (action === "MOVE_TO_CAMPAIGN") {
    check(() => asInt("CAMPAIGN_ID", need("CAMPAIGN_ID"), 1));
    const listId = check(() => asInt("LIST_ID", need("LIST_ID"), 0));
    if (listId === 0) {
      check(() => {
        if (!asStr("LIST_NAME", need("LIST_NAME"))) {
          throw new ParamError("LIST_NAME", "LIST_NAME must not be empty when LIST_ID is 0");
        }
      });
    } else if (listId !== undefined && present("LIST_NAME")) {
      check(() => asStr("LIST_NAME", raw.LIST_NAME));
    }
    if (present("CREATE_COPY_SETTING")) {
      check(() => asChoice("CREATE_COPY_SETTING", raw.CREATE_COPY_SETTING, ["false", "true", "TRANSITION"]));
    }
    if (present("DUPLICATE_ACTION_SETTING")) {
      check(() => asChoice("DUPLICATE_ACTION_SETTING", raw.DUPLICATE_ACTION_SETTING, ["MOVE", "IGNORE"]));
    }
  } else if (action === "CALLBACK_LEADS") {
    const kind = check(() => asChoice("ACTION_TYPE", need("ACTION_TYPE"), ["AGENT", "SET", "CANCEL", "RESET"]));
    if (kind !== undefined) {
      if (kind === "AGENT") {
        check(() => asInt("RESERVATION_AGENT_ID", need("RESERVATION_AGENT_ID"), 1));
      } else if (present("RESERVATION_AGENT_ID")) {
        check(() => asInt("RESERVATION_AGENT_ID", raw.RESERVATION_AGENT_ID, 1));
      }
      if (kind === "SET") check(() => need("CALLBACK_DATE"));
      const date = raw.CALLBACK_DATE;
      if (date !== undefined && date !== null && date !== "") {
        check(() => {
          if (!isIsoTime(date)) {
            throw new ParamError(
              "CALLBACK_DATE",
              `CALLBACK_DATE: not an ISO-8601 time: ${repr(date)} (example: 2026-01-31T09:30:00Z)`,
            );
          }
        });
      }
    }
  } else if (action === "AGENT_RESERVATION") {
    check(() => asInt("RESERVATION_AGENT_ID", need("RESERVATION_AGENT_ID"), 0));
  } else if (action === "EMAIL_LEADS") {
    check(() => {
      const text = asStr("EMAIL_TO", need("EMAIL_TO"));
      const addresses = text.split(",").map((a) => a.trim());
      if (!addresses.every(Boolean)) {
        throw new ParamError("EMAIL_TO",
          "EMAIL_TO holds an empty address (a stray comma?): give comma-separated addresses, each one valid");
      }
      const bad = addresses.filter((a) => !EMAIL.test(a));
      if (bad.length) {
        throw new ParamError("EMAIL_TO", `EMAIL_TO holds invalid address(es): ${bad.join(", ")}`);
      }
    });
  } else if (action === "DIALER_REFRESH" && present("force_dialer_cache_refresh")) {
    check(() => asBool("force_dialer_cache_refresh", raw.force_dialer_cache_refresh));
  }
  return { ok: errors.length === 0, errors };
}

/** Does the criteria body select anything an action may act on (SPEC §3)? */
export function hasSelector(criteria) {
  for (const [name, value] of Object.entries(criteria || {})) {
    if (name === "suppressed") continue;
    if (value === null || value === undefined || value === false || value === "") continue;
    if (Array.isArray(value) && value.length === 0) continue;
    return true;
  }
  return false;
}
