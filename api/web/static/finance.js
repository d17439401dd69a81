// Finance page: choose a portfolio (GET /v1/portfolios, or make a synthetic one), start a stress test
// (POST /v1/stress-tests → 202 + Location), poll its progress, and show the results: the loss distribution
// (histogram of the per-scenario losses from …/scenario-losses.csv, VaR/ES), default and arrears rates per year,
// the kommune/state split and the net interest margin, each chart with its figures beside it.

import {
  api, ApiError, clearErrors, el, getKey, initPage, inputNumber, kr, num, pct, setBusy, showProblem,
} from "./app.js";
import * as i18n from "./i18n.js";
import { t } from "./i18n.js";
import { chart } from "./plots.js";

const ROLE = "finance";
const POLL_MS = 700;
const HISTOGRAM_BINS = 15;
const WARMUP_AFTER_MS = 1500;

const portfolioSelect = document.getElementById("portfolio");
const portfolioForm = document.getElementById("portfolio-form");
const runForm = document.getElementById("run-form");
const progressBox = document.getElementById("progress-box");
const progressBar = document.getElementById("progress");
const progressText = document.getElementById("progress-text");
const cancelButton = document.getElementById("cancel");
const results = document.getElementById("results");
const body = document.getElementById("results-body");
let portfolios = [];
let current = null; // {location, job, losses}
let lastAnnounced = -1;

// ----- Portfolios -------------------------------------------------------------------------------------------

function portfolioLabel(p) {
  return t("fin.portfolio.option", { name: p.name, loans: num(p.loan_count), balance: kr(p.total_balance) });
}

async function loadPortfolios(selectId) {
  try {
    const { body: list } = await api("/v1/portfolios", { role: ROLE });
    portfolios = list.items;
  } catch (error) {
    showProblem(portfolioForm, error);
    return;
  }
  const chosen = selectId || portfolioSelect.value;
  portfolioSelect.replaceChildren(...(portfolios.length
    ? portfolios.map((p) => el("option", { value: p.id }, portfolioLabel(p)))
    : [el("option", { value: "" }, t("fin.portfolio.none"))]));
  if (chosen && portfolios.some((p) => p.id === chosen)) portfolioSelect.value = chosen;
  describePortfolio();
}

async function describePortfolio() {
  const summary = document.getElementById("portfolio-summary");
  const id = portfolioSelect.value;
  if (!id) {
    summary.textContent = t("fin.portfolio.make_one");
    return;
  }
  try {
    const { body: p } = await api(`/v1/portfolios/${encodeURIComponent(id)}`, { role: ROLE });
    const s = p.summary;
    summary.textContent = t("fin.portfolio.summary", {
      loans: num(s.loan_count), balance: kr(s.total_balance), fixed: pct(s.fixed_share, 1),
      second: pct(s.second_priority_share, 1), arrears: num(s.in_arrears),
    });
  } catch (error) {
    showProblem(portfolioForm, error);
  }
}

async function createSynthetic() {
  clearErrors(document);
  const button = document.getElementById("create-synthetic");
  setBusy(button, true);
  try {
    const name = document.getElementById("synthetic-name").value.trim()
      || t("fin.synthetic.default_name", { time: new Date().toLocaleTimeString(i18n.locale()) });
    const { body: p } = await api("/v1/portfolios/synthetic", {
      role: ROLE,
      json: { name, loans: inputNumber(document.getElementById("synthetic-loans")),
        seed: inputNumber(document.getElementById("synthetic-seed")) ?? 0 },
    });
    await loadPortfolios(p.id);
    portfolioSelect.focus();
  } catch (error) {
    showProblem(portfolioForm, error);
  } finally {
    setBusy(button, false);
  }
}

// ----- Running a stress test --------------------------------------------------------------------------------

/** The request the page sends (exported for the browser tests). */
export function request() {
  return {
    portfolio_id: portfolioSelect.value,
    scenario: { preset: document.getElementById("scenario").value },
    scenarios: inputNumber(document.getElementById("scenarios")),
    horizon_years: inputNumber(document.getElementById("horizon")),
    seed: inputNumber(document.getElementById("seed")) ?? 0,
  };
}

/** What the progress line says: while nothing is done after WARMUP_AFTER_MS, that the engine is starting. */
export function progressMessage(job, elapsedMs) {
  const done = job.progress.scenarios_done;
  const waiting = ["queued", "running"].includes(job.status) && done === 0 && elapsedMs >= WARMUP_AFTER_MS;
  const seconds = Math.floor(elapsedMs / 1000);
  return { warming: waiting, elapsed: waiting ? t("fin.warmup.elapsed", { seconds })
    : t("fin.elapsed", { seconds }) };
}

function showProgress(job) {
  const { scenarios_done: done, scenarios_total: total } = job.progress;
  const elapsed = current ? Date.now() - current.startedAt : 0;
  const message = progressMessage(job, elapsed);
  // While the engine compiles nothing is done: an indeterminate (moving) bar, the seconds, and why.
  document.getElementById("warmup-note").hidden = !message.warming;
  document.getElementById("progress-elapsed").textContent = message.elapsed;
  progressBox.dataset.warming = String(message.warming);
  progressBar.max = Math.max(total, 1);
  if (message.warming) progressBar.removeAttribute("value");
  else progressBar.value = done;
  progressBar.setAttribute("aria-valuetext", t("fin.progress.text", { done: num(done), total: num(total) }));
  // Announce at most every quarter, so screen readers are not flooded.
  const quarter = total ? Math.floor((4 * done) / total) : 0;
  const final = ["succeeded", "failed", "cancelled"].includes(job.status);
  if (quarter !== lastAnnounced || final) {
    lastAnnounced = quarter;
    progressText.textContent = `${t(`fin.status.${job.status}`)} – ${t("fin.progress.text", {
      done: num(done), total: num(total) })}`;
  }
  progressText.dataset.status = job.status;
}

async function start(ev) {
  ev.preventDefault();
  clearErrors(document);
  const button = document.getElementById("start");
  setBusy(button, true);
  results.hidden = true;
  lastAnnounced = -1;
  try {
    const { body: job, headers } = await api("/v1/stress-tests", { role: ROLE, json: request() });
    current = { location: headers.get("Location") || `/v1/stress-tests/${job.id}`, job, losses: null,
      startedAt: Date.now() };
    progressBox.hidden = false;
    cancelButton.hidden = false;
    showProgress(job);
    await poll();
  } catch (error) {
    showProblem(runForm, error);
  } finally {
    setBusy(button, false);
    cancelButton.hidden = true;
  }
}

async function poll() {
  for (;;) {
    const { body: job } = await api(current.location, { role: ROLE });
    current.job = job;
    showProgress(job);
    if (job.status === "succeeded") {
      const { body: csv } = await api(`${current.location}/scenario-losses.csv?format=machine`, {
        role: ROLE, accept: "text/csv" });
      current.losses = parseLosses(csv);
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
    if (current.job.progress.scenarios_done === 0) showProgress(current.job); // the seconds keep counting
  }
}

async function cancel() {
  if (!current) return;
  try {
    await api(current.location, { role: ROLE, method: "DELETE" });
  } catch (error) {
    showProblem(runForm, error);
  }
}

// ----- Results ----------------------------------------------------------------------------------------------

/** Per-scenario total losses from the CSV artifact. */
export function parseLosses(csv) {
  const lines = String(csv).trim().split(/\r?\n/);
  const header = lines.shift().split(",");
  const col = header.indexOf("loss_total");
  return lines.filter(Boolean).map((line) => Number(line.split(",")[col]));
}

/**
 * Histogram of losses: one bar for scenarios without loss, then bins of a round width w (d3's tick step for about
 * HISTOGRAM_BINS bins over (0, max]: 1, 2 or 5 × 10^k kroner); bin i holds losses in (i·w, (i+1)·w].
 */
export function histogram(losses) {
  const max = Math.max(0, ...losses);
  const zero = losses.filter((x) => x <= 0).length;
  const bins = [{ from: 0, to: 0, count: zero }];
  if (max > 0) {
    const w = globalThis.d3.tickStep(0, max, HISTOGRAM_BINS);
    const n = Math.max(1, Math.ceil(max / w - 1e-9));
    for (let i = 0; i < n; i++) bins.push({ from: i * w, to: (i + 1) * w, count: 0 });
    for (const x of losses) {
      if (x <= 0) continue;
      const i = Math.min(n - 1, Math.ceil(x / w - 1e-9) - 1);
      bins[i + 1].count += 1;
    }
  }
  return bins;
}

/** Bin labels in millions with the decimals the bin width needs: "0–2", "2–4" or "0–0,5", "0,5–1". */
function binLabel(bin, width) {
  const decimals = Math.max(0, globalThis.d3.precisionFixed(width / 1e6));
  return `${num(bin.from / 1e6, decimals)}–${num(bin.to / 1e6, decimals)}`;
}


function withSe(value, se, fmt) {
  if (value === null || value === undefined) return t("fin.r.too_few");
  return se === null || se === undefined || se === 0 ? fmt(value) : `${fmt(value)} (± ${fmt(se)})`;
}

function stat(id, term, value, se, fmt) {
  const shown = value === null || value === undefined ? t("fin.r.too_few") : fmt(value);
  return el("div", {}, el("dt", {}, term), el("dd", { id, "data-value": value ?? "", "data-se": se ?? "" }, shown,
    se ? el("span", { class: "se" }, `± ${fmt(se)}`) : null));
}

function render() {
  if (!current || !current.job.result) return;
  const r = current.job.result;
  const el_ = r.expected_loss;
  const share = r.loss_share_pct;
  const years = r.years;
  const yearLabels = years.map((y) => String(y.year));
  const hostLoss = el("div");
  const hostDefaults = el("div");
  const hostSplit = el("div");
  const hostNim = el("div");
  const q = (part, level) => r.loss_quantiles[part].find((x) => Math.abs(x.level - level) < 1e-9);

  body.replaceChildren(
    el("p", { id: "r-run" }, t("fin.r.run", {
      portfolio: r.portfolio.name || r.portfolio.id, loans: num(r.portfolio.loan_count),
      scenario: t(`fin.preset.${r.scenario.preset || "baseline"}`), scenarios: num(r.scenarios),
      years: r.horizon_years, seed: r.seed,
    })),
    el("dl", { class: "headline" },
      stat("r-el-total", t("fin.r.el_total"), el_.total.value, el_.total.se, kr),
      stat("r-el-kommune", t("fin.r.el_kommune"), el_.kommune.value, el_.kommune.se, kr),
      stat("r-el-state", t("fin.r.el_state"), el_.state.value, el_.state.se, kr),
      stat("r-share-kommune", t("fin.r.share_kommune"), share.kommune.value, share.kommune.se, (v) => pct(v, 1)),
      stat("r-defaults-total", t("fin.r.defaults_total"), r.defaults_total.value, r.defaults_total.se,
        (v) => num(v, 2)),
      stat("r-over-capacity", t("fin.r.over_capacity"), r.over_capacity.share_pct.value,
        r.over_capacity.share_pct.se, (v) => pct(v, 1))),
    el("p", { class: "hint" }, t("fin.r.se_note")),
    el("h3", {}, t("fin.r.loss_title")), hostLoss,
    el("div", { class: "table-scroll", tabindex: "0", role: "region", "aria-labelledby": "quantiles-caption" },
      el("table", { id: "quantiles-table" },
        el("caption", { id: "quantiles-caption" }, t("fin.r.quantiles_caption")),
        el("thead", {}, el("tr", {}, [t("fin.r.level"), t("fin.r.var_total"), t("fin.r.es_total"),
          t("fin.r.var_kommune"), t("fin.r.var_state")].map((h) => el("th", { scope: "col" }, h)))),
        el("tbody", {}, r.loss_quantiles.total.map((row) => el("tr", { "data-level": row.level },
          el("th", { scope: "row" }, pct(row.level, 1)),
          el("td", { "data-value": row.var ?? "" }, withSe(row.var, row.var_se, kr)),
          el("td", { "data-value": row.es ?? "" }, withSe(row.es, row.es_se, kr)),
          el("td", { "data-value": q("kommune", row.level).var ?? "" }, withSe(q("kommune", row.level).var,
            q("kommune", row.level).var_se, kr)),
          el("td", { "data-value": q("state", row.level).var ?? "" }, withSe(q("state", row.level).var,
            q("state", row.level).var_se, kr))))))),
    el("h3", {}, t("fin.r.defaults_title")), hostDefaults,
    el("h3", {}, t("fin.r.split_title")), hostSplit,
    el("h3", {}, t("fin.r.nim_title")), hostNim,
    el("h3", {}, t("fin.r.method")),
    el("ol", {}, (r.explanation || []).map((s) => el("li", {}, i18n.currentLang() === "en" ? s.en : s.nb))),
    el("p", { class: "hint", id: "r-parameter-set" }, t("fin.r.parameter_set", {
      id: r.parameter_set.id, version: r.parameter_set.version })),
  );

  const bins = histogram(current.losses);
  chart(hostLoss, {
    id: "loss-chart",
    title: t("fin.r.hist_title", { n: num(current.losses.length) }),
    kind: "bar",
    categories: bins.map((b, i) => (i === 0 ? t("fin.r.no_loss") : binLabel(b, bins[1].to - bins[1].from))),
    series: [{ name: t("fin.r.scenarios"), values: bins.map((b) => b.count) }],
    format: (v) => num(v),
    integer: true,
    xLabel: t("fin.r.loss_axis"),
    yLabel: t("fin.r.scenarios"),
  });
  chart(hostDefaults, {
    id: "defaults-chart",
    title: t("fin.r.rates_title"),
    kind: "line",
    categories: yearLabels,
    series: [
      { name: t("fin.r.default_rate"), values: years.map((y) => y.default_rate_pct.value) },
      { name: t("fin.r.arrears_rate"), values: years.map((y) => y.arrears_rate_pct.value) },
    ],
    format: (v) => (v === null || v === undefined ? "–" : pct(v, 2)),
    xLabel: t("common.year"),
    yLabel: "%",
  });
  const levels = r.loss_quantiles.total.filter((row) => row.var !== null);
  chart(hostSplit, {
    id: "split-chart",
    title: t("fin.r.split_chart"),
    kind: "bar",
    categories: [t("fin.r.expected"), ...levels.map((row) => t("fin.r.var_at", { level: pct(row.level, 1) }))],
    series: [
      { name: t("fin.r.kommune"), values: [el_.kommune.value, ...levels.map((row) => q("kommune", row.level).var)] },
      { name: t("fin.r.state"), values: [el_.state.value, ...levels.map((row) => q("state", row.level).var)] },
    ],
    format: (v) => kr(v),
    divisor: 1e6,
    yLabel: t("fin.r.mnok"),
  });
  chart(hostNim, {
    id: "nim-chart",
    title: t("fin.r.nim_chart"),
    kind: "line",
    categories: yearLabels,
    series: [{ name: t("fin.r.nim"), values: years.map((y) => y.net_interest_margin_pct.value) }],
    format: (v) => (v === null || v === undefined ? "–" : pct(v, 3)),
    xLabel: t("common.year"),
    yLabel: "%",
  });
}

// ----- Downloads and upload --------------------------------------------------------------------------------

const DOWNLOADS = {
  csv: { path: "scenario-losses.csv", accept: "text/csv", fallback: "tap-per-scenario.csv" },
  xlsx: { path: "results.xlsx", accept: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    fallback: "stresstest.xlsx" },
};

/** Fetch a download of the current stress test (with the key), in the page's language: {name, blob}. */
export async function fetchDownload(kind) {
  const d = DOWNLOADS[kind];
  const lang = i18n.currentLang() === "en" ? "en" : "nb";
  const response = await fetch(`${current.location}/${d.path}?lang=${lang}`, {
    headers: { "X-API-Key": getKey(ROLE), Accept: `${d.accept}, application/problem+json`, "Accept-Language": lang },
  });
  if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => null));
  const disposition = response.headers.get("Content-Disposition") || "";
  const name = (disposition.match(/filename="([^"]+)"/) || [])[1] || d.fallback;
  return { name, blob: await response.blob() };
}

async function download(kind, button) {
  const statusEl = document.getElementById("download-status");
  setBusy(button, true);
  try {
    const { name, blob } = await fetchDownload(kind);
    const url = URL.createObjectURL(blob);
    const link = el("a", { href: url, download: name, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    statusEl.textContent = t("fin.download.saved", { name });
  } catch (error) {
    showProblem(document.getElementById("downloads"), error);
  } finally {
    setBusy(button, false);
  }
}

async function uploadPortfolio() {
  clearErrors(portfolioForm);
  const button = document.getElementById("upload-portfolio");
  const file = document.getElementById("upload-file").files[0];
  const uploadStatus = document.getElementById("upload-status");
  if (!file) {
    showProblem(portfolioForm, new ApiError(422, { detail: t("fin.upload.no_file"),
      errors: [{ field: "file", message: t("fin.upload.no_file") }] }));
    return;
  }
  const name = document.getElementById("upload-name").value.trim() || file.name.replace(/\.[^.]+$/, "");
  const form = new FormData();
  form.append("file", file);
  form.append("name", name);
  setBusy(button, true);
  try {
    const { body: p } = await api("/v1/portfolios/upload", { role: ROLE, form });
    await loadPortfolios(p.id);
    uploadStatus.textContent = t("fin.upload.done", { name: p.name, loans: num(p.loan_count) });
  } catch (error) {
    showProblem(portfolioForm, error);
  } finally {
    setBusy(button, false);
  }
}

// ----- Start ------------------------------------------------------------------------------------------------

document.getElementById("download-csv").addEventListener("click", (ev) => download("csv", ev.currentTarget));
document.getElementById("download-xlsx").addEventListener("click", (ev) => download("xlsx", ev.currentTarget));
document.getElementById("upload-portfolio").addEventListener("click", uploadPortfolio);

portfolioSelect.addEventListener("change", describePortfolio);
document.getElementById("create-synthetic").addEventListener("click", createSynthetic);
runForm.addEventListener("submit", start);
cancelButton.addEventListener("click", cancel);
i18n.onChange(() => {
  for (const option of portfolioSelect.options) {
    const p = portfolios.find((x) => x.id === option.value);
    option.textContent = p ? portfolioLabel(p) : t("fin.portfolio.none");
  }
  describePortfolio();
  if (current) {
    lastAnnounced = -1;
    showProgress(current.job);
  }
  render();
});
await initPage({ role: ROLE });
await loadPortfolios();
window.loanEngineFinance = {
  request, histogram, parseLosses, progressMessage, location: () => current?.location ?? null,
  download: async (kind) => {
    const { name, blob } = await fetchDownload(kind);
    const head = new Uint8Array(await blob.slice(0, 4).arrayBuffer());
    return { name, size: blob.size, type: blob.type, head: Array.from(head), text: kind === "csv" ? await blob.text()
      : null };
  },
};
