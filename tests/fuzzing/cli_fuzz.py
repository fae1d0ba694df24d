#!/usr/bin/env python3
"""Structure-aware fuzzing of the tokencast command line.

Mutants of the shipped scenarios (numbers pushed to extremes, kinds swapped, keys deleted, tables
duplicated, control characters in strings) go through `run`, `breakeven` and `capacity --simulate`.
Every outcome must hold these invariants:

- the exit code is 0 or 2;
- an exit of 2 says where: its first line starts with the mutant's path (FILE:LINE:COL or FILE);
- an exit of 0 leaves a JSON whose numbers are finite (null only where a value may be absent),
  probabilities and utilizations in [0, 1], percentiles in order, replica counts whole and sized;
- nothing is left in the output directory but the output itself (no temporary file);
- no sanitizer report, no hang (a run past --timeout seconds);
- a sample of runs (every --thread-sample'th mutant's `run`) gives the same JSON at 1, 2 and 5 threads.

Seeded: the same --seed gives the same mutants. Each finding is saved under --findings (the mutant,
the command, its stderr) and makes the script exit 1. The last line gives the counts.

Usage: cli_fuzz.py --binary BUILD/tokencast [--mutants 300] [--seed 1] [--findings DIR] [--jobs 2]
"""
import argparse
import concurrent.futures
import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

EXTREME_NUMBERS = [0, -0.0, -1, 1, 2, 0.5, 0.999999, 1e-300, 5e-324, 1e-30, 1e-6, 1e308, 1.7976931348623157e308,
                   1e15, 1e16, 1e12, 1.000001e12, 24, 23.999, 100, 4096, 4097, 100000, 100001,
                   2**31 - 1, 2**31, 2**63 - 1, -2**63, float("inf"), float("-inf"), float("nan"), 1e-12, 7.5,
                   -1e308, 1e6, 3e9]
# The limits of docs/scenario-format.md and values just inside them: accepted input at its edges.
BOUNDARY_NUMBERS = [1e12, 9.99e11, 1e15, 1e-15, 1e5, 1e4, 1e9, 1e8, 100, 5, 4.99, 30, 0.0001, 1000, 1, 0.01, 4096,
                    100000, 86400, 268337, 1e-4, 0.75, 0.999, 23.5, 10, 120, 744, 24, 1e7, 2.5e11]
DIST_KINDS = ["fixed", "uniform", "triangular", "pert", "normal", "lognormal", "gamma", "empirical"]
DIST_KEYS = ["value", "min", "mode", "max", "shape", "mean", "sd", "mu", "median", "sigma", "cv", "p95", "scale",
             "values", "weights"]
NASTY_STRINGS = ["", "\x1b[31mred\x1b[0m", "=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)", "a\tb", "\u009b2J",
                 "\x07bell", "name,with,commas", "quote\"d", "line\nbreak", "ünïcödé", "x" * 300]
# Keys whose value may be null in a successful run's JSON (an absent crossing, an infeasible count).
NULLABLE = {"wait_p95_s", "ttft_p95_s", "mean_wait_s", "multiplier_50", "multiplier_10", "multiplier_90", "requests_per_month_50", "requests_per_month_10",
            "requests_per_month_90", "replicas"}
UNIT_INTERVAL = {"utilization", "overflow_share", "wait_probability", "probability_breakeven_reachable"}


# ---- TOML writing -------------------------------------------------------------------------------

def toml_string(s):
    out = ['"']
    for ch in s:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif code < 0x20 or code == 0x7F or 0x80 <= code <= 0x9F:
            out.append("\\u%04x" % code)
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        text = repr(v)
        return text if any(c in text for c in ".eE") else text + ".0"
    if isinstance(v, str):
        return toml_string(v)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{toml_key(k)} = {toml_value(x)}" for k, x in v.items()) + " }"
    return toml_string(str(v))


def toml_key(k):
    return k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else toml_string(k)


def to_toml(doc):
    lines = []
    for key, value in doc.items():
        if not isinstance(value, (dict, list)) or (isinstance(value, list) and not all(isinstance(x, dict) for x in value)) \
                or (isinstance(value, list) and not value):
            lines.append(f"{toml_key(key)} = {toml_value(value)}")
    for key, value in doc.items():
        if isinstance(value, dict):
            lines.append(f"\n[{toml_key(key)}]")
            lines.extend(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items())
        elif isinstance(value, list) and value and all(isinstance(x, dict) for x in value):
            for element in value:
                lines.append(f"\n[[{toml_key(key)}]]")
                lines.extend(f"{toml_key(k)} = {toml_value(v)}" for k, v in element.items())
    return "\n".join(lines) + "\n"


# ---- Mutations ------------------------------------------------------------------------------------

def walk(node, path=()):
    """Every (path, value) below node, containers included."""
    yield path, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from walk(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk(v, path + (i,))


def get_parent(doc, path):
    node = doc
    for p in path[:-1]:
        node = node[p]
    return node


def random_distribution(rng):
    kind = rng.choice(DIST_KINDS)
    table = {"dist": kind}
    for key in rng.sample(DIST_KEYS, rng.randint(1, 4)):
        if key in ("values", "weights"):
            table[key] = [rng.choice(EXTREME_NUMBERS) for _ in range(rng.randint(0, 4))]
        else:
            table[key] = rng.choice(EXTREME_NUMBERS + [rng.uniform(0, 5000)])
    return table


def mutate(doc, rng):
    """Applies one structural mutation in place; returns its description."""
    entries = [(p, v) for p, v in walk(doc) if p]
    path, value = rng.choice(entries)
    parent = get_parent(doc, path)
    key = path[-1]
    kind = rng.random()
    where = ".".join(str(p) for p in path)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and kind < 0.35:
        parent[key] = rng.choice(BOUNDARY_NUMBERS)
        if isinstance(value, int) and rng.random() < 0.5:
            parent[key] = int(parent[key])
        return f"boundary number at {where}"
    if isinstance(value, (int, float)) and not isinstance(value, bool) and kind < 0.6:
        parent[key] = rng.choice(EXTREME_NUMBERS)
        return f"extreme number at {where}"
    if isinstance(value, (int, float)) and not isinstance(value, bool) and kind < 0.75:
        parent[key] = value * rng.choice([1e3, 1e6, 1e-3, -1, 1e9, 1e12])
        return f"scaled number at {where}"
    if isinstance(value, dict) and "dist" in value and kind < 0.5:
        value["dist"] = rng.choice(DIST_KINDS)
        return f"distribution kind swapped at {where}"
    if isinstance(value, str) and kind < 0.5:
        parent[key] = rng.choice(NASTY_STRINGS) if rng.random() < 0.7 else value + rng.choice(NASTY_STRINGS)
        return f"string at {where}"
    r = rng.random()
    if r < 0.25 and isinstance(parent, dict):
        del parent[key]
        return f"deleted {where}"
    if r < 0.45 and isinstance(parent, list) and isinstance(value, dict):
        copy = json.loads(json.dumps(value))
        if "name" in copy and rng.random() < 0.5:
            copy["name"] = str(copy["name"]) + "-copy"
        parent.append(copy)
        return f"duplicated {where}"
    if r < 0.6:
        parent[key] = random_distribution(rng)
        return f"random distribution at {where}"
    if r < 0.8:
        parent[key] = rng.choice(["text", [], {}, [1, 2], True, {"dist": "fixed"}, 1.5, -3])
        return f"kind swapped at {where}"
    if isinstance(parent, dict):
        parent[rng.choice(["unknown_key", "sloo", "replica", "dist"])] = rng.choice(EXTREME_NUMBERS)
        return f"key added beside {where}"
    return "no-op"


# ---- Checks ---------------------------------------------------------------------------------------

def check_json(node, path, problems):
    if isinstance(node, dict):
        if {"p5", "p50", "p95", "p99", "min", "max"} <= node.keys():
            values = [node[k] for k in ("min", "p5", "p50", "p95", "p99", "max")]
            if all(isinstance(v, (int, float)) for v in values) and any(a > b for a, b in zip(values, values[1:])):
                problems.append(f"percentiles out of order at {path}: {values}")
        for k, v in node.items():
            sub = f"{path}.{k}"
            if v is None and k not in NULLABLE:
                problems.append(f"null (not finite) at {sub}")
            if k in UNIT_INTERVAL and isinstance(v, dict):
                for stat in ("mean", "p5", "p50", "p95", "p99", "min", "max"):
                    x = v.get(stat)
                    if isinstance(x, (int, float)) and not (-1e-12 <= x <= 1 + 1e-12):
                        problems.append(f"{sub}.{stat} = {x} outside [0, 1]")
            if k in UNIT_INTERVAL and isinstance(v, (int, float)) and not (-1e-12 <= v <= 1 + 1e-12):
                problems.append(f"{sub} = {v} outside [0, 1]")
            if k in ("replicas", "gpus", "nodes") and isinstance(v, (int, float)) and (v != int(v) or not 0 <= v <= 2**31 - 1):
                problems.append(f"{sub} = {v} is not a sized count")
            check_json(v, sub, problems)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            check_json(v, f"{path}[{i}]", problems)
    elif isinstance(node, float) and not math.isfinite(node):
        problems.append(f"non-finite number at {path}")


COMMANDS = {
    "run": ["run", "--trials", "48", "--format", "json"],
    "breakeven": ["breakeven", "--trials", "48", "--grid", "8", "--format", "json"],
    "capacity": ["capacity", "--simulate", "--replications", "2", "--trials", "48", "--format", "json"],
}
SANITIZER = re.compile(r"(ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|UndefinedBehaviorSanitizer)")


def run_one(binary, mutant_path, command, threads, timeout):
    out_dir = tempfile.mkdtemp(prefix="tokencast-fuzz-out-")
    out_path = os.path.join(out_dir, "result.json")
    args = [binary] + COMMANDS[command][:1] + [mutant_path] + COMMANDS[command][1:] + ["--output", out_path]
    if threads:
        args += ["--threads", str(threads)]
    env = dict(os.environ)
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
    try:
        proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=env, stdin=subprocess.DEVNULL,
                              errors="replace")
        code, err = proc.returncode, proc.stderr
    except subprocess.TimeoutExpired as e:
        code, err = None, (e.stderr or b"").decode("utf-8", "replace") if isinstance(e.stderr, bytes) else (e.stderr or "")
    leftovers = sorted(os.listdir(out_dir))
    text = open(out_path, encoding="utf-8").read() if os.path.exists(out_path) else None
    shutil.rmtree(out_dir, ignore_errors=True)
    return args, code, err, leftovers, text


def judge(mutant_path, command, code, err, leftovers, text):
    problems = []
    if code is None:
        problems.append("hang: no exit within the time limit")
    elif code not in (0, 2):
        problems.append(f"exit {code}")
    if SANITIZER.search(err or ""):
        problems.append("sanitizer report")
    if code == 2:
        first = (err or "").splitlines()[0] if err else ""
        if not re.match(re.escape(mutant_path) + r"(:\d+:\d+)?: error: ", first):
            problems.append(f"exit 2 without FILE[:LINE:COL]: {first[:200]!r}")
        if leftovers:
            problems.append(f"files left after a refusal: {leftovers}")
    if code == 0:
        if leftovers != ["result.json"]:
            problems.append(f"output directory holds {leftovers}, expected only result.json")
        try:
            j = json.loads(text or "")
            check_json(j, "$", problems)
        except json.JSONDecodeError as e:
            problems.append(f"output is not JSON: {e}")
    return problems


def without_timing(text):
    j = json.loads(text)
    j.get("run", {}).pop("elapsed_s", None)
    j.get("run", {}).pop("threads", None)
    j.get("run", {}).pop("phases_s", None)
    return j


thread_checks = []  # mutants whose run was compared across thread counts


def fuzz_one(index, args, seeds):
    rng = random.Random(f"{args.seed}-{index}")
    name, base = rng.choice(seeds)
    doc = json.loads(json.dumps(base, default=str))
    doc.setdefault("scenario", {})
    if isinstance(doc.get("scenario"), dict):
        doc["scenario"]["trials"] = 48
    mutations = [mutate(doc, rng) for _ in range(1 if rng.random() < 0.6 else rng.randint(2, 3))]
    work = tempfile.mkdtemp(prefix="tokencast-fuzz-")
    mutant_path = os.path.join(work, f"mutant-{index}.toml")
    with open(mutant_path, "w", encoding="utf-8") as f:
        f.write(to_toml(doc))
    results = []
    for command in COMMANDS:
        argv, code, err, leftovers, text = run_one(args.binary, mutant_path, command, None, args.timeout)
        problems = judge(mutant_path, command, code, err, leftovers, text)
        if not problems and code == 0 and command == "run" and index % args.thread_sample == 0:
            outputs = []
            for threads in (1, 2, 5):
                _, code_t, err_t, _, text_t = run_one(args.binary, mutant_path, command, threads, args.timeout)
                outputs.append((code_t, without_timing(text_t) if code_t == 0 and text_t else err_t))
            if any(o != outputs[0] for o in outputs[1:]):
                problems.append("different results at 1, 2 and 5 threads")
            thread_checks.append(index)
        results.append((command, code, problems, argv, err))
    failed = [(c, code, p, a, e) for c, code, p, a, e in results if p]
    if failed and args.findings:
        os.makedirs(args.findings, exist_ok=True)
        stem = os.path.join(args.findings, f"mutant-{args.seed}-{index}")
        shutil.copy(mutant_path, stem + ".toml")
        with open(stem + ".txt", "w", encoding="utf-8") as f:
            f.write(f"seed scenario: {name}\nmutations: {mutations}\n")
            for command, code, problems, argv, err in failed:
                f.write(f"\n$ {' '.join(argv)}\nexit {code}\nproblems: {problems}\nstderr:\n{err}\n")
    shutil.rmtree(work, ignore_errors=True)
    return index, name, mutations, results


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--mutants", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--findings", default="")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--thread-sample", type=int, default=10, help="compare 1, 2 and 5 threads on every Nth mutant")
    args = parser.parse_args()

    seeds = []
    for file in sorted(os.listdir(os.path.join(ROOT, "scenarios"))):
        if file.endswith(".toml"):
            with open(os.path.join(ROOT, "scenarios", file), "rb") as f:
                seeds.append((file, tomllib.load(f)))

    counts = {"0": 0, "2": 0}
    passed = failed = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for index, name, mutations, results in pool.map(lambda i: fuzz_one(i, args, seeds), range(args.mutants)):
            for command, code, problems, argv, err in results:
                counts[str(code)] = counts.get(str(code), 0) + 1
                if problems:
                    failed += 1
                    more = " ..." if len(problems) > 4 else ""
                    print(f"FINDING mutant {index} ({name}; {'; '.join(mutations)}) {command}: "
                          f"{'; '.join(problems[:4])}{more}", flush=True)
                else:
                    passed += 1
    print(f"exit codes: {dict(sorted(counts.items()))}; runs compared at 1, 2 and 5 threads: {len(thread_checks)}")
    print(f"cli_fuzz: seed {args.seed}, {args.mutants} mutants, {passed + failed} runs checked, {failed} findings")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
