#!/usr/bin/python3
"""Prints the tables of docs/results.md from a pipeline's output folder (Markdown).

    /usr/bin/python3 benchmarks/augment_tables.py out/augment target
The folder holds fid/NAME-classifier.csv per GAN and evaluate/{summary,comparison}.csv; SET is
the set the comparison is read on (target, or source-test without another region).
"""
import csv
import os
import sys

out, test_set = sys.argv[1], sys.argv[2]
gans = sorted(d for d in os.listdir(os.path.join(out, "gans")) if os.path.exists(os.path.join(out, "fid", d + "-classifier.csv")))


def fmt(v, signed=False):
    v = float(v)
    if v != v:
        return "undefined"
    return (("+" if v >= 0 else "−") if signed else ("" if v >= 0 else "−")) + f"{abs(v):.3f}"


print("| GAN | Fréchet distance (classifier) | precision | recall | density | coverage | clusters: min recall / min coverage |")
print("|---|---|---|---|---|---|---|")
for g in gans:
    rows = list(csv.DictReader(open(os.path.join(out, "fid", g + "-classifier.csv"))))
    a = [r for r in rows if r["cluster"] == "all"][0]
    per = [r for r in rows if r["cluster"] != "all" and r["recall"] != ""]
    mins = (f"{min(float(r['recall']) for r in per):.3f} / {min(float(r['coverage']) for r in per):.3f}"
            f" ({len(per)} clusters)") if per else "—"
    print(f"| {g} | {float(a['fid']):.2f} | {fmt(a['precision'])} | {fmt(a['recall'])} | {fmt(a['density'])} | "
          f"{fmt(a['coverage'])} | {mins} |")
print()
metrics = [("recall", "recall"), ("recall_at_val_threshold", "recall (val. t)"), ("average_precision", "AP"),
           ("roc_auc", "ROC AUC")]
cmp = list(csv.DictReader(open(os.path.join(out, "evaluate", "comparison.csv"))))
for ref in ("baseline", "duplicate"):
    print(f"| arm − {ref} ({test_set}) | " + " | ".join(m[1] for m in metrics) + " |")
    print("|---|" + "---|" * len(metrics))
    arms = []
    for c in cmp:
        if c["set"] == test_set and c["reference"] == ref and c["arm"] not in arms:
            arms.append(c["arm"])
    for arm in arms:
        cells = []
        for m, _ in metrics:
            c = [x for x in cmp if x["set"] == test_set and x["reference"] == ref and x["arm"] == arm and x["metric"] == m][0]
            s = f"{fmt(c['difference'], True)} [{fmt(c['low'], True)}, {fmt(c['high'], True)}]"
            cells.append("**" + s + "**" if c["significant"] == "1" else s)
        print(f"| {arm} | " + " | ".join(cells) + " |")
    print()
