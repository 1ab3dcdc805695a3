"""The same recalculation as bench/scoring.ts, in pandas/numpy, for the ratio it prints.

usage: python3 bench/scoring_pandas.py DATA.csv METHODOLOGY.json RUNS WARMUP
DATA.csv: name,entity,level,type and one column per variable; METHODOLOGY.json: the methodology.
Timed job (median over RUNS after WARMUP): every composite node (tree, cross nodes), the equivalent
paths checked against them (count of differences above 1e-4), then the plain means of every node by
entity, type and level and nationally. Group columns are categorical (factorised once, outside the
timing), as the TypeScript side uses precomputed group codes. Prints one line of JSON.
"""
import json
import sys
import time

import numpy as np
import pandas as pd


def paths(methodology):
    """(node, rule, [(term, weight)], kind) for every path, primary first, in dependency order."""
    out = []

    def tree(node):
        for child in node.get("children", []):
            tree(child)
        if "children" in node:
            out.append((node["id"], node["aggregation"], [(c["id"], c["weight"]) for c in node["children"]], "primary"))

    tree(methodology["tree"])
    for cross in methodology.get("crossNodes", []):
        out.append((cross["id"], cross["aggregation"], [(t["node"], t["weight"]) for t in cross["terms"]], "primary"))
    for path in methodology.get("equivalentPaths", []):
        out.append((path["node"], path["aggregation"], [(t["node"], t["weight"]) for t in path["terms"]], "equivalent"))
    return out


def job(frame, variables, plan):
    values = {v: frame[v].to_numpy() for v in variables}
    discrepancies = 0
    for node, rule, terms, kind in plan:
        matrix = np.column_stack([values[t] for t, _ in terms])
        weights = np.array([w for _, w in terms])
        computed = matrix @ weights
        if kind == "primary":
            values[node] = computed
        else:
            discrepancies += int(np.count_nonzero(np.abs(values[node] - computed) > 1e-4))
    scores = pd.DataFrame(values)
    groupings = [scores.mean()]
    for by in ("entity", "type", "level"):
        groupings.append(scores.groupby(frame[by], observed=True).mean())
    return groupings, discrepancies


def main():
    data, methodology_path, runs, warmup = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    with open(methodology_path, encoding="utf-8") as f:
        methodology = json.load(f)
    frame = pd.read_csv(data)
    for by in ("entity", "type", "level"):
        frame[by] = frame[by].astype("category")
    variables = [c for c in frame.columns if c not in ("name", "entity", "level", "type")]
    plan = paths(methodology)
    for _ in range(warmup):
        job(frame, variables, plan)
    durations = []
    for _ in range(runs):
        start = time.perf_counter()
        job(frame, variables, plan)
        durations.append((time.perf_counter() - start) * 1000)
    durations.sort()
    print(json.dumps({"pandas_ms": durations[len(durations) // 2], "min_ms": durations[0], "runs": runs,
                      "durations_ms": durations, "pandas": pd.__version__, "numpy": np.__version__}))


if __name__ == "__main__":
    main()
