# ruff: noqa: N806  (S, L, T, A: scenarios, loans, months, assumptions — the model's notation)
"""The Numba Monte Carlo kernel: every loan, every month, every scenario — aggregated on the fly.

Loop order: ``prange`` over scenario chunks → scenario → month → loan. Per-loan state lives in workspaces that are
allocated once per chunk (not per scenario, never inside the month/loan loops); the Husbanken annuity-factor table
for the month's floating rate (and for the bank rate) is rebuilt only when that rate changes, so the inner loop has
no transcendental functions. Each scenario writes only its own output rows, which depend only on
(seed, global scenario index) — results are identical whatever the number of threads, chunk sizes or workers.

Per loan and month (see ``assumptions.py`` for every parameter):

1. Employment: a household member loses work with the scenario's monthly separation probability and finds work
   again with ``job_finding_rate``. Simulated exactly but event-driven: an employed household draws an
   exponential threshold ``E`` and loses work in the first month when the scenario's cumulative hazard
   ``H[t] = Σ −log(1 − p_sep)`` exceeds it (the same law as a monthly Bernoulli draw); an unemployed one draws a
   geometric spell length. The uniform for an event in month ``t`` is keyed by (seed, scenario, loan, t), so the
   inner loop only draws random numbers when something happens.
2. Due payment: interest at the customer rate (fixed until the fixation ends, then Husbanken floating + kommune
   margin) plus principal (annuity recomputed on the remaining term, serial, or none while interest-only or
   deferred). A prior bank loan (second priority) is paid first out of the household's means.
3. Capacity = net income (× replacement ratio when unemployed) − living costs − bank-loan payment. A household whose
   due payment exceeds its capacity *when employed* counts as "over capacity" (once per scenario).
4. If the household cannot pay: the kommune's measures come first — payment relief (instalments deferred, term
   extended) for up to ``relief_max_months``; interest the household cannot pay is capitalised (≤ 30 months, only
   while the loan stays adequately secured). What measures cannot cover is arrears. Arrears are cured (overdue
   amounts added to the loan) when a full payment is possible again; after ``arrears_months_to_sale`` months with
   unpaid amounts the dwelling is sold: proceeds = value × HPI × (1 − forced-sale discount) × (1 − sale costs),
   the senior bank loan first; the loss is split by :func:`loss_split.split_loss`.
5. Book-keeping for the kommune's net interest margin: interest received, Husbanken funding cost on the
   outstanding book at the kommune's own funding rate (its mix of floating and fixed Husbanken borrowing,
   ``engine.funding_rate``), average balance.

6. At the horizon, a loan still *unresolved* — in arrears, or in a measure in its last month — is followed through
   a run-off (the path arrays run ``runoff`` months past the horizon: the scenario's own rates and house prices):
   it cures (no loss) or is realised by the same rules (forced sale / gjeldsordning, tapsdeling); one still
   unresolved at the end of the run-off is valued as sold then. Every other loan leaves the simulation at the
   horizon, and nothing after the horizon enters the yearly figures. These losses are included in the scenario's
   loss (so in expected loss and the quantiles) and reported on their own line ("unresolved at horizon").
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba import njit, prange

from loan_engine.portfolio.loss_split import split_loss
from loan_engine.portfolio.rng import (
    STREAM_DWELLING,
    STREAM_LIFE,
    STREAM_LOANS,
    STREAM_PREPAY,
    loan_key,
    mix64,
    month_tweak,
    scenario_key,
    to_unit,
    to_unit_open,
)
from loan_engine.underwriting.rules import present_value_factor_log_scalar, present_value_factor_scalar


@njit(inline="always", cache=True)
def _spell(u: float, log_stay: float) -> float:
    """Geometric unemployment spell (months ≥ 1) from a uniform in (0, 1]: P(D > k) = (1 − f)^k."""
    if log_stay == -math.inf:
        return 1.0
    d = math.ceil(math.log(u) / log_stay)
    return d if d >= 1.0 else 1.0


@njit(inline="always", cache=True)
def payment_per_krone(rm: float, n: int) -> float:
    """Level payment per krone of balance over ``n`` months at monthly rate ``rm``: the reciprocal of the
    underwriting rules' annuity factor (:func:`loan_engine.underwriting.rules.present_value_factor`)."""
    return 1.0 / present_value_factor_scalar(rm, float(n))


@njit(inline="always", cache=True)
def payment_per_krone_log(rm: float, log1p_rm: float, n: int) -> float:
    """``payment_per_krone(rm, n)`` given ``log1p(rm)`` (computed once per rate, not per loan and month): the
    reciprocal of the rules' annuity factor, from the same definition, so the same bits."""
    return 1.0 / present_value_factor_log_scalar(rm, log1p_rm, float(n))


@njit(inline="always", cache=True)
def fill_annuity_table(af: np.ndarray, rm: float) -> None:
    """af[k] = payment per krone for k remaining months at monthly rate rm: ``payment_per_krone`` tabulated by
    recurrence (no transcendentals in the inner loop)."""
    af[0] = 0.0
    if rm == 0.0:
        for k in range(1, af.shape[0]):
            af[k] = 1.0 / k
        return
    v = 1.0 / (1.0 + rm)
    vk = 1.0
    for k in range(1, af.shape[0]):
        vk *= v
        af[k] = rm / (1.0 - vk)


@njit(cache=True)
def _one_scenario(
    j: int,
    s: int,
    seed: int,
    bal0: np.ndarray,
    n0: np.ndarray,
    serial: np.ndarray,
    fixed: np.ndarray,
    fixed_rm: np.ndarray,
    fix_end: np.ndarray,
    io0: np.ndarray,
    income: np.ndarray,
    living: np.ndarray,
    value0: np.ndarray,
    prior0: np.ndarray,
    arr0: np.ndarray,
    overdue0: np.ndarray,
    rg: np.ndarray,
    hb: np.ndarray,
    bank_rate: np.ndarray,
    hpi: np.ndarray,
    cumhaz: np.ndarray,
    inc_idx: np.ndarray,
    cost_idx: np.ndarray,
    fund_rate: np.ndarray,
    rfac: np.ndarray,
    fparams: np.ndarray,
    iparams: np.ndarray,
    # workspace
    b: np.ndarray,
    bb: np.ndarray,
    n: np.ndarray,
    io: np.ndarray,
    payfx: np.ndarray,
    emp: np.ndarray,
    nxt: np.ndarray,
    alive: np.ndarray,
    relief_used: np.ndarray,
    capm: np.ndarray,
    arr: np.ndarray,
    overdue: np.ndarray,
    keyl: np.ndarray,
    ocflag: np.ndarray,
    arr_year: np.ndarray,
    rel_year: np.ndarray,
    trouble: np.ndarray,
    vm: np.ndarray,
    life_m: np.ndarray,
    go: np.ndarray,
    ep: np.ndarray,
    hp: np.ndarray,
    af_f: np.ndarray,
    af_b: np.ndarray,
    # outputs
    loss_tot: np.ndarray,
    loss_k: np.ndarray,
    loss_st: np.ndarray,
    loss_unres: np.ndarray,
    n_unres: np.ndarray,
    overcap: np.ndarray,
    defaults: np.ndarray,
    arrears: np.ndarray,
    active: np.ndarray,
    relief: np.ndarray,
    int_income: np.ndarray,
    funding: np.ndarray,
    avg_bal: np.ndarray,
    settlements: np.ndarray,
    prepaid: np.ndarray,
    loan_loss: np.ndarray,
) -> None:
    margin = fparams[0]
    repl = fparams[1]
    find = fparams[2]
    log_stay = math.log(1.0 - find) if find < 1.0 else -math.inf
    cap_ltv = fparams[3]
    keep_sale = (1.0 - fparams[4]) * (1.0 - fparams[5])
    real_costs = fparams[6]
    share = fparams[7]
    relief_max = iparams[0]
    cap_max = iparams[1]
    to_sale = iparams[2]
    window = iparams[3]
    rec = iparams[4] == 1
    sd_d = fparams[8]
    lam_m = fparams[9] / 12.0
    life_f = fparams[10]
    pre_base = fparams[11] / 12.0
    refi_max = fparams[12] / 12.0
    refi_ltv = fparams[13]
    refi_band = fparams[14]
    refi_inc = fparams[15]
    p_go = fparams[16]
    prepay_on = pre_base > 0.0 or refi_max > 0.0
    L = bal0.shape[0]
    T = hb.shape[1]  # horizon + run-off months
    T_h = iparams[5] if iparams[5] > 0 else T
    lu = 0.0
    nu = 0
    # Very small books (one household): a table rebuild per rate change costs more than one factor per loan.
    direct = af_f.shape[0] > L * 8
    key = scenario_key(seed, s, STREAM_LOANS)
    key_d = scenario_key(seed, s, STREAM_DWELLING)
    key_life = scenario_key(seed, s, STREAM_LIFE)
    key_p = scenario_key(seed, s, STREAM_PREPAY)
    for i in range(L):
        b[i] = bal0[i]
        bb[i] = prior0[i]
        n[i] = n0[i]
        io[i] = io0[i]
        payfx[i] = -1.0
        emp[i] = 1
        alive[i] = 1
        relief_used[i] = 0
        capm[i] = 0
        arr[i] = arr0[i]
        overdue[i] = overdue0[i]
        keyl[i] = loan_key(key, i)
        nxt[i] = -math.log(to_unit_open(mix64(keyl[i] ^ month_tweak(0))))
        ocflag[i] = 0
        arr_year[i] = -1
        rel_year[i] = -1
        trouble[i] = 0
        # The dwelling's own value around the index (log-normal spread, mean 1).
        if sd_d > 0.0:
            kd = loan_key(key_d, i)
            u1 = to_unit_open(mix64(kd ^ month_tweak(0)))
            u2 = to_unit(mix64(kd ^ month_tweak(1)))
            z = math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)
            vm[i] = value0[i] * math.exp(sd_d * z - 0.5 * sd_d * sd_d)
        else:
            vm[i] = value0[i]
        # Permanent income loss (illness, divorce, disability): first month at exponential waiting time.
        kl = loan_key(key_life, i)
        life_m[i] = -math.log(to_unit_open(mix64(kl ^ month_tweak(0)))) / lam_m if lam_m > 0.0 else math.inf
        go[i] = 1 if to_unit(mix64(kl ^ month_tweak(1))) < p_go else 0
        # Prepayment / refinancing: event when the loan's cumulative hazard passes an exponential threshold.
        ep[i] = -math.log(to_unit_open(mix64(loan_key(key_p, i) ^ month_tweak(0))))
        hp[i] = 0.0
    hc = 0.0
    last_hb = np.nan
    lg_f = 0.0  # log1p of the month's floating rate (direct factors), recomputed only when that rate changes
    last_bk = np.nan
    lt = 0.0
    lk = 0.0
    ls = 0.0
    oc = 0
    for t in range(T):
        y = t // 12
        inside = t < T_h
        if t == T_h:
            # Run-off: only the loans unresolved at the horizon go on.
            for i in range(L):
                if alive[i] == 1:
                    if arr[i] == 0 and trouble[i] == 0:
                        alive[i] = 0
                    else:
                        nu += 1
        hbm = hb[j, t]
        rmf = (hbm + margin) / 12.0
        if hbm != last_hb:
            if direct:
                lg_f = math.log1p(rmf)
            else:
                fill_annuity_table(af_f, rmf)
            last_hb = hbm
        bkm = bank_rate[j, t]
        rb = bkm / 12.0
        if bkm != last_bk and not direct:
            fill_annuity_table(af_b, rb)
            last_bk = bkm
        h = hpi[j, t]
        hc = cumhaz[j, t]
        ii = inc_idx[j, t]
        ci = cost_idx[j, t]
        book = 0.0
        paid_int = 0.0
        act = 0
        for i in range(L):
            if alive[i] == 0:
                continue
            act += 1
            bi = b[i]
            book += bi
            if emp[i] == 1:
                if hc >= nxt[i]:
                    emp[i] = 0
                    u = to_unit_open(mix64(keyl[i] ^ month_tweak(t + 1)))
                    nxt[i] = t + _spell(u, log_stay)
            elif t >= nxt[i]:
                emp[i] = 1
                u = to_unit_open(mix64(keyl[i] ^ month_tweak(t + 1)))
                nxt[i] = hc - math.log(u)
            ni = n[i]
            fixed_now = t < fix_end[i]  # 0 for floating loans
            rm = fixed_rm[i] if fixed_now else rmf
            interest = bi * rm
            if io[i] > 0:
                prin = 0.0
            elif serial[i] == 1:
                prin = bi / ni
            elif fixed_now:
                if payfx[i] < 0.0:
                    payfx[i] = bi * payment_per_krone(rm, ni)
                prin = payfx[i] - interest
            else:
                prin = bi * (payment_per_krone_log(rmf, lg_f, ni) if direct else af_f[ni]) - interest
            due = interest + prin
            bdue = 0.0
            bbi = bb[i]
            if bbi > 0.0:
                bdue = bbi * (payment_per_krone(rb, ni) if direct else af_b[ni])
                bb[i] = bbi - (bdue - bbi * rb)
            gross = income[i] * ii
            if t >= life_m[i]:
                gross *= life_f
            cap = gross - living[i] * ci - bdue
            if due > cap and ocflag[i] == 0 and inside:
                ocflag[i] = 1
                oc += 1
            if emp[i] == 0:
                cap -= (1.0 - repl) * gross
            if due <= cap:
                trouble[i] = 0
                paid_int += interest
                bi -= prin
                ni -= 1
                if io[i] > 0:
                    io[i] -= 1
                if arr[i] > 0:
                    bi += overdue[i]
                    overdue[i] = 0.0
                    arr[i] = 0
                    payfx[i] = -1.0
                if ni == 0:
                    alive[i] = 0
                    bi = 0.0
                elif prepay_on:
                    # Prepayment and refinancing to a bank: faster when the loan is well secured and incomes
                    # have grown (not after a permanent income loss).
                    hz = pre_base
                    if t < life_m[i]:
                        ltv = (bi + bb[i]) / (vm[i] * (h * rfac[j, rg[i], t]))
                        fl = (refi_ltv - ltv) / refi_band
                        fl = 0.0 if fl < 0.0 else (1.0 if fl > 1.0 else fl)
                        fi = (ii / ci - 1.0) / refi_inc
                        fi = 0.0 if fi < 0.0 else (1.0 if fi > 1.0 else fi)
                        hz += refi_max * fl * fi
                    hp[i] += hz
                    if hp[i] >= ep[i]:
                        alive[i] = 0
                        if inside:
                            prepaid[j, y] += 1
                        bi = 0.0
                b[i] = bi
                n[i] = ni
            else:
                avail = cap if cap > 0.0 else 0.0
                pay_i = interest if avail >= interest else avail
                paid_int += pay_i
                unpaid = interest - pay_i
                payfx[i] = -1.0
                trouble[i] = 1
                if relief_used[i] < relief_max:
                    relief_used[i] += 1
                    if rel_year[i] != y and inside:
                        rel_year[i] = y
                        relief[j, y] += 1
                    if unpaid > 0.0:
                        if capm[i] < cap_max and bi + unpaid + bb[i] <= cap_ltv * vm[i] * (h * rfac[j, rg[i], t]):
                            bi += unpaid
                            capm[i] += 1
                        else:
                            arr[i] += 1
                            overdue[i] += unpaid
                else:
                    arr[i] += 1
                    overdue[i] += unpaid
                b[i] = bi
                if arr[i] > 0 and arr_year[i] != y and inside:
                    arr_year[i] = y
                    arrears[j, y] += 1
                if arr[i] >= to_sale:
                    months = arr[i] if arr[i] < window else window
                    elig = months * interest
                    if elig > overdue[i]:
                        elig = overdue[i]
                    if go[i] == 1:
                        # Gjeldsordning instead of a sale: the household keeps the dwelling, the claim beyond its
                        # market value (after the senior bank loan) is written off — a loss event for tapsdeling
                        # (completed gjeldsordning without realisation), no sale discount or costs.
                        sale = vm[i] * (h * rfac[j, rg[i], t])
                        to_bank = sale if sale < bb[i] else bb[i]
                        res = split_loss(bi, elig, overdue[i] - elig, sale - to_bank, share)
                        if inside:
                            settlements[j, y] += 1
                    else:
                        sale = vm[i] * (h * rfac[j, rg[i], t]) * keep_sale
                        to_bank = sale if sale < bb[i] else bb[i]
                        res = split_loss(bi, elig + real_costs, overdue[i] - elig, sale - to_bank, share)
                        if inside:
                            defaults[j, y] += 1
                    if not inside:
                        lu += res[0]
                    lt += res[0]
                    lk += res[1]
                    ls += res[2]
                    if rec:
                        loan_loss[j, i] += res[0]
                    alive[i] = 0
        if inside:
            if t % 12 == 0:
                active[j, y] = act
            int_income[j, y] += paid_int
            funding[j, y] += book * fund_rate[j, t] / 12.0
            avg_bal[j, y] += book / 12.0
        if act == 0:
            # No loan was outstanding this month, so none is later: every remaining month would only add zeros
            # and count no loan (one household is often repaid, prepaid or sold long before the horizon).
            for yy in range(y + 1, (T_h + 11) // 12):
                active[j, yy] = 0
            break
    if T_h == T:
        for i in range(L):
            if alive[i] == 1 and (arr[i] > 0 or trouble[i] == 1):
                nu += 1
    # Still unresolved at the end of the run-off: valued as sold then (house price then, the same sale rules).
    if T > 0:
        h = hpi[j, T - 1]
        rmf = (hb[j, T - 1] + margin) / 12.0
        for i in range(L):
            if alive[i] == 0 or (arr[i] == 0 and trouble[i] == 0):
                continue
            bi = b[i]
            rm = fixed_rm[i] if fix_end[i] > T - 1 else rmf
            interest = bi * rm
            sale = vm[i] * (h * rfac[j, rg[i], T - 1]) * keep_sale
            to_bank = sale if sale < bb[i] else bb[i]
            months = arr[i] if arr[i] < window else window
            elig = months * interest
            if elig > overdue[i]:
                elig = overdue[i]
            res = split_loss(bi, elig + real_costs, overdue[i] - elig, sale - to_bank, share)
            lt += res[0]
            lk += res[1]
            ls += res[2]
            lu += res[0]
            if rec:
                loan_loss[j, i] += res[0]
    loss_unres[j] = lu
    n_unres[j] = nu
    loss_tot[j] = lt
    loss_k[j] = lk
    loss_st[j] = ls
    overcap[j] = oc


@njit(parallel=True, nogil=True, cache=True)
def simulate_block(
    bal0: np.ndarray,
    n0: np.ndarray,
    serial: np.ndarray,
    fixed: np.ndarray,
    fixed_rm: np.ndarray,
    fix_end: np.ndarray,
    io0: np.ndarray,
    income: np.ndarray,
    living: np.ndarray,
    value0: np.ndarray,
    prior0: np.ndarray,
    arr0: np.ndarray,
    overdue0: np.ndarray,
    rg: np.ndarray,
    hb: np.ndarray,
    bank_rate: np.ndarray,
    hpi: np.ndarray,
    cumhaz: np.ndarray,
    inc_idx: np.ndarray,
    cost_idx: np.ndarray,
    fund_rate: np.ndarray,
    rfac: np.ndarray,
    fparams: np.ndarray,
    iparams: np.ndarray,
    seed: int,
    s0: int,
    n_chunks: int,
    loss_tot: np.ndarray,
    loss_k: np.ndarray,
    loss_st: np.ndarray,
    loss_unres: np.ndarray,
    n_unres: np.ndarray,
    overcap: np.ndarray,
    defaults: np.ndarray,
    arrears: np.ndarray,
    active: np.ndarray,
    relief: np.ndarray,
    int_income: np.ndarray,
    funding: np.ndarray,
    avg_bal: np.ndarray,
    settlements: np.ndarray,
    prepaid: np.ndarray,
    loan_loss: np.ndarray,
) -> None:
    """Simulate the block of scenarios ``s0 … s0+S−1`` (rows of the path arrays) into the output rows."""
    S = hb.shape[0]
    L = bal0.shape[0]
    nmax = 1
    for i in range(L):
        if n0[i] > nmax:
            nmax = n0[i]
    if n_chunks < 1:
        n_chunks = 1
    if n_chunks > S:
        n_chunks = S
    per = (S + n_chunks - 1) // n_chunks
    for c in prange(n_chunks):
        # Per-chunk workspaces: allocated once, reused by every scenario of the chunk.
        b = np.empty(L)
        bb = np.empty(L)
        n = np.empty(L, dtype=np.int32)
        io = np.empty(L, dtype=np.int32)
        payfx = np.empty(L)
        emp = np.empty(L, dtype=np.int8)
        nxt = np.empty(L)
        alive = np.empty(L, dtype=np.int8)
        relief_used = np.empty(L, dtype=np.int32)
        capm = np.empty(L, dtype=np.int32)
        arr = np.empty(L, dtype=np.int32)
        overdue = np.empty(L)
        keyl = np.empty(L, dtype=np.uint64)
        ocflag = np.empty(L, dtype=np.int8)
        arr_year = np.empty(L, dtype=np.int32)
        rel_year = np.empty(L, dtype=np.int32)
        trouble = np.empty(L, dtype=np.int8)
        vm = np.empty(L)
        life_m = np.empty(L)
        go = np.empty(L, dtype=np.int8)
        ep = np.empty(L)
        hp = np.empty(L)
        af_f = np.empty(nmax + 1)
        af_b = np.empty(nmax + 1)
        for j in range(c * per, min(S, (c + 1) * per)):
            _one_scenario(
                j,
                s0 + j,
                seed,
                bal0,
                n0,
                serial,
                fixed,
                fixed_rm,
                fix_end,
                io0,
                income,
                living,
                value0,
                prior0,
                arr0,
                overdue0,
                rg,
                hb,
                bank_rate,
                hpi,
                cumhaz,
                inc_idx,
                cost_idx,
                fund_rate,
                rfac,
                fparams,
                iparams,
                b,
                bb,
                n,
                io,
                payfx,
                emp,
                nxt,
                alive,
                relief_used,
                capm,
                arr,
                overdue,
                keyl,
                ocflag,
                arr_year,
                rel_year,
                trouble,
                vm,
                life_m,
                go,
                ep,
                hp,
                af_f,
                af_b,
                loss_tot,
                loss_k,
                loss_st,
                loss_unres,
                n_unres,
                overcap,
                defaults,
                arrears,
                active,
                relief,
                int_income,
                funding,
                avg_bal,
                settlements,
                prepaid,
                loan_loss,
            )


def default_chunks(n_scen: int) -> int:
    """Small chunks balance the threads (scenarios differ in cost); workspaces are cheap next to a scenario."""
    return max(1, min(n_scen, 16 * numba.get_num_threads()))
