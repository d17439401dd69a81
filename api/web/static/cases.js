// Cases page for caseworkers: the kommune's case list with filters, and one case at a time — assess it
// (POST /v1/cases/{id}/assessments), decide it (POST …/decision, with the written frarådning when the calculation
// advises against the loan), then either register an appeal (…/appeal) or the payout (…/payout), and read the
// audit trail (…/audit). Everything comes from the same public API; the page only formats it.

import { api, clearErrors, el, figure, initPage, inputNumber, kr, setBusy, showProblem } from "./app.js";
import * as i18n from "./i18n.js";
import { t } from "./i18n.js";

i18n.register({
  nb: {
    "cases.title": "Saker om startlån",
    "cases.status.draft": "Utkast",
    "cases.status.assessed": "Vurdert",
    "cases.status.decided": "Vedtak fattet",
    "cases.status.appealed": "Påklaget",
    "cases.status.paid_out": "Utbetalt",
    "cases.status.expired": "Utløpt",
    "cases.purpose.purchase": "Kjøp av bolig",
    "cases.purpose.refinance": "Refinansiering",
    "cases.purpose.financing_certificate": "Finansieringsbevis",
    "cases.none": "Ingen saker med disse valgene.",
    "cases.found": "{n} saker vist.",
    "cases.found_one": "1 sak vist.",
    "cases.open": "Åpne sak {ref}",
    "cases.no_ref": "(uten saksnummer)",
    "cases.case": "Sak {ref}",
    "cases.loaded": "Saken er hentet (versjon {version}).",
    "cases.f.status": "Status",
    "cases.f.version": "Versjon",
    "cases.f.purpose": "Formål",
    "cases.f.requested": "Omsøkt startlån",
    "cases.f.income": "Netto inntekt per måned",
    "cases.f.household": "Husstand",
    "cases.f.persons": "{n} personer",
    "cases.f.price": "Kjøpesum",
    "cases.f.created": "Opprettet",
    "cases.f.updated": "Sist endret",
    "cases.calc.title": "Vurderinger",
    "cases.calc.caption": "Lagrede beregninger, eldste først",
    "cases.calc.when": "Tidspunkt",
    "cases.calc.kind": "Beregning",
    "cases.calc.ps": "Parametersett",
    "cases.calc.serviceable": "Betjeningsevne",
    "cases.calc.max_loan": "Maksimalt lån",
    "cases.calc.none": "Saken er ikke vurdert ennå.",
    "cases.kind.affordability": "Betjeningsevne",
    "cases.kind.financing-plan": "Finansieringsplan",
    "cases.ps_version": "{id}, versjon {version}",
    "cases.yes": "Ja",
    "cases.no": "Nei",
    "cases.assess.title": "Vurder saken",
    "cases.assess.kind": "Beregning",
    "cases.assess.button": "Vurder med parametersettet som gjelder",
    "cases.assess.done": "Saken er vurdert: maksimalt lån {max}.",
    "cases.decide.title": "Vedtak",
    "cases.decide.outcome": "Utfall",
    "cases.outcome.granted": "Innvilget",
    "cases.outcome.refused": "Avslått",
    "cases.decide.loan": "Startlån (kr)",
    "cases.decide.grant": "Tilskudd (kr)",
    "cases.decide.term": "Nedbetalingstid (år)",
    "cases.decide.rate_type": "Rentetype",
    "cases.decide.fixation": "Bindingstid (år, ved fast rente)",
    "cases.decide.repayment": "Nedbetaling",
    "cases.rate.floating": "Flytende",
    "cases.rate.fixed": "Fast",
    "cases.repayment.annuity": "Annuitet",
    "cases.repayment.serial": "Serielån",
    "cases.decide.conditions": "Vilkår (ett per linje)",
    "cases.decide.reason": "Begrunnelse",
    "cases.decide.fraradning": "Frarådning (finansavtaleloven § 3-54)",
    "cases.decide.fraradning_hint": "Skriftlig råd mot lånet, som kunden får. Kreves når lånet innvilges mot beregningens råd.",
    "cases.advice.against": "Beregningen fraråder dette lånet: {why}. Innvilges det likevel, må frarådningen skrives.",
    "cases.advice.not_serviceable": "husstanden har ikke betjeningsevne",
    "cases.advice.over_max": "lånet er større enn maksimalt lån ({max})",
    "cases.advice.ok": "Lånet er innenfor beregningens råd.",
    "cases.decide.button": "Fatt vedtak",
    "cases.decide.done": "Vedtaket er lagret.",
    "cases.decisions.title": "Vedtak i saken",
    "cases.decision.line": "Vedtak {n}: {outcome}, {when}",
    "cases.decision.loan": "Startlån",
    "cases.decision.grant": "Tilskudd",
    "cases.decision.reason": "Begrunnelse",
    "cases.decision.against": "Mot beregningens råd",
    "cases.decision.fraradning": "Frarådning",
    "cases.decision.valid_until": "Tilsagnet gjelder til",
    "cases.decision.appeal_deadline": "Klagefrist",
    "cases.next.title": "Videre: klage eller utbetaling",
    "cases.next.lead": "Etter vedtaket går saken én av to veier: kunden klager på vedtaket, eller tilsagnet brukes og lånet utbetales. Registrer det som skjedde.",
    "cases.appeal.title": "Klage",
    "cases.appeal.reason": "Hva klagen gjelder",
    "cases.appeal.received": "Mottatt",
    "cases.appeal.button": "Registrer klage",
    "cases.appeal.done": "Klagen er registrert. Saken må avgjøres på nytt.",
    "cases.appeal.shown": "Klage mottatt {when}: {reason}",
    "cases.payout.title": "Utbetaling",
    "cases.payout.amount": "Beløp (kr, tomt: innvilget lån)",
    "cases.payout.date": "Utbetalt dato",
    "cases.payout.button": "Registrer utbetaling",
    "cases.payout.done": "Utbetalingen er registrert.",
    "cases.payout.shown": "Utbetalt {amount} {when}.",
    "cases.payout.refused": "Vedtaket er avslag; det er ingenting å utbetale. Kunden kan klage.",
    "cases.final": "Saken er avsluttet ({status}).",
    "cases.audit.title": "Sakens logg",
    "cases.audit.caption": "Hvem gjorde hva, og når",
    "cases.audit.when": "Tidspunkt",
    "cases.audit.who": "Rolle",
    "cases.audit.what": "Hendelse",
    "cases.audit.status": "Status etter",
    "cases.action.case.create": "Sak opprettet",
    "cases.action.case.assess": "Vurdert",
    "cases.action.case.decide": "Vedtak fattet",
    "cases.action.case.appeal": "Klage registrert",
    "cases.action.case.payout": "Utbetaling registrert",
    "cases.action.case.expire": "Tilsagn utløpt",
    "cases.role.caseworker": "saksbehandler",
    "cases.role.admin": "administrator",
    "cases.role.finance": "økonomi",
    "cases.role.system": "systemet",
    "cases.back": "Tilbake til sakslisten",
  },
  en: {
    "nav.cases": "Cases",
    "cases.title": "Startlån cases",
    "cases.lead": "Find a case, open it, assess it with the parameter set in force, decide it, and register an appeal or the payout. Every change is in the case's audit trail.",
    "cases.list": "Case list",
    "cases.filter.status": "Status",
    "cases.filter.all": "All",
    "cases.filter.from": "Created from",
    "cases.filter.to": "Created to",
    "cases.filter.search": "Show cases",
    "cases.table.caption": "Cases, newest first",
    "cases.col.reference": "Case reference",
    "cases.col.status": "Status",
    "cases.col.purpose": "Purpose",
    "cases.col.created": "Created",
    "cases.col.updated": "Last changed",
    "cases.more": "Show more",
    "cases.status.draft": "Draft",
    "cases.status.assessed": "Assessed",
    "cases.status.decided": "Decided",
    "cases.status.appealed": "Appealed",
    "cases.status.paid_out": "Paid out",
    "cases.status.expired": "Expired",
    "cases.purpose.purchase": "Purchase",
    "cases.purpose.refinance": "Refinancing",
    "cases.purpose.financing_certificate": "Financing certificate",
    "cases.none": "No cases match.",
    "cases.found": "{n} cases shown.",
    "cases.found_one": "1 case shown.",
    "cases.open": "Open case {ref}",
    "cases.no_ref": "(no reference)",
    "cases.case": "Case {ref}",
    "cases.loaded": "Case loaded (version {version}).",
    "cases.f.status": "Status",
    "cases.f.version": "Version",
    "cases.f.purpose": "Purpose",
    "cases.f.requested": "Startlån applied for",
    "cases.f.income": "Net income per month",
    "cases.f.household": "Household",
    "cases.f.persons": "{n} persons",
    "cases.f.price": "Price",
    "cases.f.created": "Created",
    "cases.f.updated": "Last changed",
    "cases.calc.title": "Assessments",
    "cases.calc.caption": "Stored calculations, oldest first",
    "cases.calc.when": "When",
    "cases.calc.kind": "Calculation",
    "cases.calc.ps": "Parameter set",
    "cases.calc.serviceable": "Can carry the loan",
    "cases.calc.max_loan": "Maximum loan",
    "cases.calc.none": "The case has not been assessed yet.",
    "cases.kind.affordability": "Affordability",
    "cases.kind.financing-plan": "Financing plan",
    "cases.ps_version": "{id}, version {version}",
    "cases.yes": "Yes",
    "cases.no": "No",
    "cases.assess.title": "Assess the case",
    "cases.assess.kind": "Calculation",
    "cases.assess.button": "Assess with the parameter set in force",
    "cases.assess.done": "The case is assessed: maximum loan {max}.",
    "cases.decide.title": "Decision",
    "cases.decide.outcome": "Outcome",
    "cases.outcome.granted": "Granted",
    "cases.outcome.refused": "Refused",
    "cases.decide.loan": "Startlån (NOK)",
    "cases.decide.grant": "Grant (NOK)",
    "cases.decide.term": "Term (years)",
    "cases.decide.rate_type": "Rate type",
    "cases.decide.fixation": "Fixation (years, fixed rate)",
    "cases.decide.repayment": "Repayment",
    "cases.rate.floating": "Floating",
    "cases.rate.fixed": "Fixed",
    "cases.repayment.annuity": "Annuity",
    "cases.repayment.serial": "Serial",
    "cases.decide.conditions": "Conditions (one per line)",
    "cases.decide.reason": "Grounds",
    "cases.decide.fraradning": "Advice against (finansavtaleloven § 3-54)",
    "cases.decide.fraradning_hint": "Written advice against the loan, given to the customer. Required when the loan is granted against the calculation's advice.",
    "cases.advice.against": "The calculation advises against this loan: {why}. If it is granted anyway, the advice against must be written.",
    "cases.advice.not_serviceable": "the household cannot carry the loan",
    "cases.advice.over_max": "the loan is larger than the maximum loan ({max})",
    "cases.advice.ok": "The loan is within the calculation's advice.",
    "cases.decide.button": "Decide",
    "cases.decide.done": "The decision is stored.",
    "cases.decisions.title": "Decisions in the case",
    "cases.decision.line": "Decision {n}: {outcome}, {when}",
    "cases.decision.loan": "Startlån",
    "cases.decision.grant": "Grant",
    "cases.decision.reason": "Grounds",
    "cases.decision.against": "Against the calculation's advice",
    "cases.decision.fraradning": "Advice against",
    "cases.decision.valid_until": "Promise holds until",
    "cases.decision.appeal_deadline": "Appeal deadline",
    "cases.next.title": "Next: appeal or payout",
    "cases.next.lead": "After the decision the case goes one of two ways: the customer appeals, or the promise is used and the loan paid out. Register what happened.",
    "cases.appeal.title": "Appeal",
    "cases.appeal.reason": "What the appeal is about",
    "cases.appeal.received": "Received",
    "cases.appeal.button": "Register appeal",
    "cases.appeal.done": "The appeal is registered. The case must be decided again.",
    "cases.appeal.shown": "Appeal received {when}: {reason}",
    "cases.payout.title": "Payout",
    "cases.payout.amount": "Amount (NOK, empty: the granted loan)",
    "cases.payout.date": "Paid out on",
    "cases.payout.button": "Register payout",
    "cases.payout.done": "The payout is registered.",
    "cases.payout.shown": "Paid out {amount} on {when}.",
    "cases.payout.refused": "The decision is a refusal; there is nothing to pay out. The customer may appeal.",
    "cases.final": "The case is closed ({status}).",
    "cases.audit.title": "Audit trail",
    "cases.audit.caption": "Who did what, and when",
    "cases.audit.when": "When",
    "cases.audit.who": "Role",
    "cases.audit.what": "Event",
    "cases.audit.status": "Status after",
    "cases.action.case.create": "Case created",
    "cases.action.case.assess": "Assessed",
    "cases.action.case.decide": "Decided",
    "cases.action.case.appeal": "Appeal registered",
    "cases.action.case.payout": "Payout registered",
    "cases.action.case.expire": "Promise expired",
    "cases.role.caseworker": "caseworker",
    "cases.role.admin": "admin",
    "cases.role.finance": "finance",
    "cases.role.system": "the system",
    "cases.back": "Back to the case list",
  },
});

const filterForm = document.getElementById("filter-form");
const tbody = document.querySelector("#cases-table tbody");
const more = document.getElementById("more");
const listStatus = document.getElementById("list-status");
const caseSection = document.getElementById("case-section");
const caseBody = document.getElementById("case-body");
const caseStatus = document.getElementById("case-status");
const ROLE = "caseworker";

let nextCursor = null;
let listed = [];
let current = null; // CaseOut
let audit = [];

// ----- Formatting ------------------------------------------------------------------------------------------

/** "1. des. 2026" (nb) / "1 Dec 2026" (en): dates as people read them, never an ISO string that wraps. */
function day(iso) {
  if (!iso) return "–";
  const d = new Date(iso.length === 10 ? `${iso}T12:00:00` : iso);
  return d.toLocaleDateString(i18n.locale(), { day: "numeric", month: "short", year: "numeric" });
}

function when(iso) {
  if (!iso) return "–";
  const d = new Date(iso);
  return `${day(iso)} ${d.toLocaleTimeString(i18n.locale(), { hour: "2-digit", minute: "2-digit" })}`;
}

const ref = (c) => c.reference || t("cases.no_ref");
const statusText = (s) => t(`cases.status.${s}`);
const latestCalc = () => (current?.calculations?.length ? current.calculations[current.calculations.length - 1] : null);
const latestDecision = () => (current?.decisions?.length ? current.decisions[current.decisions.length - 1] : null);

// ----- The list ----------------------------------------------------------------------------------------------

function listQuery() {
  const q = new URLSearchParams({ limit: "20" });
  const status = document.getElementById("f-status").value;
  const from = document.getElementById("f-from").value;
  const to = document.getElementById("f-to").value;
  if (status) q.set("status", status);
  if (from) q.set("created_from", from);
  if (to) q.set("created_to", to);
  if (nextCursor) q.set("cursor", nextCursor);
  return q;
}

function renderList() {
  tbody.replaceChildren(...listed.map((c) => el("tr", { "data-case": c.id, "data-status": c.status },
    el("td", { class: "text" }, el("a", { href: `#case=${c.id}`, "aria-label": t("cases.open", { ref: ref(c) }),
      "data-open": c.id }, ref(c))),
    el("td", { class: "text" }, statusText(c.status)),
    el("td", { class: "text" }, c.purpose ? t(`cases.purpose.${c.purpose}`) : "–"),
    el("td", {}, day(c.created_at)),
    el("td", {}, day(c.updated_at)))));
  listStatus.textContent = !listed.length ? t("cases.none")
    : listed.length === 1 ? t("cases.found_one") : t("cases.found", { n: listed.length });
  more.hidden = !nextCursor;
}

async function loadList({ append = false } = {}) {
  clearErrors(filterForm);
  if (!append) nextCursor = null;
  const button = document.getElementById("search");
  setBusy(button, true);
  try {
    const { body } = await api(`/v1/cases?${listQuery()}`, { role: ROLE });
    listed = append ? [...listed, ...body.items] : body.items;
    nextCursor = body.next_cursor;
    renderList();
  } catch (error) {
    showProblem(filterForm, error);
  } finally {
    setBusy(button, false);
  }
}

// ----- One case ----------------------------------------------------------------------------------------------

async function openCase(id, { focus = true, message = null } = {}) {
  try {
    const [{ body }, trail] = await Promise.all([
      api(`/v1/cases/${encodeURIComponent(id)}`, { role: ROLE }),
      api(`/v1/cases/${encodeURIComponent(id)}/audit`, { role: ROLE }),
    ]);
    current = body;
    audit = trail.body;
    caseSection.hidden = false;
    renderCase();
    caseStatus.textContent = message || t("cases.loaded", { version: current.version });
    if (message) loadList(); // the list shows the case's new status
    if (focus) document.getElementById("case-h").focus();
  } catch (error) {
    caseSection.hidden = false;
    caseBody.replaceChildren(el("form", {}));
    showProblem(caseBody.firstChild, error);
  }
}

function applicationFacts(c) {
  const a = c.application || {};
  const aff = a.affordability || {};
  const purchase = a.financing_plan?.purchase || aff.dwelling;
  return el("dl", { class: "pairs", id: "case-facts" },
    figure(t("cases.f.status"), c.status, statusText(c.status), { id: "c-status" }),
    figure(t("cases.f.version"), c.version, String(c.version), { id: "c-version" }),
    figure(t("cases.f.purpose"), a.purpose, a.purpose ? t(`cases.purpose.${a.purpose}`) : "–"),
    a.requested_loan != null ? figure(t("cases.f.requested"), a.requested_loan, kr(a.requested_loan)) : null,
    aff.income?.net_monthly != null ? figure(t("cases.f.income"), aff.income.net_monthly, kr(aff.income.net_monthly))
      : null,
    aff.household?.members ? figure(t("cases.f.household"), aff.household.members.length,
      t("cases.f.persons", { n: aff.household.members.length })) : null,
    purchase?.price != null ? figure(t("cases.f.price"), purchase.price, kr(purchase.price)) : null,
    figure(t("cases.f.created"), c.created_at, when(c.created_at)),
    figure(t("cases.f.updated"), c.updated_at, when(c.updated_at)));
}

function calculationsTable(c) {
  if (!c.calculations.length) return el("p", { id: "calc-none" }, t("cases.calc.none"));
  return el("div", { class: "table-scroll", tabindex: "0", role: "region", "aria-labelledby": "calc-caption" },
    el("table", { id: "calc-table" },
      el("caption", { id: "calc-caption" }, t("cases.calc.caption")),
      el("thead", {}, el("tr", {}, [t("cases.calc.when"), t("cases.calc.kind"), t("cases.calc.ps"),
        t("cases.calc.serviceable"), t("cases.calc.max_loan")].map((h, i) => el("th", { scope: "col",
        class: i > 0 && i < 4 ? "text" : null }, h)))),
      el("tbody", {}, c.calculations.map((k) => el("tr", { "data-calculation": k.id },
        el("td", {}, when(k.created_at)),
        el("td", { class: "text" }, t(`cases.kind.${k.kind}`)),
        el("td", { class: "text" }, t("cases.ps_version", { id: k.parameter_set.id, version: k.parameter_set.version })),
        el("td", { class: "text", "data-value": String(k.serviceable) },
          k.serviceable === null ? "–" : k.serviceable ? t("cases.yes") : t("cases.no")),
        el("td", { "data-value": k.max_loan }, kr(k.max_loan)))))));
}

function field(id, labelKey, control, hintKey = null) {
  const hintId = hintKey ? `${id}-hint` : null;
  if (hintId) control.setAttribute("aria-describedby", hintId);
  return el("div", { class: "field" }, el("label", { for: id }, t(labelKey)), control,
    hintKey ? el("p", { class: "hint", id: hintId }, t(hintKey)) : null);
}

function input(id, apiField, value = "", type = "text", extra = {}) {
  return el("input", { id, name: id, type, value: value ?? "", "data-field": apiField, ...extra });
}

function select(id, apiField, options, selected) {
  const s = el("select", { id, name: id, "data-field": apiField },
    options.map(([v, key]) => el("option", { value: v }, t(key))));
  s.value = selected;
  return s;
}

function textarea(id, apiField, rows = 3) {
  return el("textarea", { id, name: id, rows, "data-field": apiField, class: "wide" });
}

function assessForm(c) {
  const form = el("form", { id: "assess-form", novalidate: true, "aria-labelledby": "assess-h" },
    el("div", { class: "error-summary", role: "alert", tabindex: "-1", hidden: true }),
    el("h3", { id: "assess-h" }, t("cases.assess.title")),
    el("div", { class: "fields" }, field("assess-kind", "cases.assess.kind",
      select("assess-kind", "kind", [["affordability", "cases.kind.affordability"],
        ...(c.application?.financing_plan ? [["financing-plan", "cases.kind.financing-plan"]] : [])],
      c.application?.financing_plan ? "financing-plan" : "affordability"))),
    el("div", { class: "actions" }, el("button", { type: "submit", id: "assess" }, t("cases.assess.button"))));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const button = form.querySelector("button");
    setBusy(button, true);
    try {
      const { body } = await api(`/v1/cases/${current.id}/assessments`, {
        role: ROLE, json: { kind: form.querySelector("#assess-kind").value },
      });
      await openCase(current.id, { message: t("cases.assess.done", { max: kr(body.max_loan) }) });
    } catch (error) {
      showProblem(form, error);
    } finally {
      setBusy(button, false);
    }
  });
  return form;
}

/** The calculation's advice for a loan amount: null when within it, else the reasons it advises against. */
function adviceAgainst(calc, loan) {
  if (!calc || !(loan > 0)) return null;
  const why = [];
  if (calc.serviceable === false) why.push(t("cases.advice.not_serviceable"));
  if (calc.max_loan !== null && calc.max_loan !== undefined && loan > calc.max_loan) {
    why.push(t("cases.advice.over_max", { max: kr(calc.max_loan) }));
  }
  return why.length ? why.join("; ") : null;
}

function decisionForm(c) {
  const calc = latestCalc();
  const grant = calc?.result?.grant?.amount ?? 0;
  const planLoan = calc?.result?.grant ? calc.result.grant.loan_with_grant : null;
  const requested = c.application?.requested_loan ?? calc?.max_loan ?? "";
  const loanDefault = planLoan ?? requested;
  const advice = el("p", { class: "panel", id: "advice", role: "status", "aria-live": "polite" });
  const fraradningField = field("d-fraradning", "cases.decide.fraradning", textarea("d-fraradning", "fraradning", 4),
    "cases.decide.fraradning_hint");
  const form = el("form", { id: "decision-form", novalidate: true, "aria-labelledby": "decide-h" },
    el("div", { class: "error-summary", role: "alert", tabindex: "-1", hidden: true }),
    el("h3", { id: "decide-h" }, t("cases.decide.title")),
    el("fieldset", { "data-field": "outcome" }, el("legend", {}, t("cases.decide.outcome")),
      el("div", { class: "radio-row" },
        el("label", {}, el("input", { type: "radio", name: "outcome", value: "granted", id: "d-granted",
          checked: true }), ` ${t("cases.outcome.granted")}`),
        el("label", {}, el("input", { type: "radio", name: "outcome", value: "refused", id: "d-refused" }),
          ` ${t("cases.outcome.refused")}`))),
    el("div", { class: "fields", id: "granted-fields" },
      field("d-loan", "cases.decide.loan", input("d-loan", "loan_amount", loanDefault, "text",
        { inputmode: "decimal" })),
      field("d-grant", "cases.decide.grant", input("d-grant", "grant_amount", grant || 0, "text",
        { inputmode: "decimal" })),
      field("d-term", "cases.decide.term", input("d-term", "terms.term_years",
        calc?.request?.loan?.term_years ?? 30, "text", { inputmode: "numeric" })),
      field("d-rate-type", "cases.decide.rate_type", select("d-rate-type", "terms.rate_type",
        [["floating", "cases.rate.floating"], ["fixed", "cases.rate.fixed"]], "floating")),
      field("d-fixation", "cases.decide.fixation", input("d-fixation", "terms.fixation_years", "", "text",
        { inputmode: "numeric" })),
      field("d-repayment", "cases.decide.repayment", select("d-repayment", "terms.repayment",
        [["annuity", "cases.repayment.annuity"], ["serial", "cases.repayment.serial"]], "annuity"))),
    advice,
    field("d-conditions", "cases.decide.conditions", textarea("d-conditions", "conditions", 3)),
    field("d-reason", "cases.decide.reason", textarea("d-reason", "reason", 3)),
    fraradningField,
    el("div", { class: "actions" }, el("button", { type: "submit", id: "decide" }, t("cases.decide.button"))));
  const granted = () => form.querySelector("#d-granted").checked;
  const update = () => {
    form.querySelector("#granted-fields").hidden = !granted();
    const why = granted() ? adviceAgainst(calc, inputNumber(form.querySelector("#d-loan"))) : null;
    advice.dataset.against = String(Boolean(why));
    advice.textContent = why ? t("cases.advice.against", { why }) : t("cases.advice.ok");
    advice.classList.toggle("warn", Boolean(why));
    fraradningField.querySelector("textarea").required = Boolean(why);
    fraradningField.querySelector("textarea").setAttribute("aria-required", String(Boolean(why)));
  };
  form.addEventListener("input", update);
  form.addEventListener("change", update);
  update();
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const value = (id) => inputNumber(form.querySelector(id));
    const text = (id) => form.querySelector(id).value.trim();
    const body = { version: current.version, outcome: granted() ? "granted" : "refused", reason: text("#d-reason"),
      conditions: text("#d-conditions").split("\n").map((s) => s.trim()).filter(Boolean) };
    if (granted()) {
      body.loan_amount = value("#d-loan") ?? 0;
      body.grant_amount = value("#d-grant") ?? 0;
      body.terms = { term_years: value("#d-term"), rate_type: form.querySelector("#d-rate-type").value,
        repayment: form.querySelector("#d-repayment").value };
      if (value("#d-fixation") !== undefined) body.terms.fixation_years = value("#d-fixation");
    }
    if (text("#d-fraradning")) body.fraradning = text("#d-fraradning");
    const button = form.querySelector("#decide");
    setBusy(button, true);
    try {
      await api(`/v1/cases/${current.id}/decision`, { role: ROLE, json: body });
      await openCase(current.id, { message: t("cases.decide.done") });
    } catch (error) {
      showProblem(form, error);
    } finally {
      setBusy(button, false);
    }
  });
  return form;
}

function decisionsList(c) {
  if (!c.decisions.length) return null;
  return el("section", { "aria-labelledby": "decisions-h" },
    el("h3", { id: "decisions-h" }, t("cases.decisions.title")),
    el("ol", { id: "decisions" }, c.decisions.map((d) => el("li", { "data-outcome": d.outcome,
      "data-against-advice": String(d.against_advice) },
    el("strong", {}, t("cases.decision.line", { n: d.sequence, outcome: t(`cases.outcome.${d.outcome}`),
      when: when(d.decided_at) })),
    el("dl", { class: "pairs" },
      d.outcome === "granted" ? figure(t("cases.decision.loan"), d.loan_amount, kr(d.loan_amount)) : null,
      d.grant_amount ? figure(t("cases.decision.grant"), d.grant_amount, kr(d.grant_amount)) : null,
      figure(t("cases.decision.reason"), null, d.reason),
      d.against_advice ? figure(t("cases.decision.against"), true, t("cases.yes")) : null,
      d.fraradning ? figure(t("cases.decision.fraradning"), null, d.fraradning) : null,
      d.valid_until ? figure(t("cases.decision.valid_until"), d.valid_until, day(d.valid_until)) : null,
      figure(t("cases.decision.appeal_deadline"), d.appeal_deadline, day(d.appeal_deadline)))))));
}

function simpleForm(id, titleKey, fields, buttonKey, path, body, doneKey) {
  const form = el("form", { id, novalidate: true, "aria-labelledby": `${id}-h`, class: "alternative" },
    el("div", { class: "error-summary", role: "alert", tabindex: "-1", hidden: true }),
    el("h4", { id: `${id}-h` }, t(titleKey)),
    el("div", { class: "fields" }, fields),
    el("div", { class: "actions" }, el("button", { type: "submit", id: `${id}-submit` }, t(buttonKey))));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const button = form.querySelector("button");
    setBusy(button, true);
    try {
      await api(`/v1/cases/${current.id}/${path}`, { role: ROLE, json: { version: current.version, ...body(form) } });
      await openCase(current.id, { message: t(doneKey) });
    } catch (error) {
      showProblem(form, error);
    } finally {
      setBusy(button, false);
    }
  });
  return form;
}

function nextSteps() {
  const decision = latestDecision();
  const today = new Date().toISOString().slice(0, 10);
  const appeal = simpleForm("appeal-form", "cases.appeal.title", [
    field("a-reason", "cases.appeal.reason", textarea("a-reason", "reason", 3)),
    field("a-received", "cases.appeal.received", input("a-received", "received_on", today, "date")),
  ], "cases.appeal.button", "appeal", (f) => ({
    reason: f.querySelector("#a-reason").value.trim(),
    ...(f.querySelector("#a-received").value ? { received_on: f.querySelector("#a-received").value } : {}),
  }), "cases.appeal.done");
  const payout = decision?.outcome === "granted"
    ? simpleForm("payout-form", "cases.payout.title", [
      field("p-amount", "cases.payout.amount", input("p-amount", "amount", "", "text", { inputmode: "decimal" })),
      field("p-date", "cases.payout.date", input("p-date", "paid_out_on", today, "date")),
    ], "cases.payout.button", "payout", (f) => {
      const amount = inputNumber(f.querySelector("#p-amount"));
      const date = f.querySelector("#p-date").value;
      return { ...(amount !== undefined ? { amount } : {}), ...(date ? { paid_out_on: date } : {}) };
    }, "cases.payout.done")
    : el("p", { class: "panel", id: "payout-refused" }, t("cases.payout.refused"));
  return el("section", { "aria-labelledby": "next-h", id: "next-steps" },
    el("h3", { id: "next-h" }, t("cases.next.title")),
    el("p", {}, t("cases.next.lead")),
    el("div", { class: "alternatives" }, appeal, payout));
}

function auditTable() {
  return el("section", { "aria-labelledby": "audit-h" },
    el("h3", { id: "audit-h" }, t("cases.audit.title")),
    el("div", { class: "table-scroll", tabindex: "0", role: "region", "aria-labelledby": "audit-caption" },
      el("table", { id: "audit-table" },
        el("caption", { id: "audit-caption" }, t("cases.audit.caption")),
        el("thead", {}, el("tr", {}, [t("cases.audit.when"), t("cases.audit.who"), t("cases.audit.what"),
          t("cases.audit.status")].map((h, i) => el("th", { scope: "col", class: i ? "text" : null }, h)))),
        el("tbody", {}, audit.map((e) => el("tr", { "data-action": e.action },
          el("td", {}, when(e.at)),
          el("td", { class: "text" }, e.actor_role ? t(`cases.role.${e.actor_role}`) : t("cases.role.system")),
          el("td", { class: "text" }, t(`cases.action.${e.action}`) === `cases.action.${e.action}` ? e.action
            : t(`cases.action.${e.action}`)),
          el("td", { class: "text" }, e.after?.status ? statusText(e.after.status) : "–")))))));
}

function renderCase() {
  const c = current;
  document.getElementById("case-h").textContent = t("cases.case", { ref: ref(c) });
  const parts = [
    applicationFacts(c),
    el("h3", {}, t("cases.calc.title")),
    calculationsTable(c),
  ];
  if (c.status === "draft" || c.status === "assessed") parts.push(assessForm(c));
  if ((c.status === "assessed" || c.status === "appealed") && c.calculations.length) parts.push(decisionForm(c));
  parts.push(decisionsList(c));
  if (c.appeal) {
    parts.push(el("p", { class: "panel", id: "appeal-shown" },
      t("cases.appeal.shown", { when: day(c.appeal.received_at), reason: c.appeal.reason })));
  }
  if (c.status === "appealed" && !c.calculations.length) parts.push(assessForm(c));
  if (c.status === "decided") parts.push(nextSteps());
  if (c.payout) {
    parts.push(el("p", { class: "panel", id: "payout-shown" },
      t("cases.payout.shown", { amount: kr(c.payout.amount), when: day(c.payout.paid_out_at) })));
  }
  if (c.status === "paid_out" || c.status === "expired") {
    parts.push(el("p", { id: "case-final" }, t("cases.final", { status: statusText(c.status) })));
  }
  parts.push(auditTable(), el("p", {}, el("a", { href: "#", id: "back" }, t("cases.back"))));
  caseBody.replaceChildren(...parts.filter(Boolean));
  caseBody.querySelector("#back").addEventListener("click", (ev) => {
    ev.preventDefault();
    history.replaceState(null, "", location.pathname);
    caseSection.hidden = true;
    document.getElementById("list-h").scrollIntoView();
    loadList();
  });
}

// ----- Start -------------------------------------------------------------------------------------------------

function caseFromHash() {
  const match = location.hash.match(/^#case=([A-Za-z0-9_-]+)$/);
  return match ? match[1] : null;
}

filterForm.addEventListener("submit", (ev) => {
  ev.preventDefault();
  loadList();
});
more.addEventListener("click", () => loadList({ append: true }));
window.addEventListener("hashchange", () => {
  const id = caseFromHash();
  if (id) openCase(id);
});
i18n.onChange(() => {
  renderList();
  if (current) renderCase();
});
await initPage({ role: ROLE });
await loadList();
if (caseFromHash()) await openCase(caseFromHash());
window.loanEngineCases = { adviceAgainst, current: () => current };
