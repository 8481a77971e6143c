#!/usr/bin/env python3
"""Joins `solve_instance --gap` output lines with the published values and prints a Markdown table.

    python3 benches/gap/table.py RESULTS.txt [../shared/data/gap/optimal_values.csv]

RESULTS.txt holds lines `<file>#<k> objective=<int> bound=<int> seconds=<float> status=<...>`.
gap1-gap12 are compared with `max_optimum` (they are run with --maximize), the others with
`min_best_known`; `vs published` is (objective - published) / published, in percent, signed so that
0 is the published value and positive is worse. The last line summarises the run.
"""
import csv
import sys


def main():
    results = sys.argv[1]
    values = sys.argv[2] if len(sys.argv) > 2 else "../shared/data/gap/optimal_values.csv"
    published = {}
    with open(values, newline="") as f:
        for row in csv.DictReader(f):
            published[(row["file"], int(row["index"]))] = row
    print("| instance | published | objective | bound | status | seconds | vs published |")
    print("|---|---|---|---|---|---|---|")
    count = at_published = optimal = 0
    seconds_total = 0.0
    worst = 0.0
    for line in open(results):
        parts = line.split()
        if not parts or "#" not in parts[0]:
            continue
        name, k = parts[0].split("#")
        fields = dict(p.split("=", 1) for p in parts[1:] if "=" in p)
        row = published[(name, int(k))]
        maximize = name.startswith("gap") and name[3:-4].isdigit()
        value = int(row["max_optimum"] if maximize else row["min_best_known"])
        objective = int(fields["objective"])
        worse = (value - objective) if maximize else (objective - value)
        pct = 100.0 * worse / value
        count += 1
        at_published += worse == 0
        optimal += fields["status"] == "optimal"
        seconds_total += float(fields["seconds"])
        worst = max(worst, pct)
        print(
            f"| {name}#{k} | {value} | {objective} | {fields['bound']} | {fields['status']} "
            f"| {float(fields['seconds']):.2f} | {pct:+.2f}% |"
        )
    print()
    print(
        f"{count} instances: {at_published} at the published value, {optimal} proven optimal, "
        f"worst {worst:+.2f}% from the published value, {seconds_total:.1f} s in total."
    )


if __name__ == "__main__":
    main()
