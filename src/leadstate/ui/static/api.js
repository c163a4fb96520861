// The HTTP API as the page uses it: one small client, errors as ApiError.
//
// Every request carries the API key as a bearer token; the key lives in sessionStorage
// (this tab only) and is sent to this origin alone (the page's CSP allows no other).

export const API_ROOT = "/voice/api/v1/admin/accounts";

export class ApiError extends Error {
  /**
   * @param {number} status HTTP status (0 when the server could not be reached)
   * @param {string} code the error code of `{"error": {"code", "message"}}`
   * @param {string} message the server's message, as the user should read it
   * @param {string} endpoint method and path template, e.g. "GET .../jobs/{jobId}"
   */
  constructor(status, code, message, endpoint) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.endpoint = endpoint;
  }
}

function query(params) {
  const parts = [];
  for (const [name, value] of Object.entries(params || {})) {
    if (value === undefined || value === null || value === "") continue;
    parts.push(`${encodeURIComponent(name)}=${encodeURIComponent(String(value))}`);
  }
  return parts.length ? `?${parts.join("&")}` : "";
}

export class Api {
  /** @param {string} key the bearer token; @param {string|null} account the account id */
  constructor(key, account = null) {
    this.key = key;
    this.account = account;
    /** Called with the ApiError of any 401, so the page can ask for a key again. */
    this.onUnauthorized = null;
  }

  withAccount(account) {
    const api = new Api(this.key, String(account));
    api.onUnauthorized = this.onUnauthorized;
    return api;
  }

  get base() {
    return `${API_ROOT}/${encodeURIComponent(this.account)}`;
  }

  /**
   * One request; resolves to {status, data, headers} for 2xx, throws ApiError otherwise.
   * `endpoint` names the route in messages ("GET .../jobs/{jobId}").
   */
  async request(method, path, { body, params, endpoint } = {}) {
    const url = path + query(params);
    const headers = { Authorization: `Bearer ${this.key}`, Accept: "application/json" };
    const init = { method, headers, credentials: "omit", cache: "no-store" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const name = endpoint || `${method} ${path}`;
    let response;
    try {
      response = await fetch(url, init);
    } catch (error) {
      throw new ApiError(0, "network", `The server could not be reached (${error.message}).`, name);
    }
    let data = null;
    const text = await response.text();
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = text;
      }
    }
    if (!response.ok) {
      const detail = data && typeof data === "object" && data.error ? data.error : {};
      const message = detail.message || response.statusText || `HTTP ${response.status}`;
      const error = new ApiError(response.status, detail.code || "", message, name);
      if (response.status === 401 && this.onUnauthorized) this.onUnauthorized(error);
      throw error;
    }
    return { status: response.status, data, headers: response.headers };
  }

  async me() {
    return (await this.request("GET", "/me", { endpoint: "GET /me" })).data;
  }

  async search(criteria, { page = 0, maxRows = 50, sort = "" } = {}) {
    const result = await this.request("POST", `${this.base}/campaignLeads/leadSearch`, {
      body: criteria,
      params: { page, maxRows, sort },
      endpoint: "POST .../campaignLeads/leadSearch",
    });
    return Array.isArray(result.data) ? result.data : [];
  }

  async count(criteria) {
    const result = await this.request("POST", `${this.base}/campaignLeads/leadSearch`, {
      body: criteria,
      params: { count: "true" },
      endpoint: "POST .../campaignLeads/leadSearch?count=true",
    });
    return Number(result.data && result.data.count) || 0;
  }

  /** An action: {status: 200, data: LeadActionResult} or {status: 202, data: job}. */
  async action(leadAction, paramMap, criteria) {
    const body = { campaignLeadSearchCriteria: criteria };
    if (paramMap && Object.keys(paramMap).length) body.leadActionParams = { paramMap };
    return this.request("PUT", `${this.base}/campaignLeads/actions`, {
      body,
      params: { leadAction },
      endpoint: `PUT .../campaignLeads/actions?leadAction=${leadAction}`,
    });
  }

  async job(jobId) {
    const path = `${this.base}/jobs/${encodeURIComponent(jobId)}`;
    return (await this.request("GET", path, { endpoint: "GET .../jobs/{jobId}" })).data;
  }

  async lead(leadId, { asOf, version } = {}) {
    const path = `${this.base}/campaignLeads/${encodeURIComponent(leadId)}`;
    const endpoint = asOf
      ? "GET .../campaignLeads/{leadId}?asOf="
      : version ? "GET .../campaignLeads/{leadId}?version=" : "GET .../campaignLeads/{leadId}";
    return (await this.request("GET", path, { params: { asOf, version }, endpoint })).data;
  }

  async history(leadId) {
    const path = `${this.base}/campaignLeads/${encodeURIComponent(leadId)}/history`;
    const data = (await this.request("GET", path, {
      endpoint: "GET .../campaignLeads/{leadId}/history",
    })).data;
    if (Array.isArray(data)) return data;
    if (data && Array.isArray(data.events)) return data.events;
    return [];
  }

  async calls(leadId) {
    const data = (await this.request("GET", `${this.base}/calls`, {
      params: { leadId },
      endpoint: "GET .../calls?leadId=",
    })).data;
    if (Array.isArray(data)) return data;
    if (data && Array.isArray(data.calls)) return data.calls;
    return [];
  }

  async counts(campaignId) {
    return (await this.request("GET", `${this.base}/counts`, {
      params: { campaignId },
      endpoint: "GET .../counts?campaignId=",
    })).data;
  }

  async leadStates() {
    return (await this.request("GET", `${this.base}/campaignLeads/leadStates`, {
      endpoint: "GET .../campaignLeads/leadStates",
    })).data;
  }
}
