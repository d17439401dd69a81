// Screening page (leie til eie): upload a tenant register and a price table (POST /v1/screenings, multipart →
// 202 + Location), follow the progress, then show the kommune summary, the row errors and the ranked list
// (GET …/results.json). The list holds personal data: it is fetched with the caseworker's key and never stored.

import {
  ApiError, api, clearErrors, el, initPage, inputNumber, kr, num, pct, setBusy, showProblem,
} from "./app.js";
import * as i18n from "./i18n.js";
import { t } from "./i18n.js";
import { chart } from "./plots.js";

const ROLE = "caseworker";
const POLL_MS = 500;
const LIST_FIRST = 25;

const form = document.getElementById("upload-form");
const progressBox = document.getElementById("progress-box");
const progressBar = document.getElementById("progress");
const progressText = document.getElementById("progress-text");
const results = document.getElementById("results");
const body = document.getElementById("results-body");
let current = null; // {location, job, list}
let showAll = false;

/** The multipart form the page sends (exported for the browser tests, as plain entries). */
export function formData() {
  const data = new FormData();
  const register = document.getElementById("register").files[0];
  if (register) data.append("register", register, register.name);
  const prices = document.getElementById("prices").files[0];
  if (prices) data.append("prices", prices, prices.name);
  const date = document.getElementById("screening-date").value;
  if (date) data.append("screening_date", date);
  data.append("count_bostotte", document.getElementById("count-bostotte").checked ? "true" : "false");
  const share = inputNumber(document.getElementById("max-grant-share"));
  if (share !== undefined) data.append("max_grant_share", String(typeof share === "number" ? share / 100 : share));
  const maxGrant = inputNumber(document.getElementById("max-grant"));
  if (maxGrant !== undefined) data.append("max_grant", String(maxGrant));
  const costs = inputNumber(document.getElementById("purchase-costs"));
  if (costs !== undefined) data.append("purchase_costs_percent", String(costs));
  return data;
}

function showProgress(job) {
  progressBar.max = Math.max(job.progress.total, 1);
  progressBar.value = job.progress.done;
  const percent = job.progress.total ? (100 * job.progress.done) / job.progress.total : 0;
  progressText.textContent = `${t(`fin.status.${job.status}`)} – ${pct(percent, 0)}`;
  progressText.dataset.status = job.status;
}

async function start(ev) {
  ev.preventDefault();
  clearErrors(document);
  const button = document.getElementById("start");
  setBusy(button, true);
  results.hidden = true;
  showAll = false;
  try {
    if (!document.getElementById("register").files.length) {
      const message = t("scr.need_register");
      throw new ApiError(0, { detail: message, errors: [{ field: "register", rule: "required", message }] });
    }
    const { body: job, headers } = await api("/v1/screenings", { role: ROLE, form: formData() });
    current = { location: headers.get("Location") || `/v1/screenings/${job.id}`, job, list: null };
    progressBox.hidden = false;
    showProgress(job);
    await poll();
  } catch (error) {
    showProblem(form, error);
  } finally {
    setBusy(button, false);
  }
}

async function poll() {
  for (;;) {
    const { body: job } = await api(current.location, { role: ROLE });
    current.job = job;
    showProgress(job);
    if (job.status === "succeeded") {
      const { body: list } = await api(job.results?.json || `${current.location}/results.json`, { role: ROLE });
      current.list = list.households;
      render();
      results.hidden = false;
      document.getElementById("results-h").focus();
      return;
    }
    if (job.status === "failed" || job.status === "cancelled") {
      progressText.textContent = `${t(`fin.status.${job.status}`)}${job.error ? `: ${job.error}` : ""}`;
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

async function download(kind) {
  const url = current.job.results?.[kind];
  if (!url) return;
  try {
    const response = await fetch(url, { headers: { "X-API-Key": sessionStorage.getItem(`loan_engine.key.${ROLE}`) } });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const blob = await response.blob();
    const link = el("a", { href: URL.createObjectURL(blob), download: `screening-${current.job.id}.${kind}` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  } catch (error) {
    showProblem(form, error);
  }
}

// ----- Rendering --------------------------------------------------------------------------------------------

function figureCard(id, term, value, shown) {
  return el("div", {}, el("dt", {}, term), el("dd", { id, "data-value": value }, shown));
}

function errorsTable(id, title, report) {
  if (!report || !report.error_count) return el("p", { id: `${id}-none` }, t("scr.r.no_errors", { title }));
  return el("div", { class: "table-scroll", tabindex: "0", role: "region", "aria-labelledby": `${id}-caption` },
    el("table", { id },
      el("caption", { id: `${id}-caption` }, t("scr.r.errors_caption", {
        title, shown: num(report.errors_shown), total: num(report.error_count) })),
      el("thead", {}, el("tr", {}, [t("scr.r.row"), t("scr.r.column"), t("scr.r.rule"), t("scr.r.message")]
        .map((h) => el("th", { scope: "col", class: "text" }, h)))),
      el("tbody", {}, report.errors.map((e) => el("tr", { "data-row": e.row, "data-column": e.column ?? "",
        "data-rule": e.rule },
      el("th", { scope: "row" }, String(e.row)),
      el("td", { class: "text" }, e.column ?? ""),
      el("td", { class: "text" }, e.rule),
      el("td", { class: "text" }, e.message))))));
}

function solutionName(name) {
  return t(`scr.solution.${name}`);
}

function renderList() {
  const list = current.list || [];
  const rows = showAll ? list : list.slice(0, LIST_FIRST);
  const headers = [
    ["rank", t("scr.r.rank")], ["household_id", t("scr.r.household")], ["area", t("scr.r.area")],
    ["household_size", t("scr.r.size")], ["price", t("scr.r.price")], ["startlan", t("scr.r.startlan")],
    ["grant_needed", t("scr.r.grant")], ["solution", t("scr.r.solution")],
    ["monthly_cost_owning", t("scr.r.cost_owning")], ["rent_today", t("scr.r.rent")],
    ["contract_end", t("scr.r.contract_end")],
  ];
  const money = new Set(["price", "startlan", "grant_needed", "monthly_cost_owning", "rent_today"]);
  const cell = (h, key) => {
    const v = h[key];
    if (money.has(key)) return el("td", { "data-value": v ?? "" }, v === null || v === undefined ? "–" : kr(v));
    if (key === "solution") return el("td", { class: "text", "data-value": v ?? "" }, solutionName(v ?? "none"));
    if (key === "contract_end") {
      // A date people read (01.03.2026), kept on one line; the ISO date stays in data-value.
      return el("td", { class: "text nowrap", "data-value": v || "" }, v ? new Date(`${v}T12:00:00`)
        .toLocaleDateString(i18n.locale(), { day: "2-digit", month: "2-digit", year: "numeric" }) : t("scr.r.open_ended"));
    }
    if (key === "area" || key === "household_id") return el("td", { class: "text" }, v);
    return el("td", { "data-value": v }, String(v));
  };
  const table = el("table", { id: "ranked-table" },
    el("caption", { id: "ranked-caption" }, t("scr.r.list_caption", { shown: num(rows.length), total: num(list.length) })),
    el("thead", {}, el("tr", {}, headers.map(([key, label]) => el("th", { scope: "col",
      class: ["household_id", "area", "solution", "contract_end"].includes(key) ? "text" : null }, label)))),
    el("tbody", {}, rows.map((h) => el("tr", { "data-household": h.household_id, "data-rank": h.rank },
      el("th", { scope: "row" }, String(h.rank)),
      headers.slice(1).map(([key]) => cell(h, key))))));
  const toggle = list.length > LIST_FIRST
    ? el("button", { type: "button", class: "secondary", id: "toggle-list", "aria-controls": "ranked-table" },
      showAll ? t("scr.r.show_first", { n: LIST_FIRST }) : t("scr.r.show_all", { n: num(list.length) }))
    : null;
  toggle?.addEventListener("click", () => {
    showAll = !showAll;
    document.getElementById("ranked-host").replaceChildren(...renderList());
    document.getElementById("toggle-list")?.focus();
  });
  return [el("div", { class: "table-scroll", tabindex: "0", role: "region", "aria-labelledby": "ranked-caption" },
    table), toggle ? el("div", { class: "actions" }, toggle) : null].filter(Boolean);
}

function render() {
  if (!current || !current.job.summary) return;
  const job = current.job;
  const s = job.summary;
  const source = job.source || {};
  const byArea = s.by_area || [];
  const solutions = Object.entries(s.by_solution || {});
  const areaHost = el("div");
  const solutionHost = el("div");
  const csvButton = el("button", { type: "button", class: "secondary", id: "download-csv" }, t("scr.r.download_csv"));
  const jsonButton = el("button", { type: "button", class: "secondary", id: "download-json" },
    t("scr.r.download_json"));
  csvButton.addEventListener("click", () => download("csv"));
  jsonButton.addEventListener("click", () => download("json"));

  body.replaceChildren(
    el("p", { id: "r-source" }, t("scr.r.source", {
      rows: num(s.rows_read), rejected: num(s.rows_rejected), format: String(source.format || "").toUpperCase(),
      encoding: source.encoding || "–", delimiter: source.delimiter ? t(`scr.delimiter.${source.delimiter}`) : "–",
      date: s.screening_date,
    })),
    el("h3", {}, t("scr.r.summary_title")),
    el("dl", { class: "headline" },
      figureCard("r-screened", t("scr.r.screened"), s.households_screened, num(s.households_screened)),
      figureCard("r-could-own", t("scr.r.could_own"), s.could_own, num(s.could_own)),
      figureCard("r-without-grant", t("scr.r.without_grant"), s.could_own_without_grant,
        num(s.could_own_without_grant)),
      figureCard("r-only-with-grant", t("scr.r.only_with_grant"), s.could_own_only_with_grant,
        num(s.could_own_only_with_grant)),
      figureCard("r-not-within-reach", t("scr.r.not_within_reach"), s.not_within_reach, num(s.not_within_reach)),
      figureCard("r-dwellings-freed", t("scr.r.dwellings_freed"), s.dwellings_freed, num(s.dwellings_freed)),
      figureCard("r-total-startlan", t("scr.r.total_startlan"), s.total_startlan, kr(s.total_startlan)),
      figureCard("r-total-grant", t("scr.r.total_grant"), s.total_grant, kr(s.total_grant)),
      figureCard("r-median-startlan", t("scr.r.median_startlan"), s.median_startlan, kr(s.median_startlan))),
    el("dl", { class: "pairs" },
      el("dt", {}, t("scr.r.ending_4")), el("dd", { "data-value": s.could_own_contract_ending_within_4_months },
        num(s.could_own_contract_ending_within_4_months)),
      el("dt", {}, t("scr.r.ending_12")), el("dd", { "data-value": s.could_own_contract_ending_within_12_months },
        num(s.could_own_contract_ending_within_12_months)),
      el("dt", {}, t("scr.r.open_ended_count")), el("dd", { "data-value": s.could_own_open_ended_contract },
        num(s.could_own_open_ended_contract))),
    el("h3", {}, t("scr.r.by_area_title")), areaHost,
    el("h3", {}, t("scr.r.by_solution_title")), solutionHost,
    el("h3", {}, t("scr.r.assumptions")),
    el("ul", {}, (s.assumptions || []).map((a) => el("li", {}, a))),
    el("h3", {}, t("scr.r.list_title")),
    el("p", { class: "hint" }, t("scr.r.list_hint")),
    el("div", { id: "ranked-host" }, ...renderList()),
    el("div", { class: "actions" }, csvButton, jsonButton),
    el("h3", {}, t("scr.r.errors_title")),
    errorsTable("register-errors", t("scr.r.register"), job.errors?.register),
    errorsTable("prices-errors", t("scr.r.price_table"), job.errors?.prices),
    el("p", { class: "hint", id: "r-parameter-set" }, t("cw.r.parameter_set", {
      id: s.parameter_set?.id ?? "–", version: s.parameter_set?.version ?? "–" })),
  );
  chart(areaHost, {
    id: "area-chart",
    title: t("scr.r.by_area_chart"),
    kind: "bar",
    categories: byArea.map((a) => a.area),
    series: [
      { name: t("scr.r.households"), values: byArea.map((a) => a.households) },
      { name: t("scr.r.could_own"), values: byArea.map((a) => a.could_own) },
      { name: t("scr.r.without_grant"), values: byArea.map((a) => a.could_own_without_grant) },
    ],
    format: (v) => num(v),
    integer: true,
    yLabel: t("scr.r.households"),
  });
  chart(solutionHost, {
    id: "solution-chart",
    title: t("scr.r.by_solution_chart"),
    kind: "bar",
    categories: solutions.map(([name]) => solutionName(name)),
    series: [{ name: t("scr.r.households"), values: solutions.map(([, n]) => n) }],
    format: (v) => num(v),
    integer: true,
    yLabel: t("scr.r.households"),
  });
}

form.addEventListener("submit", start);
i18n.onChange(() => {
  if (current) showProgress(current.job);
  render();
});
await initPage({ role: ROLE });
window.loanEngineScreening = {
  formData: () => [...formData().entries()].map(([k, v]) => [k, typeof v === "string" ? v : v.name]),
  location: () => current?.location ?? null,
};
