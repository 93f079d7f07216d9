#!/usr/bin/env python3
"""Warm-up curve from h2load's per-request log (--log-file: start time in microseconds since the epoch,
HTTP status, microseconds until the end of the response; one line per request).

    curve.py LOG CSV SECONDS

Buckets the requests by the second of the load they started in (second 1 starts with the first request),
writes CSV (second,requests,errors,p50_ms,p99_ms,max_ms) for the SECONDS whole seconds, and prints one
summary line:

    steady_rps first10_pct second_90 p99_first10_ms p99_steady_ms requests errors
      w1_rps w1_p99 w2_rps w2_p99 ...

steady_rps is the mean rate of the last 10 s of the curve (the last half when it is shorter than 20 s);
first10_pct the mean of seconds 1-10 as a percentage of it; second_90 the first second at or above 90 % of
it. The windows w1... are seconds 1, 2, ..., 10, then 11-20, 21-30, ... (their requests/s and the p99 of
all their requests). Latencies are the nearest-rank percentiles of the requests that started in a second.
"""
import sys
from array import array


def percentile(sorted_values, p):
    if not sorted_values:
        return 0.0
    rank = max(1, -(-len(sorted_values) * p // 100))  # nearest rank: ceil(n * p / 100)
    return sorted_values[int(rank) - 1] / 1000.0


def main():
    log, csv, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    starts, statuses, latencies = array("q"), array("l"), array("q")
    with open(log) as f:
        for line in f:
            parts = line.split("\t")
            if len(parts) != 3:
                continue
            starts.append(int(parts[0]))
            statuses.append(int(parts[1]))
            latencies.append(int(parts[2]))
    if not starts:
        sys.exit("no requests in " + log)
    t0 = min(starts)
    buckets = [array("q") for _ in range(seconds)]
    errors = [0] * seconds
    for start, status, latency in zip(starts, statuses, latencies):
        second = (start - t0) // 1_000_000
        if second >= seconds:
            continue  # the last, partial second
        buckets[second].append(latency)
        if status != 200:
            errors[second] += 1
    rows = []
    with open(csv, "w") as out:
        out.write("second,requests,errors,p50_ms,p99_ms,max_ms\n")
        for i, bucket in enumerate(buckets):
            values = sorted(bucket)
            row = (i + 1, len(values), errors[i], percentile(values, 50), percentile(values, 99),
                   values[-1] / 1000.0 if values else 0.0)
            rows.append(row)
            out.write("%d,%d,%d,%.3f,%.3f,%.3f\n" % row)

    tail = 10 if seconds >= 20 else max(1, seconds // 2)
    steady = sum(r[1] for r in rows[-tail:]) / tail
    first = rows[:min(10, seconds)]
    first10 = sum(r[1] for r in first) / len(first)
    second90 = next((r[0] for r in rows if r[1] >= 0.9 * steady), "none")

    def window_p99(lo, hi):  # seconds lo..hi, 1-based, inclusive
        values = sorted(v for b in buckets[lo - 1:hi] for v in b)
        return percentile(values, 99)

    windows = [(s, s) for s in range(1, min(10, seconds) + 1)]
    windows += [(lo, min(lo + 9, seconds)) for lo in range(11, seconds + 1, 10)]
    fields = ["%.0f" % steady, "%.0f" % (100 * first10 / steady if steady else 0), str(second90),
              "%.2f" % window_p99(1, min(10, seconds)), "%.2f" % window_p99(seconds - tail + 1, seconds),
              str(sum(r[1] for r in rows)), str(sum(errors))]
    for lo, hi in windows:
        n = sum(r[1] for r in rows[lo - 1:hi])
        fields += ["%.0f" % (n / (hi - lo + 1)), "%.2f" % window_p99(lo, hi)]
    print(" ".join(fields))


if __name__ == "__main__":
    main()
