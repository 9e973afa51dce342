#!/usr/bin/env python3
"""Medians of several run.sh outputs, as the same Markdown table.

  for i in 1 2 3; do Benchmarks/serving/run.sh > run$i.txt; done
  python3 Benchmarks/serving/median.py run1.txt run2.txt run3.txt

Each cell is the median over the runs of that row's value (requests/s, p50,
p99 and RSS separately); non-2xx and socket errors are summed.
"""
import re
import statistics
import sys

ROW = re.compile(r"^\| (.+?) \| (\d+) \| (\d+) \| ([\d.]+) ms \| ([\d.]+) ms \| (\d+) \| (\d+) \|$")
RSS = re.compile(r"^\| (.+?) \| ([\d.]+) MB \| ([\d.]+) MB")


def main(paths):
    rows, rss, order, rss_order, unsupported = {}, {}, [], [], []
    for path in paths:
        for line in open(path):
            line = line.rstrip("\n")
            if m := ROW.match(line):
                key = (m[1], int(m[2]))
                if key not in rows:
                    rows[key] = []
                    order.append(key)
                rows[key].append([float(m[i]) for i in range(3, 8)])
            elif m := RSS.match(line):
                if m[1] not in rss:
                    rss[m[1]] = []
                    rss_order.append(m[1])
                rss[m[1]].append((float(m[2]), float(m[3])))
            elif "| all | unsupported" in line and line not in unsupported:
                unsupported.append(line)
    med = lambda xs: statistics.median(xs)
    print(f"Medians of {len(paths)} runs.\n")
    print("| server, format | connections | requests/s | p50 | p99 | non-2xx (sum) | socket errors (sum) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for key in order:
        v = list(zip(*rows[key]))
        print(f"| {key[0]} | {key[1]} | {med(v[0]):.0f} | {med(v[1]):.2f} ms | {med(v[2]):.2f} ms | "
              f"{sum(v[3]):.0f} | {sum(v[4]):.0f} |")
    for line in unsupported:
        print(line)
    print("\n| server | idle RSS, model loaded | peak RSS under load |")
    print("|---|---:|---:|")
    for name in rss_order:
        idle, peak = zip(*rss[name])
        print(f"| {name} | {med(idle):.1f} MB | {med(peak):.1f} MB |")
    ratios = []
    for fmt in ("V2 JSON", "V2 JSON FP32"):
        tern = {c: med([r[0] for r in rows[(n, c)]]) for (n, c) in order if n == f"tern {fmt}"}
        peers = sorted({n for (n, _) in order if n.startswith(f"FastAPI {fmt}, ")})
        for c, t in tern.items():
            parts = [f"{t / med([r[0] for r in rows[(p, c)]]):.2f}x vs {p.removeprefix(f'FastAPI {fmt}, ')}"
                     for p in peers if (p, c) in rows]
            if parts:
                ratios.append(f"  {fmt}, {c} connections:  " + "  ".join(parts))
    if ratios:
        print("\nTern / FastAPI requests/s (ratio of medians):\n\n```")
        print("\n".join(ratios))
        print("```")

if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
