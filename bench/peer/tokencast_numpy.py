#!/usr/bin/python3
"""The peer: what a competent data scientist would write with numpy to answer tokencast's question.

    bench/peer/tokencast_numpy.py SCENARIO.toml --trials N --seed S --json

It implements tokencast's semantics (docs/cost-model.md) for a subset of the scenario format:
models with input/output/cached prices and batch_discount; workloads with requests_per_month,
input_tokens, output_tokens, cached_input_share, batchable and traffic (daily_peak_to_mean,
peak_hour, weekend_factor, burstiness, monthly_growth); months and hours_per_month; and
[[dedicated]] options with overflow = "serverless" and replicas "auto" or fixed. Distributions:
fixed, uniform, triangular, pert, normal (truncated by rejection), lognormal (all four parameter
sets), gamma (both), empirical; any parameter may itself be a distribution.

Everything is vectorised over trials: per-trial draws are arrays of shape [trials]; every workload
is simulated hour by hour as arrays of shape [trials, hours_per_month], one month at a time, with
trials processed in chunks to bound memory. Per hour: a Gamma(mean 1, cv = burstiness) factor on
the rate, a Poisson count, and input and output token sums drawn as Gammas with mean n*mu and
variance n*sigma^2 (mu, sigma^2: the closed-form per-request moments, without tokencast's rounding,
floor at 1 token and context cut). A dedicated option is sized like tokencast: a first pass over
its model's workloads finds every trial's peak hour of work (input / prefill + output / decode),
the reservation is the capacity_quantile of the replicas that peak needs; a second pass costs the
reservation and prices the work above it at serverless rates. Both passes draw the same numbers
(one generator per chunk, purpose and entity).

Not implemented (refused): [[gpu_cluster]], overflow = "drop", autoscale, slo/max_concurrency,
monthly_minimum_usd, hourly_weights, the catalog (every model's prices must be in the scenario).

Only the standard library and numpy.
"""
import argparse
import json
import math
import sys
import time
import tomllib

import numpy as np

TOKENS_PER_MTOK = 1e6
# Elements of one [chunk, hours] array: 2^18 doubles (2 MiB). Chunks of 2^16 to 2^22 elements
# ran within the noise of each other on this machine; smaller ones bound memory (about 20 arrays).
CHUNK_ELEMENTS = 1 << 18

PURPOSE_MODEL, PURPOSE_WORKLOAD, PURPOSE_CAPACITY, PURPOSE_TRAFFIC = 1, 2, 3, 4


class Unsupported(Exception):
    pass


# ---- distributions ------------------------------------------------------------------------------

def _param(spec, key, rng, n, default=None):
    if key not in spec:
        if default is None:
            raise Unsupported(f"distribution {spec.get('dist')} lacks '{key}'")
        return default
    return draw(spec[key], rng, n)


_erfc = np.frompyfunc(math.erfc, 1, 1)


def normal_cdf(z):
    return 0.5 * np.asarray(_erfc(-np.asarray(z, dtype=np.float64) / math.sqrt(2.0)), dtype=np.float64)


def normal_pdf(z):
    z = np.asarray(z, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return np.where(np.isinf(z), 0.0, np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi))


def lognormal_mu_sigma(spec, rng, n):
    keys = set(spec) - {"dist"}
    if keys == {"mu", "sigma"}:
        return draw(spec["mu"], rng, n), draw(spec["sigma"], rng, n)
    if keys == {"median", "sigma"}:
        return np.log(draw(spec["median"], rng, n)), draw(spec["sigma"], rng, n)
    if keys == {"mean", "cv"}:
        mean, cv = draw(spec["mean"], rng, n), draw(spec["cv"], rng, n)
        s2 = np.log1p(cv * cv)
        return np.log(mean) - 0.5 * s2, np.sqrt(s2)
    if keys == {"median", "p95"}:
        median, p95 = draw(spec["median"], rng, n), draw(spec["p95"], rng, n)
        return np.log(median), (np.log(p95) - np.log(median)) / 1.6448536269514722
    raise Unsupported(f"lognormal parameters {sorted(keys)}")


def gamma_shape_scale(spec, rng, n):
    keys = set(spec) - {"dist"}
    if keys == {"shape", "scale"}:
        return draw(spec["shape"], rng, n), draw(spec["scale"], rng, n)
    if keys == {"mean", "cv"}:
        mean, cv = draw(spec["mean"], rng, n), draw(spec["cv"], rng, n)
        return 1.0 / (cv * cv), mean * cv * cv
    raise Unsupported(f"gamma parameters {sorted(keys)}")


def pert_params(spec, rng, n):
    lo, mode, hi = (draw(spec[k], rng, n) for k in ("min", "mode", "max"))
    shape = _param(spec, "shape", rng, n, 4.0)
    alpha = 1.0 + shape * (mode - lo) / (hi - lo)
    beta = 1.0 + shape * (hi - mode) / (hi - lo)
    return lo, hi, alpha, beta


def empirical_params(spec):
    values = np.asarray(spec["values"], dtype=np.float64)
    weights = np.asarray(spec.get("weights", np.ones(len(values))), dtype=np.float64)
    return values, weights / weights.sum()


def truncated_normal(mean, sd, lo, hi, rng, n):
    """Rejection from the untruncated normal: redraw the values outside [lo, hi] until none are."""
    mean, sd, lo, hi = (np.broadcast_to(np.asarray(x, dtype=np.float64), (n,)) for x in (mean, sd, lo, hi))
    x = rng.normal(mean, sd)
    bad = np.flatnonzero((x < lo) | (x > hi))
    for _ in range(10000):
        if bad.size == 0:
            return x
        x[bad] = rng.normal(mean[bad], sd[bad])
        bad = bad[(x[bad] < lo[bad]) | (x[bad] > hi[bad])]
    raise Unsupported("normal truncated to a window of negligible mass")


def draw(q, rng, n):
    """n draws of a quantity: a float for a constant, else an array of shape [n]."""
    if isinstance(q, (int, float)):
        return float(q)
    kind = q["dist"]
    if kind == "fixed":
        return draw(q["value"], rng, n)
    if kind == "uniform":
        return rng.uniform(draw(q["min"], rng, n), draw(q["max"], rng, n), n)
    if kind == "triangular":
        return rng.triangular(draw(q["min"], rng, n), draw(q["mode"], rng, n), draw(q["max"], rng, n), n)
    if kind == "pert":
        lo, hi, alpha, beta = pert_params(q, rng, n)
        return lo + (hi - lo) * rng.beta(alpha, beta, n)
    if kind == "normal":
        mean, sd = draw(q["mean"], rng, n), draw(q["sd"], rng, n)
        lo, hi = _param(q, "min", rng, n, -math.inf), _param(q, "max", rng, n, math.inf)
        return truncated_normal(mean, sd, lo, hi, rng, n)
    if kind == "lognormal":
        mu, sigma = lognormal_mu_sigma(q, rng, n)
        return rng.lognormal(mu, sigma, n)
    if kind == "gamma":
        shape, scale = gamma_shape_scale(q, rng, n)
        return rng.gamma(shape, scale, n)
    if kind == "empirical":
        values, p = empirical_params(q)
        return rng.choice(values, size=n, p=p)
    raise Unsupported(f"distribution '{kind}'")


def moments(q, rng, n):
    """Per-request mean and variance of a token distribution, its parameters drawn per trial.

    Closed forms of the continuous distribution: no rounding, no floor at 1, no context cut.
    """
    if isinstance(q, (int, float)):
        return float(q), 0.0
    kind = q["dist"]
    if kind == "fixed":
        return draw(q["value"], rng, n), 0.0
    if kind == "uniform":
        lo, hi = draw(q["min"], rng, n), draw(q["max"], rng, n)
        return 0.5 * (lo + hi), (hi - lo) ** 2 / 12.0
    if kind == "triangular":
        a, b, c = (draw(q[k], rng, n) for k in ("min", "mode", "max"))
        return (a + b + c) / 3.0, (a * a + b * b + c * c - a * b - a * c - b * c) / 18.0
    if kind == "pert":
        lo, hi, alpha, beta = pert_params(q, rng, n)
        s = alpha + beta
        return lo + (hi - lo) * alpha / s, (hi - lo) ** 2 * alpha * beta / (s * s * (s + 1.0))
    if kind == "normal":
        mean, sd = draw(q["mean"], rng, n), draw(q["sd"], rng, n)
        lo, hi = _param(q, "min", rng, n, -math.inf), _param(q, "max", rng, n, math.inf)
        a, b = (lo - mean) / sd, (hi - mean) / sd
        mass = normal_cdf(b) - normal_cdf(a)
        shift = (normal_pdf(a) - normal_pdf(b)) / mass
        with np.errstate(invalid="ignore"):
            za = np.where(np.isinf(a), 0.0, a * normal_pdf(a))
            zb = np.where(np.isinf(b), 0.0, b * normal_pdf(b))
        return mean + sd * shift, sd * sd * (1.0 + (za - zb) / mass - shift * shift)
    if kind == "lognormal":
        mu, sigma = lognormal_mu_sigma(q, rng, n)
        s2 = sigma * sigma
        return np.exp(mu + 0.5 * s2), np.expm1(s2) * np.exp(2.0 * mu + s2)
    if kind == "gamma":
        shape, scale = gamma_shape_scale(q, rng, n)
        return shape * scale, shape * scale * scale
    if kind == "empirical":
        values, p = empirical_params(q)
        mean = float(values @ p)
        return mean, float(((values - mean) ** 2) @ p)
    raise Unsupported(f"distribution '{kind}'")


# ---- traffic ------------------------------------------------------------------------------------

_HOUR_ANGLES = 2.0 * np.pi * np.arange(24) / 24.0


def daily_shape(peak_to_mean, peak_hour):
    """exp(k cos(2 pi (h - peak) / 24)) normalised to mean 1, k solved by bisection so that
    max/mean = peak_to_mean. Returns [n or 1, 24]."""
    ptm = np.atleast_1d(np.asarray(peak_to_mean, dtype=np.float64))
    cos = np.cos(_HOUR_ANGLES)  # hours from the peak: max/mean does not depend on where the peak is

    def ratio(k):  # the peak hour's value is exp(0) = 1
        return 24.0 / np.exp(k[:, None] * (cos[None, :] - 1.0)).sum(axis=1)

    lo, hi = np.zeros_like(ptm), np.ones_like(ptm)
    for _ in range(40):
        short = ratio(hi) < ptm
        if not short.any():
            break
        hi = np.where(short, hi * 2.0, hi)
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        below = ratio(mid) < ptm
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
    k = np.where(ptm <= 1.0, 0.0, 0.5 * (lo + hi))
    peak = np.atleast_1d(np.floor(np.asarray(peak_hour, dtype=np.float64) + 0.5)) % 24
    angles = 2.0 * np.pi * (np.arange(24)[None, :] - peak[:, None]) / 24.0
    shape = np.exp(k[:, None] * (np.cos(angles) - 1.0))
    return shape * (24.0 / shape.sum(axis=1, keepdims=True))


def month_weights(shape, weekend_factor, month, hours):
    """w[trial, hour] of one month, summing to 1 over the month (docs/cost-model.md, Traffic)."""
    t = month * hours + np.arange(hours)
    hod = t % 24
    weekend = (t // 24) % 7 >= 5
    wf = np.atleast_1d(np.asarray(weekend_factor, dtype=np.float64))[:, None]
    w = shape[:, hod] * np.where(weekend[None, :], wf, 1.0)
    return w / w.sum(axis=1, keepdims=True)


# ---- the scenario ------------------------------------------------------------------------------

def check_supported(doc):
    for key in ("gpu_cluster",):
        if key in doc:
            raise Unsupported(f"[[{key}]]")
    for d in doc.get("dedicated", []):
        if d.get("overflow", "serverless") != "serverless":
            raise Unsupported("overflow other than serverless")
        for key in ("autoscale", "slo", "max_concurrency", "monthly_minimum_usd", "gpu"):
            if key in d:
                raise Unsupported(f"dedicated.{key}")
        if "usd_per_gpu_hour" not in d:
            raise Unsupported("dedicated without usd_per_gpu_hour")
    for w in doc["workload"]:
        if "hourly_weights" in w.get("traffic", {}):
            raise Unsupported("hourly_weights")
    models = {m["id"] for m in doc.get("model", []) if "input_usd_per_mtok" in m and "output_usd_per_mtok" in m}
    for w in doc["workload"]:
        if w["model"] not in models:
            raise Unsupported(f"model '{w['model']}' without prices in the scenario (no catalog here)")


class Scenario:
    def __init__(self, doc):
        check_supported(doc)
        s = doc["scenario"]
        self.months = int(s.get("months", 1))
        self.hours = int(s.get("hours_per_month", 730))
        self.seed = int(s.get("seed", 1))
        self.trials = int(s.get("trials", 10000))
        self.workloads = doc["workload"]
        by_id = {m["id"]: m for m in doc.get("model", [])}
        # Models in order of first use by a workload, as tokencast reports them.
        self.model_ids = list(dict.fromkeys(w["model"] for w in self.workloads))
        self.models = [by_id[i] for i in self.model_ids]
        self.model_of = [self.model_ids.index(w["model"]) for w in self.workloads]
        self.dedicated = {self.model_ids.index(d["model"]): d for d in doc.get("dedicated", [])}

    def workloads_of(self, m):
        return [w for w, mw in enumerate(self.model_of) if mw == m]


def generator(seed, chunk, purpose, entity):
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, chunk, purpose, entity])))


class ChunkDraws:
    """Per-trial draws of one chunk of trials (arrays of shape [n] or floats)."""

    def __init__(self, sc, seed, chunk, n, workloads):
        self.n = n
        self.prices = []
        for m, spec in enumerate(sc.models):
            rng = generator(seed, chunk, PURPOSE_MODEL, m)
            p_in = draw(spec["input_usd_per_mtok"], rng, n)
            p_out = draw(spec["output_usd_per_mtok"], rng, n)
            p_cached = draw(spec["cached_input_usd_per_mtok"], rng, n) if "cached_input_usd_per_mtok" in spec else p_in
            discount = draw(spec["batch_discount"], rng, n) if "batch_discount" in spec else None
            self.prices.append((p_in, p_cached, p_out, discount))
        self.capacity = {}
        for m, d in sc.dedicated.items():
            rng = generator(seed, chunk, PURPOSE_CAPACITY, m)
            self.capacity[m] = {k: draw(d[k], rng, n) for k in
                                ("usd_per_gpu_hour", "prefill_tokens_per_s", "decode_tokens_per_s")}
            self.capacity[m]["max_utilization"] = draw(d.get("max_utilization", 0.75), rng, n)
        self.workload = {}
        for w in workloads:
            spec = sc.workloads[w]
            traffic = spec.get("traffic", {})
            rng = generator(seed, chunk, PURPOSE_WORKLOAD, w)
            d = {
                "volume": draw(spec["requests_per_month"], rng, n),
                "growth": draw(traffic.get("monthly_growth", 0.0), rng, n),
                "burstiness": draw(traffic.get("burstiness", 0.0), rng, n),
                "cached_share": draw(spec.get("cached_input_share", 0.0), rng, n),
                "weekend_factor": draw(traffic.get("weekend_factor", 1.0), rng, n),
                "input": moments(spec["input_tokens"], rng, n),
                "output": moments(spec["output_tokens"], rng, n),
            }
            d["shape"] = daily_shape(draw(traffic.get("daily_peak_to_mean", 1.0), rng, n),
                                     draw(traffic.get("peak_hour", 14.0), rng, n))
            d["rng"] = generator(seed, chunk, PURPOSE_TRAFFIC, w)
            d["n"] = n
            self.workload[w] = d


def column(x):
    """A per-trial value as a [n, 1] column (or a float) to broadcast against [n, hours]."""
    return x[:, None] if isinstance(x, np.ndarray) else x


def token_sums(rng, counts, mean, variance):
    """Sums of `counts` requests: Gamma with mean n*mu and variance n*sigma^2 (0 when n = 0)."""
    if np.isscalar(variance) and variance == 0.0:
        return counts * column(mean)
    mean, variance = column(mean), column(variance)
    sums = rng.standard_gamma(counts * (mean * mean / variance))
    sums *= variance / mean
    return sums


def simulate_hours(sc, d, month):
    """One workload's month, hour by hour: ([n, hours] input sums, output sums)."""
    rng = d["rng"]
    w = month_weights(d["shape"], d["weekend_factor"], month, sc.hours)
    rate = np.empty((d["n"], sc.hours))
    np.multiply(w, column(d["volume"] * (1.0 + d["growth"]) ** month), out=rate)
    b = d["burstiness"]
    if isinstance(b, np.ndarray):  # a mean-1 Gamma factor of cv b on every hour's rate
        b2 = b * b
        bursty = b2 > 0
        factor = rng.standard_gamma(np.broadcast_to(column(1.0 / np.where(bursty, b2, 1.0)), rate.shape))
        factor *= column(b2)
        if not bursty.all():
            factor[~bursty] = 1.0
        rate *= factor
    elif b > 0:
        factor = rng.standard_gamma(1.0 / (b * b), size=rate.shape)
        factor *= b * b
        rate *= factor
    counts = rng.poisson(rate)  # int64; the token sums' arithmetic converts it
    return token_sums(rng, counts, *d["input"]), token_sums(rng, counts, *d["output"])


def serverless_usd(prices, cached_share, tokens_in, tokens_out):
    p_in, p_cached, p_out, _ = (column(p) for p in prices)
    c = column(cached_share)
    return (tokens_in * ((1.0 - c) * p_in + c * p_cached) + tokens_out * p_out) / TOKENS_PER_MTOK


def hourly_work(cap, tokens_in, tokens_out):
    return tokens_in / column(cap["prefill_tokens_per_s"]) + tokens_out / column(cap["decode_tokens_per_s"])


def chunks(trials, hours):
    size = max(1, min(trials, CHUNK_ELEMENTS // hours))
    return [(c, start, min(trials, start + size)) for c, start in enumerate(range(0, trials, size))]


def size_dedicated(sc, trials, seed):
    """Pass 1: each trial's peak-hour replicas needed, for every model with a dedicated option."""
    needed = {m: np.empty(trials) for m in sc.dedicated}
    if not needed:
        return needed
    workloads = [w for m in sc.dedicated for w in sc.workloads_of(m)]
    for c, start, stop in chunks(trials, sc.hours):
        draws = ChunkDraws(sc, seed, c, stop - start, workloads)
        peak = {m: np.zeros(stop - start) for m in sc.dedicated}
        for month in range(sc.months):
            for m, cap in draws.capacity.items():
                work = 0.0
                for w in sc.workloads_of(m):
                    tokens_in, tokens_out = simulate_hours(sc, draws.workload[w], month)
                    work = work + hourly_work(cap, tokens_in, tokens_out)
                np.maximum(peak[m], work.max(axis=1), out=peak[m])
        for m, cap in draws.capacity.items():
            needed[m][start:stop] = peak[m] / (3600.0 * cap["max_utilization"])
    return needed


def reservation(spec, needed):
    if "replicas" in spec and spec["replicas"] != "auto":
        return int(spec["replicas"]), None
    q = float(np.quantile(needed, spec.get("capacity_quantile", 0.95)))
    return max(int(spec.get("min_replicas", 1)), math.ceil(q - 1e-9)), q


def simulate(sc, trials, seed):
    needed = size_dedicated(sc, trials, seed)
    plans = {m: reservation(sc.dedicated[m], needed[m]) for m in sc.dedicated}
    nw, nm = len(sc.workloads), len(sc.models)
    serverless = np.zeros((nw, trials))
    batch = np.zeros((nw, trials))
    dedicated = {m: np.zeros(trials) for m in sc.dedicated}
    peak_needed = {m: np.zeros(trials) for m in sc.dedicated}
    for c, start, stop in chunks(trials, sc.hours):
        draws = ChunkDraws(sc, seed, c, stop - start, range(nw))
        rows = slice(start, stop)
        peak = {m: np.zeros(stop - start) for m in sc.dedicated}
        for month in range(sc.months):
            for m in range(nm):
                prices = draws.prices[m]
                cap = draws.capacity.get(m)
                work, usd_hours = 0.0, 0.0
                for w in sc.workloads_of(m):
                    d = draws.workload[w]
                    tokens_in, tokens_out = simulate_hours(sc, d, month)
                    if cap is not None:
                        usd_h = serverless_usd(prices, d["cached_share"], tokens_in, tokens_out)
                        usd_hours = usd_hours + usd_h
                        work = work + hourly_work(cap, tokens_in, tokens_out)
                        usd = usd_h.sum(axis=1)
                    else:  # costs are linear in tokens: the month's sums suffice
                        usd = serverless_usd(prices, d["cached_share"], tokens_in.sum(axis=1)[:, None],
                                             tokens_out.sum(axis=1)[:, None])[:, 0]
                    serverless[w, rows] += usd
                    discount = prices[3]
                    batchable = discount is not None and sc.workloads[w].get("batchable", False)
                    batch[w, rows] += usd * (1.0 - discount) if batchable else usd
                if cap is not None:
                    replicas = plans[m][0]
                    capacity = replicas * 3600.0 * column(cap["max_utilization"])
                    over = np.maximum(work - capacity, 0.0)
                    with np.errstate(invalid="ignore", divide="ignore"):
                        share = np.where(work > 0, over / work, 0.0)
                    gpus = replicas * int(sc.dedicated[m].get("gpus_per_replica", 1))
                    dedicated[m][rows] += gpus * cap["usd_per_gpu_hour"] * sc.hours + (usd_hours * share).sum(axis=1)
                    np.maximum(peak[m], work.max(axis=1), out=peak[m])
        for m, cap in draws.capacity.items():
            peak_needed[m][rows] = peak[m] / (3600.0 * cap["max_utilization"])
    return serverless, batch, dedicated, plans, peak_needed


# ---- statistics and output ---------------------------------------------------------------------

def percentile_se(sorted_x, q):
    """Standard error of the q-quantile, sqrt(q(1-q)/n) / f(x_q), with 1/f(x_q) estimated from the
    spacing of the order statistics q +- 2 sqrt(q(1-q)/n) apart (the distribution-free ~95%
    confidence interval of the quantile, divided by 2 x 2)."""
    n = sorted_x.size
    s = math.sqrt(q * (1.0 - q) / n)
    lo, hi = np.quantile(sorted_x, [max(0.0, q - 2.0 * s), min(1.0, q + 2.0 * s)])
    return float(hi - lo) / 4.0


def summary(x):
    x = np.sort(np.asarray(x, dtype=np.float64))
    n = x.size
    sd = float(x.std(ddof=1)) if n > 1 else 0.0
    p5, p50, p95, p99 = np.percentile(x, [5, 50, 95, 99])
    return {
        "mean": float(x.mean()), "sd": sd, "p5": float(p5), "p50": float(p50), "p95": float(p95),
        "p99": float(p99), "min": float(x[0]), "max": float(x[-1]), "mean_se": sd / math.sqrt(n),
        # Not in tokencast's summaries: the percentiles' standard errors, for bench/compare.
        "p5_se": percentile_se(x, 0.05), "p50_se": percentile_se(x, 0.50), "p95_se": percentile_se(x, 0.95),
    }


def result(sc, path, trials, seed, elapsed_s, serverless, batch, dedicated, plans, peak_needed):
    out = {"schema": "tokencast-peer/1", "scenario": {"file": path},
           "run": {"trials": trials, "seed": seed, "months": sc.months, "hours_per_month": sc.hours,
                   "numpy": np.__version__}}
    out["workloads"] = []
    for w, spec in enumerate(sc.workloads):
        cost = {"serverless": summary(serverless[w])}
        if "batch_discount" in sc.models[sc.model_of[w]] and spec.get("batchable", False):
            cost["batch"] = summary(batch[w])
        out["workloads"].append({"name": spec["name"], "model": spec["model"], "cost_usd": cost})
    out["models"] = []
    total_serverless, total_batch, any_batch = 0.0, 0.0, False
    for m, mid in enumerate(sc.model_ids):
        ws = sc.workloads_of(m)
        s = serverless[ws].sum(axis=0)
        cost = {"serverless": summary(s)}
        has_batch = "batch_discount" in sc.models[m] and any(sc.workloads[w].get("batchable", False) for w in ws)
        b = batch[ws].sum(axis=0) if has_batch else s
        if has_batch:
            cost["batch"] = summary(b)
            any_batch = True
        total_serverless, total_batch = total_serverless + s, total_batch + b
        entry = {"model": mid, "workloads": [sc.workloads[w]["name"] for w in ws], "cost_usd": cost}
        if m in sc.dedicated:
            cost["dedicated"] = summary(dedicated[m])
            replicas, q = plans[m]
            quantile = sc.dedicated[m].get("capacity_quantile", 0.95)
            entry["dedicated"] = {
                "name": sc.dedicated[m]["name"], "replicas": replicas,
                "replicas_sizing": "auto" if q is not None else "fixed",
                "sizing_replicas_needed": q,
                # Not in tokencast's output: the standard error of the sizing quantile.
                "sizing_replicas_needed_se": percentile_se(np.sort(peak_needed[m]), quantile),
                "peak_replicas_needed": summary(peak_needed[m]),
            }
        out["models"].append(entry)
    total = {"serverless": summary(total_serverless)}
    if any_batch:
        total["batch"] = summary(total_batch)
    out["total"] = {"cost_usd": total}
    out["run"]["elapsed_s"] = elapsed_s
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description="numpy peer of tokencast run (serverless, batch, dedicated)")
    ap.add_argument("scenario")
    ap.add_argument("--trials", type=int, help="Monte Carlo trials (default: the scenario's)")
    ap.add_argument("--seed", type=int, help="seed (default: the scenario's)")
    ap.add_argument("--json", action="store_true", help="print JSON (default: a short table)")
    args = ap.parse_args(argv)
    with open(args.scenario, "rb") as f:
        doc = tomllib.load(f)
    try:
        sc = Scenario(doc)
    except Unsupported as e:
        print(f"tokencast_numpy: unsupported: {e}", file=sys.stderr)
        return 2
    trials = args.trials or sc.trials
    seed = sc.seed if args.seed is None else args.seed
    started = time.perf_counter()
    sims = simulate(sc, trials, seed)
    out = result(sc, args.scenario, trials, seed, time.perf_counter() - started, *sims)
    if args.json:
        json.dump(out, sys.stdout, indent=1)
        print()
        return 0
    print(f"{args.scenario}: {trials} trials, seed {seed}, {out['run']['elapsed_s']:.2f} s")
    for entry in out["models"]:
        for mode, s in entry["cost_usd"].items():
            print(f"  {entry['model']:<24} {mode:<11} p50 {s['p50']:>14,.0f}  p5 {s['p5']:>14,.0f}  p95 {s['p95']:>14,.0f}")
    for mode, s in out["total"]["cost_usd"].items():
        print(f"  {'total':<24} {mode:<11} p50 {s['p50']:>14,.0f}  p5 {s['p5']:>14,.0f}  p95 {s['p95']:>14,.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
