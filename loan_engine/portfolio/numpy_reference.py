# ruff: noqa: N806  (S, L, T, A: scenarios, loans, months, assumptions — the model's notation)
"""Vectorised NumPy implementation of the same model as ``kernel.py``.

Used as the benchmark baseline (loan-months per second, same run) and as a test oracle: for the same inputs the
per-scenario results equal the kernel's up to floating-point summation order (the kernel sums loans one by one,
NumPy sums pairwise). It holds the whole (scenarios × loans) state in memory, one month at a time, so use it on
small blocks of scenarios.
"""

from __future__ import annotations

import numpy as np

from loan_engine.portfolio.engine import KernelInputs, ScenarioOutputs, funding_rate
from loan_engine.portfolio.rng import (
    STREAM_DWELLING,
    STREAM_LIFE,
    STREAM_LOANS,
    STREAM_PREPAY,
    loan_keys_np,
    mix64_np,
    month_tweak_np,
    scenario_key,
    to_unit_np,
    to_unit_open_np,
)
from loan_engine.portfolio.scenarios import ScenarioSpec, generate_paths
from loan_engine.underwriting.rules import present_value_factor


def annuity_table_np(rm: np.ndarray, nmax: int) -> np.ndarray:
    """(S,) monthly rates → (S, nmax+1) annuity factors, computed exactly like ``kernel.fill_annuity_table``."""
    S = rm.shape[0]
    af = np.zeros((S, nmax + 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        v = 1.0 / (1.0 + rm)
        vk = np.cumprod(np.repeat(v[:, None], nmax, axis=1), axis=1)
        af[:, 1:] = rm[:, None] / (1.0 - vk)
    zero = rm == 0.0
    if zero.any():
        af[zero, 1:] = 1.0 / np.arange(1, nmax + 1)
    return af


def payment_per_krone_np(rm: np.ndarray, n: np.ndarray) -> np.ndarray:
    """``kernel.payment_per_krone`` over arrays: the reciprocal of the shared annuity factor."""
    out: np.ndarray = 1.0 / present_value_factor(rm, n.astype(np.float64))
    return out


def split_loss_np(
    principal: np.ndarray, elig: np.ndarray, excl: np.ndarray, proceeds: np.ndarray, share: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    p = np.where(proceeds > 0.0, proceeds, 0.0)
    claim = principal + elig
    loss = claim + excl - p
    loss = np.where(loss < 0.0, 0.0, loss)
    le = claim - p
    le = np.where(le < 0.0, 0.0, le)
    le = np.where(le > loss, loss, le)
    basis = share * principal + elig
    kp = np.where(le < basis, le, basis)
    return loss, (loss - le) + kp, le - kp


def simulate_range_numpy(
    inputs: KernelInputs,
    spec: ScenarioSpec,
    seed: int,
    s0: int,
    n_scen: int,
    horizon_months: int,
    loan_loss: np.ndarray | None = None,
) -> ScenarioOutputs:
    """``loan_loss`` (n_scen, loans), if given, receives each loan's loss per scenario."""
    paths = generate_paths(spec, seed, s0, n_scen, horizon_months)
    return simulate_paths_numpy(
        inputs,
        paths.hb_rate,
        paths.bank_rate,
        paths.hpi,
        paths.separation,
        paths.income_index,
        paths.cost_index,
        seed,
        s0,
        fund_rate=funding_rate(paths.hb_rate, spec.assumptions),
        loan_loss=loan_loss,
    )


def simulate_paths_numpy(
    inputs: KernelInputs,
    hb: np.ndarray,
    bank_rate: np.ndarray,
    hpi: np.ndarray,
    sep: np.ndarray,
    inc_idx: np.ndarray,
    cost_idx: np.ndarray,
    seed: int,
    s0: int,
    fund_rate: np.ndarray | None = None,
    loan_loss: np.ndarray | None = None,
) -> ScenarioOutputs:
    (bal0, n0, serial, _fixed, fixed_rm, fix_end, io0, income, living, value0, prior0, arr0, overdue0) = (
        inputs.loan_arrays()
    )
    (margin, repl, find, cap_ltv, disc, sale_cost, real_costs, share, sd_d, lam, life_f, pre_y, refi_y) = (
        float(x) for x in inputs.fparams[:13]
    )
    refi_ltv, refi_band, refi_inc, p_go = (float(x) for x in inputs.fparams[13:17])
    lam_m, pre_base, refi_max = lam / 12.0, pre_y / 12.0, refi_y / 12.0
    prepay_on = pre_base > 0.0 or refi_max > 0.0
    relief_max, cap_max, to_sale, window = (int(x) for x in inputs.iparams[:4])
    keep_sale = (1.0 - disc) * (1.0 - sale_cost)
    S, T = hb.shape
    L = bal0.shape[0]
    n_years = (T + 11) // 12
    out = ScenarioOutputs.zeros(S, n_years)
    nmax = max(1, int(n0.max()))
    keys = np.array([scenario_key(seed, s0 + j, STREAM_LOANS) for j in range(S)], dtype=np.uint64)
    keyl = loan_keys_np(keys, L)
    log_stay = np.log(1.0 - find) if find < 1.0 else -np.inf
    nxt = -np.log(to_unit_open_np(mix64_np(keyl ^ month_tweak_np(0))))
    hc = np.zeros(S)
    shape = (S, L)
    b = np.broadcast_to(bal0, shape).copy()
    bb = np.broadcast_to(prior0, shape).copy()
    n = np.broadcast_to(n0, shape).copy()
    io = np.broadcast_to(io0, shape).copy()
    payfx = np.full(shape, -1.0)
    emp = np.ones(shape, dtype=bool)
    alive = np.ones(shape, dtype=bool)
    relief_used = np.zeros(shape, dtype=np.int64)
    capm = np.zeros(shape, dtype=np.int64)
    arr = np.broadcast_to(arr0.astype(np.int64), shape).copy()
    overdue = np.broadcast_to(overdue0, shape).copy()
    ocflag = np.zeros(shape, dtype=bool)
    arr_year = np.full(shape, -1, dtype=np.int64)
    rel_year = np.full(shape, -1, dtype=np.int64)
    trouble = np.zeros(shape, dtype=bool)
    is_serial = (serial == 1)[None, :]

    def stream_keys(stream: int) -> np.ndarray:
        return loan_keys_np(np.array([scenario_key(seed, s0 + j, stream) for j in range(S)], dtype=np.uint64), L)

    kd = stream_keys(STREAM_DWELLING)
    if sd_d > 0.0:
        u1 = to_unit_open_np(mix64_np(kd ^ month_tweak_np(0)))
        u2 = to_unit_np(mix64_np(kd ^ month_tweak_np(1)))
        z = np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)
        value = value0[None, :] * np.exp(sd_d * z - 0.5 * sd_d * sd_d)
    else:
        value = np.broadcast_to(value0[None, :], shape).copy()
    kl = stream_keys(STREAM_LIFE)
    with np.errstate(divide="ignore"):
        life_m = (
            -np.log(to_unit_open_np(mix64_np(kl ^ month_tweak_np(0)))) / lam_m
            if lam_m > 0.0
            else np.full(shape, np.inf)
        )
    go = to_unit_np(mix64_np(kl ^ month_tweak_np(1))) < p_go
    ep = -np.log(to_unit_open_np(mix64_np(stream_keys(STREAM_PREPAY) ^ month_tweak_np(0))))
    hp = np.zeros(shape)
    rows = np.arange(S)[:, None]
    for t in range(T):
        y = t // 12
        hbm = hb[:, t]
        rmf = (hbm + margin) / 12.0
        af_f = annuity_table_np(rmf, nmax)
        rb = bank_rate[:, t] / 12.0
        af_b = annuity_table_np(rb, nmax)
        h = hpi[:, t][:, None]
        A = alive
        book = np.where(A, b, 0.0).sum(axis=1)
        act = A.sum(axis=1)
        sp = sep[:, t]
        with np.errstate(divide="ignore"):
            hc = hc + np.where(sp < 1.0, -np.log1p(-np.where(sp < 1.0, sp, 0.0)), np.inf)
        lose = A & emp & (hc[:, None] >= nxt)
        regain = A & ~emp & (t >= nxt)
        event = lose | regain
        if event.any():
            u = to_unit_open_np(mix64_np(keyl[event] ^ month_tweak_np(t + 1)))
            with np.errstate(divide="ignore"):
                spell = np.ceil(np.log(u) / log_stay) if np.isfinite(log_stay) else np.ones_like(u)
            spell = np.where(spell >= 1.0, spell, 1.0)
            lost = lose[event]
            vals = np.where(lost, t + spell, np.broadcast_to(hc[:, None], shape)[event] - np.log(u))
            nxt[event] = vals
            emp = np.where(lose, False, np.where(regain, True, emp))
        fixed_now = (t < fix_end)[None, :]
        rm = np.where(fixed_now, fixed_rm[None, :], rmf[:, None])
        interest = b * rm
        nidx = np.where(A, n, 1)
        need = A & fixed_now & (io <= 0) & ~is_serial & (payfx < 0.0)
        if need.any():
            payfx[need] = b[need] * payment_per_krone_np(rm[need], nidx[need])
        with np.errstate(divide="ignore", invalid="ignore"):
            prin = np.where(
                io > 0,
                0.0,
                np.where(is_serial, b / nidx, np.where(fixed_now, payfx - interest, b * af_f[rows, nidx] - interest)),
            )
        due = interest + prin
        has_bb = bb > 0.0
        bdue = np.where(has_bb, bb * af_b[rows, nidx], 0.0)
        bb = np.where(A & has_bb, bb - (bdue - bb * rb[:, None]), bb)
        gross = income[None, :] * inc_idx[:, t][:, None]
        gross = np.where(t >= life_m, gross * life_f, gross)
        cap = gross - living[None, :] * cost_idx[:, t][:, None] - bdue
        oc_new = A & (due > cap) & ~ocflag
        ocflag |= oc_new
        out.over_capacity += oc_new.sum(axis=1)
        cap = np.where(emp, cap, cap - (1.0 - repl) * gross)
        full = A & (due <= cap)
        short = A & ~full
        # Full payment (and cure of arrears).
        nb = b - prin
        nn = n - 1
        cure = full & (arr > 0)
        nb = np.where(cure, nb + overdue, nb)
        matured = full & (nn == 0)
        nb = np.where(matured, 0.0, nb)
        gone = np.zeros(shape, dtype=bool)
        if prepay_on:
            pay_ok = full & ~matured
            with np.errstate(divide="ignore", invalid="ignore"):
                ltv = (nb + bb) / (value * h)
                fl = np.clip((refi_ltv - ltv) / refi_band, 0.0, 1.0)
                fi = np.clip((inc_idx[:, t] / cost_idx[:, t] - 1.0) / refi_inc, 0.0, 1.0)[:, None]
                hz = np.where(t < life_m, pre_base + refi_max * fl * fi, pre_base)
            hp = np.where(pay_ok, hp + hz, hp)
            gone = pay_ok & (hp >= ep)
            out.prepaid[:, y] += gone.sum(axis=1)
            nb = np.where(gone, 0.0, nb)
        # Shortfall: measures first, then arrears.
        avail = np.where(cap > 0.0, cap, 0.0)
        pay_i = np.where(avail >= interest, interest, avail)
        unpaid = interest - pay_i
        inrel = short & (relief_used < relief_max)
        new_rel = inrel & (rel_year != y)
        rel_year = np.where(new_rel, y, rel_year)
        out.relief[:, y] += new_rel.sum(axis=1)
        relief_used += inrel
        capok = inrel & (unpaid > 0.0) & (capm < cap_max) & (b + unpaid + bb <= cap_ltv * value * h)
        capm += capok
        to_arr = short & ((inrel & (unpaid > 0.0) & ~capok) | ~inrel)
        sb = np.where(capok, b + unpaid, b)
        arr = np.where(to_arr, arr + 1, arr)
        overdue = np.where(to_arr, overdue + unpaid, overdue)
        paid = np.where(full, interest, np.where(short, pay_i, 0.0))
        # Book-keeping of the full-payment branch.
        io = np.where(full & (io > 0), io - 1, io)
        overdue = np.where(cure, 0.0, overdue)
        arr = np.where(cure, 0, arr)
        payfx = np.where(cure | short, -1.0, payfx)
        n = np.where(full, nn, n)
        b = np.where(full, nb, np.where(short, sb, b))
        new_arr = short & (arr > 0) & (arr_year != y)
        arr_year = np.where(new_arr, y, arr_year)
        out.arrears[:, y] += new_arr.sum(axis=1)
        sale = short & (arr >= to_sale)
        if sale.any():
            price = value * h * keep_sale
            to_bank = np.where(price < bb, price, bb)
            months = np.where(arr < window, arr, window)
            elig = months * interest
            elig = np.where(elig > overdue, overdue, elig)
            loss, kom, st = split_loss_np(b, elig + real_costs, overdue - elig, price - to_bank, share)
            market = value * h
            to_bank_g = np.where(market < bb, market, bb)
            loss_g, kom_g, st_g = split_loss_np(b, elig, overdue - elig, market - to_bank_g, share)
            loss = np.where(go, loss_g, loss)
            kom = np.where(go, kom_g, kom)
            st = np.where(go, st_g, st)
            out.loss_total += np.where(sale, loss, 0.0).sum(axis=1)
            out.loss_kommune += np.where(sale, kom, 0.0).sum(axis=1)
            out.loss_state += np.where(sale, st, 0.0).sum(axis=1)
            out.defaults[:, y] += (sale & ~go).sum(axis=1)
            out.settlements[:, y] += (sale & go).sum(axis=1)
            if loan_loss is not None:
                loan_loss += np.where(sale, loss, 0.0)
        alive = A & ~matured & ~sale & ~gone
        trouble = np.where(full, False, np.where(short, True, trouble))
        if t % 12 == 0:
            out.active[:, y] = act
        out.interest_income[:, y] += paid.sum(axis=1)
        out.funding_cost[:, y] += book * (hbm if fund_rate is None else fund_rate[:, t]) / 12.0
        out.avg_balance[:, y] += book / 12.0
    if T > 0:
        # Unresolved at the horizon: valued with the horizon's house price and the same sale rules.
        unres = alive & ((arr > 0) | trouble)
        h = hpi[:, T - 1][:, None]
        rmf = (hb[:, T - 1] + margin) / 12.0
        rm = np.where((fix_end > T - 1)[None, :], fixed_rm[None, :], rmf[:, None])
        interest = b * rm
        price = value * h * keep_sale
        to_bank = np.where(price < bb, price, bb)
        months = np.where(arr < window, arr, window)
        elig = months * interest
        elig = np.where(elig > overdue, overdue, elig)
        loss, kom, st = split_loss_np(b, elig + real_costs, overdue - elig, price - to_bank, share)
        lu = np.where(unres, loss, 0.0).sum(axis=1)
        out.loss_total += lu
        out.loss_kommune += np.where(unres, kom, 0.0).sum(axis=1)
        out.loss_state += np.where(unres, st, 0.0).sum(axis=1)
        out.loss_unresolved += lu
        out.unresolved += unres.sum(axis=1)
        if loan_loss is not None:
            loan_loss += np.where(unres, loss, 0.0)
    return out
