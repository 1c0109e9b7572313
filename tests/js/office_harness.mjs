// Runs xlwings Server's own custom-functions JavaScript, unmodified, as Excel's custom-functions runtime would:
// fetched from a live `xlfactor serve`, evaluated as a classic script, with a minimal mock of the Office runtime
// (Office.onReady, Excel.RequestContext, CustomFunctions.associate/Error) and of the bridges xlwings' task pane sets
// (config from the task pane's config element, xlwings.getCultureInfoName/getDateFormat, xwRequest over fetch).
//
// Usage: node office_harness.mjs BASE_URL < calls.json
// calls.json: [{"name": "CAPM_BETA", "args": [...]}]  (every declared parameter, null when omitted)
// Prints one JSON object: {registered: [...], results: [{value} | {error: {code, message}}], requests: n}
import vm from "node:vm";

const base = process.argv[2];
const calls = JSON.parse(await new Promise((resolve) => {
  let text = "";
  process.stdin.on("data", (chunk) => (text += chunk));
  process.stdin.on("end", () => resolve(text));
}));

// xlwings Server's client configuration, as the task pane embeds it (<script id="config">)
const taskpane = await (await fetch(`${base}/taskpane.html`)).text();
const configJson = taskpane.match(/<script[^>]*id="config"[^>]*>([\s\S]*?)<\/script>/);
globalThis.config = configJson ? JSON.parse(configJson[1]) : { onWasm: false, customFunctionsMaxRetries: 3,
  customFunctionsRetryCodes: [500, 502, 503, 504], requestTimeout: 300 };

const registry = {};
class CustomFunctionsError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}
globalThis.window = { location: { origin: base } };
globalThis.Office = {
  onReady(callback) {
    if (callback) callback({ host: "Excel" });
    return Promise.resolve({ host: "Excel" });
  },
  context: { requirements: { isSetSupported: () => true } },
};
globalThis.Excel = {
  RequestContext: class {
    constructor() {
      this.workbook = { name: "Book1.xlsx", load() {} };
    }
    async sync() {}
  },
};
globalThis.CustomFunctions = {
  associate(name, fn) {
    registry[name] = fn;
  },
  Error: CustomFunctionsError,
  ErrorCode: { invalidValue: "#VALUE!" },
};
globalThis.xlwings = { getCultureInfoName: async () => "en-US", getDateFormat: async () => "M/d/yyyy" };
let requests = 0;
async function xhrLike(method, url, { headers = {}, body, timeout } = {}) {
  requests++;
  const clean = Object.fromEntries(Object.entries(headers).filter(([, v]) => v != null));
  const res = await fetch(url, { method, headers: clean, body: body != null ? JSON.stringify(body) : undefined,
    signal: timeout ? AbortSignal.timeout(timeout) : undefined });
  let data = await res.text();
  if ((res.headers.get("content-type") || "").includes("application/json") && data) {
    try {
      data = JSON.parse(data);
    } catch {}
  }
  const response = { data, status: res.status, statusText: res.statusText };
  if (res.status >= 200 && res.status < 300) return response;
  const error = new Error(`Request failed with status ${res.status}`);
  error.response = response;
  throw error;
}
globalThis.xwRequest = {
  get: (url, opts) => xhrLike("GET", url, opts),
  post: (url, body, opts) => xhrLike("POST", url, { ...opts, body }),
};

const code = await (await fetch(`${base}/xlwings/custom-functions-code`)).text();
vm.runInThisContext(code, { filename: "custom-functions-code.js" });

const results = [];
for (const call of calls) {
  const before = requests;
  const invocation = { address: "Sheet1!B2", setResult() {} };
  try {
    const value = await registry[call.name](...call.args, invocation);
    results.push({ value, requests: requests - before });
  } catch (error) {
    results.push({ error: { code: error.code, message: error.message }, requests: requests - before });
  }
}
console.log(JSON.stringify({ registered: Object.keys(registry), results, requests }));
