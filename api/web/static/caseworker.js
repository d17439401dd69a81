// Caseworker page: household + dwelling → POST /v1/affordability (maximum loan), POST /v1/financing-plans (the
// ladder and the smallest grant) and POST /v1/schedules (the payment schedule of the loan the plan arrives at).
// Everything shown comes from those answers; the page only formats it.

import {
  api, clearErrors, el, figure, initPage, inputNumber, kr, num, pct, setBusy, showProblem,
} from "./app.js";
import * as i18n from "./i18n.js";
import { t } from "./i18n.js";
import { chart } from "./plots.js";

const form = document.getElementById("cw-form");
const membersHost = document.getElementById("members");
const debtsHost = document.getElementById("debts");
const status = document.getElementById("cw-status");
const results = document.getElementById("results");
const body = document.getElementById("results-body");
let last = null; // {affordability, plan, schedule, scheduleRequest, request} for re-rendering on language change

// ----- Household members and debts: rows added and removed by buttons --------------------------------------

let memberSeq = 0;
function addMember(age = "", sex = "female") {
  const n = memberSeq++;
  const row = el("div", { class: "member-row", "data-member": n });
  const ageId = `member-${n}-age`;
  const sexId = `member-${n}-sex`;
  const title = el("span", { class: "row-title" });
  const ageField = el("div", { class: "field" },
    el("label", { for: ageId }), el("input", { id: ageId, type: "text", inputmode: "numeric", value: age,
      "data-role": "age" }));
  const sexSelect = el("select", { id: sexId, "data-role": "sex" },
    el("option", { value: "female" }), el("option", { value: "male" }));
  sexSelect.value = sex;
  const sexField = el("div", { class: "field" }, el("label", { for: sexId }), sexSelect);
  const remove = el("button", { type: "button", class: "secondary", "data-role": "remove" });
  remove.addEventListener("click", () => {
    if (membersHost.children.length > 1) {
      row.remove();
      renumber();
      membersHost.querySelector("input")?.focus();
    }
  });
  ageField.querySelector("input").addEventListener("input", () => renumber());
  row.append(title, ageField, sexField, remove);
  membersHost.append(row);
  renumber();
  return row;
}

let debtSeq = 0;
function addDebt(balance = "", payment = "") {
  const n = debtSeq++;
  const row = el("div", { class: "member-row", "data-debt": n });
  const balanceId = `debt-${n}-balance`;
  const paymentId = `debt-${n}-payment`;
  const remove = el("button", { type: "button", class: "secondary", "data-role": "remove" });
  remove.addEventListener("click", () => {
    row.remove();
    renumber();
    document.getElementById("add-debt").focus();
  });
  const rateId = `debt-${n}-rate`;
  const yearsId = `debt-${n}-years`;
  const kindId = `debt-${n}-kind`;
  const kind = el("select", { id: kindId, "data-role": "kind" },
    ...["other", "consumer", "car", "studielan", "credit_card", "mortgage"].map((k) => el("option", { value: k })));
  row.append(
    el("span", { class: "row-title" }),
    el("div", { class: "field" }, el("label", { for: kindId }), kind),
    el("div", { class: "field" }, el("label", { for: balanceId }),
      el("input", { id: balanceId, type: "text", inputmode: "decimal", value: balance, "data-role": "balance" })),
    el("div", { class: "field" }, el("label", { for: paymentId }),
      el("input", { id: paymentId, type: "text", inputmode: "decimal", value: payment, "data-role": "payment" })),
    el("div", { class: "field" }, el("label", { for: rateId }),
      el("input", { id: rateId, type: "text", inputmode: "decimal", "data-role": "rate" })),
    el("div", { class: "field" }, el("label", { for: yearsId }),
      el("input", { id: yearsId, type: "text", inputmode: "decimal", "data-role": "years" })),
    remove,
  );
  debtsHost.append(row);
  renumber();
  return row;
}

/** Under 18: the sex is offered as girl/boy (jente/gutt) rather than woman/man. */
function isChild(age) {
  const n = Number(String(age).trim());
  return String(age).trim() !== "" && Number.isFinite(n) && n < 18;
}

/** Labels and data-field paths follow the rows' current order (so API errors land on the right row). */
function renumber() {
  [...membersHost.children].forEach((row, i) => {
    const nr = i + 1;
    row.querySelector(".row-title").textContent = t("cw.member.n", { n: nr });
    const [ageLabel, sexLabel] = row.querySelectorAll("label");
    ageLabel.textContent = t("cw.member.age", { n: nr });
    sexLabel.textContent = t("cw.member.sex", { n: nr });
    const [female, male] = row.querySelectorAll("option");
    const child = isChild(row.querySelector("[data-role=age]").value);
    female.textContent = t(child ? "cw.sex.girl" : "cw.sex.female");
    male.textContent = t(child ? "cw.sex.boy" : "cw.sex.male");
    row.querySelector("[data-role=age]").dataset.field = `household.members.${i}.age`;
    row.querySelector("[data-role=sex]").dataset.field = `household.members.${i}.sex`;
    const remove = row.querySelector("[data-role=remove]");
    remove.textContent = t("cw.member.remove", { n: nr });
    remove.disabled = membersHost.children.length === 1;
  });
  [...debtsHost.children].forEach((row, i) => {
    const nr = i + 1;
    row.querySelector(".row-title").textContent = t("cw.debt.n", { n: nr });
    const [kindLabel, balanceLabel, paymentLabel, rateLabel, yearsLabel] = row.querySelectorAll("label");
    kindLabel.textContent = t("cw.debt.kind", { n: nr });
    balanceLabel.textContent = t("cw.debt.balance", { n: nr });
    paymentLabel.textContent = t("cw.debt.payment", { n: nr });
    rateLabel.textContent = t("cw.debt.rate", { n: nr });
    yearsLabel.textContent = t("cw.debt.years", { n: nr });
    row.querySelectorAll("[data-role=kind] option").forEach((o) => { o.textContent = t(`cw.debt.kind.${o.value}`); });
    row.querySelector("[data-role=kind]").dataset.field = `existing_debts.${i}.kind`;
    row.querySelector("[data-role=balance]").dataset.field = `existing_debts.${i}.balance`;
    row.querySelector("[data-role=payment]").dataset.field = `existing_debts.${i}.monthly_payment`;
    row.querySelector("[data-role=rate]").dataset.field = `existing_debts.${i}.annual_rate`;
    row.querySelector("[data-role=years]").dataset.field = `existing_debts.${i}.remaining_years`;
    row.querySelector("[data-role=remove]").textContent = t("cw.debt.remove", { n: nr });
  });
}

// ----- Requests ---------------------------------------------------------------------------------------------

const value = (id) => inputNumber(document.getElementById(id));
const radio = (name) => form.querySelector(`input[name="${name}"]:checked`)?.value;
const orZero = (v) => (v === undefined ? 0 : v);

/** Net per month as before; or a gross yearly income (the API computes the tax), with benefits by rule. */
function income() {
  const gross = value("income-gross");
  const out = gross === undefined
    ? { net_monthly: value("income") }
    : { sources: [{ kind: document.getElementById("income-kind").value, gross_annual: gross }] };
  if (gross !== undefined && value("income") !== undefined) out.net_monthly = value("income");
  const barnetrygd = document.getElementById("barnetrygd").checked;
  const utvidet = document.getElementById("utvidet").checked;
  if (barnetrygd || utvidet) out.benefits = { barnetrygd, utvidet_barnetrygd: utvidet };
  return out;
}

/** A debt as before (balance and payment), or with its terms so the API stress-tests it. */
function debt(row) {
  const out = { balance: orZero(inputNumber(row.querySelector("[data-role=balance]"))) };
  const payment = inputNumber(row.querySelector("[data-role=payment]"));
  const rate = inputNumber(row.querySelector("[data-role=rate]"));
  const years = inputNumber(row.querySelector("[data-role=years]"));
  const kind = row.querySelector("[data-role=kind]").value;
  if (rate === undefined && kind === "other") {
    out.monthly_payment = orZero(payment);
    return out;
  }
  out.kind = kind;
  if (kind === "credit_card") out.credit_limit = orZero(payment);
  else if (payment !== undefined) out.monthly_payment = payment;
  if (rate !== undefined) out.annual_rate = rate;
  if (years !== undefined) out.remaining_years = years;
  return out;
}

function budget() {
  const request = {
    household: {
      members: [...membersHost.children].map((row) => ({
        age: inputNumber(row.querySelector("[data-role=age]")),
        sex: row.querySelector("[data-role=sex]").value,
      })),
      car: document.getElementById("car").value,
      children_in_barnehage: orZero(value("barnehage")),
      children_in_sfo: orZero(value("sfo")),
    },
    income: income(),
    housing_costs_monthly: orZero(value("housing-costs")),
    other_fixed_costs_monthly: orZero(value("other-fixed")),
    existing_debts: [...debtsHost.children].map(debt),
  };
  const bankAmount = value("bank-loan");
  if (bankAmount) request.bank_loan = { amount: bankAmount, annual_rate: value("bank-rate") };
  return request;
}

function purchase() {
  const price = value("price");
  if (price === undefined) return null;
  return {
    price,
    fellesgjeld: orZero(value("fellesgjeld")),
    costs: orZero(value("purchase-costs")),
    equity: orZero(value("equity")),
  };
}

function preferences() {
  const loan = {
    repayment: radio("repayment"),
    interest_only_years: orZero(value("io-years")),
    term_over_30_reasons: [...form.querySelectorAll("input[name=reasons]:checked")].map((c) => c.value),
  };
  const stress = value("stress-rate");
  if (stress !== undefined) loan.stress_rate = stress;
  const fixation = document.getElementById("fixation").value;
  if (fixation) loan.fixation_years = Number(fixation);
  return loan;
}

/** The three requests the page sends, built from the form (exported for the browser tests). */
export function requests() {
  const living = value("living-costs");
  const dwelling = purchase();
  const affordability = {
    ...budget(),
    loan: { ...preferences(), rate_type: radio("rate_type"), term_years: value("term-years") },
  };
  if (living !== undefined) affordability.living_costs_monthly = living;
  if (dwelling) affordability.dwelling = dwelling;
  let plan = null;
  if (dwelling) {
    plan = { ...budget(), purchase: dwelling, loan: preferences() };
    if (living !== undefined) plan.adjusted_living_costs_monthly = living;
  }
  return { affordability, plan };
}

/**
 * The loan to show a schedule for: with a purchase, the startlån the plan arrives at (with the grant if one is
 * needed) in the configuration of the step that works; without one, the maximum loan on the terms asked for.
 * The rate is the one the loan carries: the fixed rate for its fixation period and then floating, or floating
 * (the API's `floating_rate`: Husbanken's floating rate plus the kommune's margin from the parameter set used).
 */
function scheduleRequest(affordability, plan, prefs) {
  let config = affordability;
  let principal = affordability.max_loan;
  if (plan && plan.final) {
    config = plan.final;
    principal = plan.startlan;
  }
  if (!(principal > 0)) return null;
  const floating = config.floating_rate;
  const request = {
    principal,
    term_years: config.term_years,
    repayment: config.repayment,
    interest_only_years: prefs.interest_only_years,
    annual_rate: Math.round(floating * 1e6) / 1e6,
  };
  if (config.rate_type === "fixed" && config.fixed_rate !== null) {
    request.annual_rate = config.fixed_rate;
    if (config.fixation_years && config.fixation_years < config.term_years) {
      request.fixed_period_years = config.fixation_years;
      request.rate_after_fixed = Math.round(floating * 1e6) / 1e6;
    }
  }
  return request;
}

async function calculate(ev) {
  ev.preventDefault();
  clearErrors(document);
  const button = document.getElementById("calculate");
  setBusy(button, true);
  status.className = "status";
  status.textContent = t("app.busy");
  try {
    const { affordability: affReq, plan: planReq } = requests();
    const affordability = (await api("/v1/affordability", { json: affReq, role: "caseworker" })).body;
    const plan = planReq ? (await api("/v1/financing-plans", { json: planReq, role: "caseworker" })).body : null;
    const schedReq = scheduleRequest(affordability, plan, affReq.loan);
    const schedule = schedReq ? (await api("/v1/schedules", { json: schedReq, role: "caseworker" })).body : null;
    last = { affordability, plan, schedule, scheduleRequest: schedReq, request: { affordability: affReq,
      plan: planReq } };
    render();
    status.className = "status ok";
    status.textContent = t("cw.done", { amount: kr(affordability.max_loan) });
    results.hidden = false;
    document.getElementById("results-h").focus();
  } catch (error) {
    status.textContent = "";
    showProblem(form, error);
  } finally {
    setBusy(button, false);
  }
}

// ----- Rendering --------------------------------------------------------------------------------------------

const lang = () => i18n.currentLang();
const text = (obj) => (lang() === "en" ? obj.en : obj.nb);

function headline(items) {
  return el("dl", { class: "headline" }, items.map(([id, term, v, shown]) =>
    el("div", {}, el("dt", {}, term), el("dd", { id, "data-value": v }, shown))));
}

function renderAffordability(a) {
  const lc = a.living_costs;
  const section = el("section", { "aria-labelledby": "max-h" },
    el("h3", { id: "max-h" }, t("cw.r.max_title")),
    headline([
      ["r-max-loan", t("cw.r.max_loan"), a.max_loan, kr(a.max_loan)],
      ["r-disposable", t("cw.r.disposable"), a.disposable_monthly, kr(a.disposable_monthly)],
      ["r-stress-rate", t("cw.r.stress_rate"), a.stress_rate, pct(a.stress_rate)],
      ["r-first-payment", t("cw.r.first_payment"), a.first_monthly_payment, kr(a.first_monthly_payment)],
    ]),
    el("dl", { class: "pairs" },
      figure(t("cw.r.income"), a.counted_income_monthly, kr(a.counted_income_monthly), { id: "r-income" }),
      figure(t("cw.r.living_costs"), lc.amount, `${kr(lc.amount)} (${t(`cw.source.${lc.source}`)})`,
        { id: "r-living-costs" }),
      figure(t("cw.r.housing_costs"), a.housing_costs_monthly, kr(a.housing_costs_monthly)),
      figure(t("cw.r.other_fixed"), a.other_fixed_costs_monthly, kr(a.other_fixed_costs_monthly)),
      figure(t("cw.r.debts"), a.existing_debt_payments_monthly, kr(a.existing_debt_payments_monthly)),
      figure(t("cw.r.available"), a.available_for_startlan_monthly, kr(a.available_for_startlan_monthly)),
      figure(t("cw.r.capacity_limit"), a.payment_capacity_limit, kr(a.payment_capacity_limit)),
      a.dwelling_cap !== null ? figure(t("cw.r.dwelling_cap"), a.dwelling_cap, kr(a.dwelling_cap)) : null,
      figure(t("cw.r.terms"), a.term_years, t("cw.r.terms_text", {
        rate: t(`cw.rate.${a.rate_type}`).toLowerCase(), years: a.term_years,
        repayment: t(`cw.repayment.${a.repayment}`).toLowerCase(),
      })),
      figure(t("cw.r.payout"), a.payout, kr(a.payout)),
    ),
  );
  section.append(
    el("h4", {}, t("cw.r.living_title")),
    el("p", { class: "no-print" }, lang() === "en" ? lc.reason_en : lc.reason_nb), // printed in the explanation
    el("div", { class: "table-scroll", tabindex: "0", role: "region", "aria-labelledby": "living-caption" },
      el("table", { id: "living-table" },
        el("caption", { id: "living-caption" }, t("cw.r.sifo_caption")),
        el("thead", {}, el("tr", {}, el("th", { scope: "col" }, t("cw.r.item")),
          el("th", { scope: "col" }, t("cw.r.per_month")))),
        el("tbody", {}, lc.breakdown.map((line) => el("tr", {},
          el("th", { scope: "row", class: "text" }, (line.member !== null && line.member !== undefined
            ? `${t("cw.member.n", { n: line.member + 1 })}: ` : "") + (lang() === "en" ? line.label_en : line.label_nb)),
          el("td", { "data-value": line.amount }, kr(line.amount))))),
        el("tfoot", {},
          el("tr", {}, el("th", { scope: "row", class: "text" }, t("cw.r.sifo_total")),
            el("td", { "data-value": lc.sifo_total }, kr(lc.sifo_total))),
          el("tr", {}, el("th", { scope: "row", class: "text" }, t("cw.r.floor_total")),
            el("td", { "data-value": lc.floor_total }, kr(lc.floor_total)))))),
    el("h4", {}, t("cw.r.explanation")),
    el("ol", { id: "explanation" }, a.explanation.map((s) => el("li", { "data-code": s.code }, text(s)))),
  );
  if (a.term_over_30) section.append(el("p", { class: "panel" }, text(a.term_over_30)));
  return section;
}

function renderPlan(p) {
  const section = el("section", { "aria-labelledby": "plan-h" },
    el("h3", { id: "plan-h" }, t("cw.r.plan_title")),
    el("dl", { class: "pairs" },
      figure(t("cw.r.need"), p.need, kr(p.need), { id: "r-need" }),
      figure(t("cw.r.required_loan"), p.required_loan, kr(p.required_loan), { id: "r-required-loan" })),
    el("ol", { class: "ladder", id: "ladder" }, p.steps.map((s) => {
      const chosen = s.name === p.solution;
      return el("li", { class: `${s.works ? "works" : ""} ${chosen ? "chosen" : ""}`.trim(), "data-step": s.name,
        "data-works": String(s.works), "data-max-loan": s.max_loan },
      el("strong", {}, t(`cw.step.${s.name}`)),
      el("span", { class: `badge ${s.works ? "ok" : "no"}` },
        s.tried ? (s.works ? t("cw.r.works") : t("cw.r.not_enough")) : t("cw.r.not_tried")),
      chosen ? el("span", { class: "badge ok" }, t("cw.r.chosen")) : null,
      el("br"),
      el("span", { class: "step-text" }, text(s)));
    })),
  );
  const grantAmount = p.grant ? p.grant.amount : 0;
  const verdict = p.solution === null ? t("cw.r.no_solution")
    : p.solution === "grant" ? t("cw.r.solution_grant", { amount: kr(grantAmount) })
      : t("cw.r.solution_step", { step: t(`cw.step.${p.solution}`) });
  section.append(
    el("p", { class: "panel", id: "r-solution", "data-solution": p.solution ?? "" }, verdict),
    headline([
      ["r-grant", t("cw.r.grant"), grantAmount, kr(grantAmount)],
      ["r-loan-with-grant", t("cw.r.loan_in_plan"), p.startlan, kr(p.startlan)],
    ]),
  );
  if (p.grant) section.append(el("p", {}, text(p.grant)));
  section.append(el("h4", {}, t("cw.r.explanation")),
    // The steps' own sentences stand in the ladder and the grant paragraph above; the rest of the reasoning here.
    el("ol", { id: "plan-explanation" }, p.explanation.filter((s) => !s.code.startsWith("step_"))
      .map((s) => el("li", { "data-code": s.code }, text(s)))));
  return section;
}

/** Yearly sums of a monthly schedule: payments, interest, principal and the balance at the year's end. */
export function yearly(rows) {
  const years = [];
  for (const r of rows) {
    const y = Math.ceil(r.period / 12);
    if (!years[y - 1]) years[y - 1] = { year: y, payment: 0, interest: 0, principal: 0, balance: 0 };
    const acc = years[y - 1];
    acc.payment += r.payment;
    acc.interest += r.interest;
    acc.principal += r.principal;
    acc.balance = r.balance;
  }
  return years;
}

function renderSchedule(s, req) {
  const years = yearly(s.rows);
  const section = el("section", { "aria-labelledby": "schedule-h" },
    el("h3", { id: "schedule-h" }, t("cw.r.schedule_title")),
    el("p", {}, t("cw.r.schedule_lead", {
      amount: kr(req.principal), rate: pct(req.annual_rate, 3), years: req.term_years,
      repayment: t(`cw.repayment.${req.repayment}`).toLowerCase(),
    }) + (req.fixed_period_years ? ` ${t("cw.r.schedule_fixed", { years: req.fixed_period_years,
      rate: pct(req.rate_after_fixed, 3) })}` : "")),
    headline([
      ["s-principal", t("cw.r.loan"), req.principal, kr(req.principal)],
      ["s-first-payment", t("cw.r.first_payment_month"), s.first_payment, kr(s.first_payment)],
      ["s-total-interest", t("cw.r.total_interest"), s.totals.interest, kr(s.totals.interest)],
      ["s-total-payment", t("cw.r.total_payment"), s.totals.payment, kr(s.totals.payment)],
    ]),
  );
  const chartHost = el("div", { id: "schedule-chart-host" });
  section.append(chartHost);
  chart(chartHost, {
    id: "schedule-chart",
    title: t("cw.r.balance_chart"),
    kind: "line",
    categories: years.map((y) => String(y.year)),
    series: [{ name: t("cw.r.balance"), values: years.map((y) => y.balance) }],
    format: (v) => kr(v),
    divisor: 1e6, // ticks 0; 0,5; 1; … with the unit said once on the axis
    xLabel: t("common.year"),
    yLabel: t("cw.r.mnok"),
  });
  section.append(el("div", { class: "table-scroll", tabindex: "0", role: "region",
    "aria-labelledby": "schedule-caption" },
  el("table", { id: "schedule-table" },
    el("caption", { id: "schedule-caption" }, t("cw.r.schedule_caption")),
    el("thead", {}, el("tr", {}, [t("common.year"), t("cw.r.payments"), t("cw.r.interest"), t("cw.r.principal"),
      t("cw.r.balance_end")].map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, years.map((y) => el("tr", { "data-year": y.year },
      el("th", { scope: "row" }, String(y.year)),
      el("td", { "data-value": y.payment }, kr(y.payment)),
      el("td", { "data-value": y.interest }, kr(y.interest)),
      el("td", { "data-value": y.principal }, kr(y.principal)),
      el("td", { "data-value": y.balance }, kr(y.balance))))),
    el("tfoot", {}, el("tr", {}, el("th", { scope: "row" }, t("cw.r.sum")),
      el("td", { "data-value": s.totals.payment }, kr(s.totals.payment)),
      el("td", { "data-value": s.totals.interest }, kr(s.totals.interest)),
      el("td", { "data-value": s.totals.principal }, kr(s.totals.principal)),
      el("td", {}, ""))))));
  return section;
}

/** What the calculation was based on, for the printed case file (the form itself is not printed). */
function renderInputs(request) {
  const r = request.affordability;
  const h = r.household;
  const sexWord = (m) => t(isChild(m.age) ? `cw.sex.${m.sex === "female" ? "girl" : "boy"}` : `cw.sex.${m.sex}`);
  const people = h.members.map((m) => t("cw.in.person", { age: m.age, sex: sexWord(m).toLowerCase() }));
  const items = [
    [t("cw.household"), people.join(", ")],
    [t("cw.car"), t(`cw.car.${h.car}`)],
    [t("cw.barnehage"), String(h.children_in_barnehage)],
    [t("cw.sfo"), String(h.children_in_sfo)],
    [t("cw.in.income"), kr(r.income.net_monthly)],
    [t("cw.in.housing_costs"), kr(r.housing_costs_monthly)],
    [t("cw.in.other_fixed"), kr(r.other_fixed_costs_monthly)],
    [t("cw.in.living_costs"), r.living_costs_monthly === undefined ? t("cw.in.sifo") : kr(r.living_costs_monthly)],
    [t("cw.debts"), r.existing_debts.length ? r.existing_debts.map((d) => t("cw.in.debt", {
      balance: kr(d.balance), payment: kr(d.monthly_payment) })).join("; ") : t("common.none")],
  ];
  if (r.dwelling) {
    items.push(
      [t("cw.in.price"), kr(r.dwelling.price)],
      [t("cw.in.fellesgjeld"), kr(r.dwelling.fellesgjeld)],
      [t("cw.in.purchase_costs"), kr(r.dwelling.costs)],
      [t("cw.in.equity"), kr(r.dwelling.equity)],
    );
  }
  if (r.bank_loan) items.push([t("cw.in.bank_loan"), `${kr(r.bank_loan.amount)}, ${pct(r.bank_loan.annual_rate)}`]);
  items.push([t("cw.in.loan"), t("cw.r.terms_text", {
    rate: t(`cw.rate.${r.loan.rate_type}`).toLowerCase(), years: r.loan.term_years,
    repayment: t(`cw.repayment.${r.loan.repayment}`).toLowerCase(),
  }) + (r.loan.interest_only_years ? `, ${t("cw.in.io", { n: r.loan.interest_only_years })}` : "")
    + (r.loan.stress_rate !== undefined ? `, ${t("cw.r.stress_rate").toLowerCase()} ${pct(r.loan.stress_rate)}` : "")]);
  if (r.loan.term_over_30_reasons.length) {
    items.push([t("cw.in.reasons"), r.loan.term_over_30_reasons.map((k) => t(`cw.reason.${k}`)).join("; ")]);
  }
  return el("section", { class: "print-only", "aria-labelledby": "inputs-h" },
    el("h3", { id: "inputs-h" }, t("cw.in.title")),
    el("dl", { class: "pairs" }, items.map(([term, v]) => [el("dt", {}, term), el("dd", {}, v)])));
}

function render() {
  if (!last) return;
  const { affordability: a, plan, schedule, scheduleRequest: req } = last;
  const ps = a.parameter_set;
  const now = new Date();
  const caseFile = (id) => document.getElementById(id).value.trim() || "–";
  document.getElementById("print-header").replaceChildren(
    el("p", { class: "print-title" }, t("cw.print.header")),
    el("dl", { class: "pairs", id: "print-casefile" },
      figure(t("cw.casefile.ref"), null, caseFile("case-ref"), { id: "p-case-ref" }),
      figure(t("cw.casefile.kommune"), null, caseFile("case-kommune"), { id: "p-kommune" }),
      figure(t("cw.casefile.worker"), null, caseFile("case-worker"), { id: "p-caseworker" }),
      figure(t("cw.print.date"), null, t("cw.print.when", {
        date: now.toLocaleDateString(i18n.locale(), { day: "numeric", month: "long", year: "numeric" }),
        time: now.toLocaleTimeString(i18n.locale(), { hour: "2-digit", minute: "2-digit" }),
      }), { id: "p-date" }),
      figure(t("cw.print.parameter_set"), null, t("cw.print.parameter_set_value", {
        id: ps.id, version: ps.version }), { id: "p-parameter-set" })),
  );
  body.replaceChildren(
    renderInputs(last.request),
    renderAffordability(a),
    plan ? renderPlan(plan) : el("p", { class: "panel" }, t("cw.r.no_purchase")),
    schedule ? renderSchedule(schedule, req) : el("p", { class: "panel" }, t("cw.r.no_schedule")),
    renderRisk() || "",
    el("p", { class: "hint no-print", id: "r-parameter-set" }, t("cw.r.parameter_set", { id: ps.id, version: ps.version })),
  );
}

// ----- The household's risk (POST /v1/household-risk, on request) ---------------------------------------------

async function showRisk(button, host) {
  setBusy(button, true);
  try {
    // The loan the schedule shows: the API builds the loan record from the affordability answer it came from.
    const { affordability: a, plan, scheduleRequest: req, request } = last;
    const result = plan && plan.final ? plan.final : a;
    const body = {
      affordability: { request: request.affordability, result, principal: req.principal },
      scenarios: 2000,
      years: 10,
    };
    last.riskRequest = body;
    const r = (await api("/v1/household-risk", { json: body, role: "caseworker" })).body;
    const p = (x) => `${num(x.value, 1)} %`;
    host.replaceChildren(
      el("h4", {}, t("cw.risk.title", { n: r.scenarios })),
      el("dl", { class: "pairs", id: "r-risk" }, [
        [t("cw.risk.arrears", { y: 5 }), p(r.arrears_within_5y_pct)],
        [t("cw.risk.sale", { y: 5 }), p(r.forced_sale_within_5y_pct)],
        [t("cw.risk.arrears", { y: 10 }), p(r.arrears_within_10y_pct)],
        [t("cw.risk.sale", { y: 10 }), p(r.forced_sale_within_10y_pct)],
        [t("cw.risk.loss"), `${kr(r.expected_loss.total.value)} (${kr(r.expected_loss.kommune.value)})`],
      ].flatMap(([term, v]) => [el("dt", {}, term), el("dd", {}, v)])),
      el("p", { class: "hint" }, t("cw.risk.hint")),
    );
  } catch (error) {
    showProblem(host, error);
  } finally {
    setBusy(button, false);
  }
}

function renderRisk() {
  if (!last.scheduleRequest) return null;
  const host = el("div", { id: "risk-body", "aria-live": "polite" });
  const button = el("button", { type: "button", class: "secondary", id: "show-risk" }, t("cw.risk.button"));
  button.addEventListener("click", () => showRisk(button, host));
  return el("section", { class: "panel", "aria-label": t("cw.risk.button") }, button, host);
}

// ----- Start ------------------------------------------------------------------------------------------------

document.getElementById("add-member").addEventListener("click", () => {
  addMember().querySelector("input").focus();
});
document.getElementById("add-debt").addEventListener("click", () => {
  addDebt().querySelector("input").focus();
});
document.getElementById("print").addEventListener("click", () => window.print());
// The figures calculated here become a stored case (POST /v1/cases), opened on the cases page to assess and decide.
document.getElementById("save-case").addEventListener("click", async (ev) => {
  const button = ev.currentTarget;
  const saveStatus = document.getElementById("save-status");
  setBusy(button, true);
  saveStatus.textContent = t("cw.save_case.saving");
  try {
    const { affordability, plan } = last.request;
    const application = { purpose: plan ? "purchase" : "financing_certificate", affordability };
    if (plan) application.financing_plan = plan;
    const reference = document.getElementById("case-ref").value.trim();
    const { body: created } = await api("/v1/cases", {
      role: "caseworker", json: { ...(reference ? { reference } : {}), application },
    });
    location.href = `cases.html#case=${encodeURIComponent(created.id)}`;
  } catch (error) {
    saveStatus.textContent = "";
    showProblem(results, error);
  } finally {
    setBusy(button, false);
  }
});
form.addEventListener("submit", calculate);

// ----- The two calculators: betjeningsevne for a given loan, nedbetalingstid -------------------------------

async function calculator(ev, formId, buttonId, outId, request, show) {
  ev.preventDefault();
  const root = document.getElementById(formId);
  clearErrors(root);
  const button = document.getElementById(buttonId);
  const out = document.getElementById(outId);
  setBusy(button, true);
  out.className = "status";
  out.textContent = t("app.busy");
  try {
    const [path, json] = request();
    const answer = (await api(path, { json, role: "caseworker" })).body;
    out.className = "status ok";
    out.textContent = show(answer);
  } catch (error) {
    out.textContent = "";
    showProblem(root, error);
  } finally {
    setBusy(button, false);
  }
}

document.getElementById("ds-form").addEventListener("submit", (ev) => calculator(ev, "ds-form", "ds-run", "ds-out",
  () => {
    const { affordability } = requests();
    return ["/v1/debt-service", { ...affordability, loan_amount: value("ds-amount") }];
  },
  (a) => t(a.surplus_monthly >= 0 ? "cw.calc.surplus" : "cw.calc.deficit", {
    amount: kr(Math.abs(a.surplus_monthly)), payment: kr(a.monthly_payment_at_stress), rate: pct(a.stress_rate),
  })));
document.getElementById("rp-form").addEventListener("submit", (ev) => calculator(ev, "rp-form", "rp-run", "rp-out",
  () => ["/v1/repayment-period", {
    principal: value("rp-principal"), annual_rate: value("rp-rate"), instalment: value("rp-instalment"),
  }],
  (r) => t("cw.calc.period", { months: r.months, years: num(r.years, 1), last: kr(r.last_payment),
    interest: kr(r.total_interest) })));
i18n.onChange(() => {
  renumber();
  render();
});
addMember();
await initPage({ role: "caseworker" });
// The case file's kommune defaults to the key's (GET /v1/me); the caseworker's name is remembered in this tab.
const worker = document.getElementById("case-worker");
worker.value = sessionStorage.getItem("loan_engine.caseworker") || "";
worker.addEventListener("change", () => sessionStorage.setItem("loan_engine.caseworker", worker.value.trim()));
api("/v1/me", { role: "caseworker" }).then(({ body: me }) => {
  const kommune = document.getElementById("case-kommune");
  if (!kommune.value) kommune.value = me.kommune_number;
}).catch(() => {});
renumber();
window.loanEngineCaseworker = { requests, yearly, riskRequest: () => last && last.riskRequest };
