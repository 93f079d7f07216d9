#!/usr/bin/env python3
"""Warm-up curve from h2load's per-request log (--log-file: start time in microseconds since the epoch,
HTTP status, microseconds until the end of the response; one line per request).

    curve.py LOG CSV SECONDS [CPU_SAMPLES]

Buckets the requests by the second of the load they started in (second 1 starts with the first request)
and writes CSV (second,requests,errors,p50_ms,p99_ms,max_ms,other_cpu_pct) for the SECONDS whole seconds.
CPU_SAMPLES has a line every half second or so, "EPOCH_US BUSY ALL OWN": the server core's busy and total
ticks and the server's own ticks; other_cpu_pct is the share of the core's time in that second that
went to other processes (empty without samples). Prints one summary line:

    first_us steady_rps first10_pct second_90 p99_first10_ms p99_steady_ms other_steady_pct requests errors
      w1_rps w1_p99 w1_other w2_rps w2_p99 w2_other ...

first_us is the first request's start; steady_rps the mean rate of the last 10 s of the curve (the last
half when it is shorter than 20 s); first10_pct the mean of seconds 1-10 as a percentage of it;
second_90 the first second at or above 90 % of it. The windows w1... are seconds 1, 2, ..., 10, then
11-20, 21-30, ... (requests/s, the p99 of all their requests, other processes' CPU share). Latencies are
nearest-rank percentiles of the requests that started in a second.
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
    samples = sys.argv[4] if len(sys.argv) > 4 else None
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

    # Other processes' ticks and all ticks of the server core, per second of the curve: each interval
    # between two samples counts in the second its end falls in.
    other, total = [0] * seconds, [0] * seconds
    if samples:
        with open(samples) as f:
            rows = [tuple(int(v) for v in line.split()) for line in f if len(line.split()) == 4]
        for (_, b0, a0, o0), (t, b1, a1, o1) in zip(rows, rows[1:]):
            second = (t - t0) // 1_000_000
            if 0 <= second < seconds:
                other[second] += max(0, (b1 - b0) - (o1 - o0))
                total[second] += a1 - a0

    def other_pct(lo, hi):  # seconds lo..hi, 1-based, inclusive
        t = sum(total[lo - 1:hi])
        return "%.0f" % (100 * sum(other[lo - 1:hi]) / t) if t else "n/a"

    rows = []
    with open(csv, "w") as out:
        out.write("second,requests,errors,p50_ms,p99_ms,max_ms,other_cpu_pct\n")
        for i, bucket in enumerate(buckets):
            values = sorted(bucket)
            row = (i + 1, len(values), errors[i], percentile(values, 50), percentile(values, 99),
                   values[-1] / 1000.0 if values else 0.0)
            rows.append(row)
            pct = other_pct(i + 1, i + 1)
            out.write("%d,%d,%d,%.3f,%.3f,%.3f,%s\n" % (row + ("" if pct == "n/a" else pct,)))

    tail = 10 if seconds >= 20 else max(1, seconds // 2)
    steady = sum(r[1] for r in rows[-tail:]) / tail
    first = rows[:min(10, seconds)]
    first10 = sum(r[1] for r in first) / len(first)
    second90 = next((r[0] for r in rows if r[1] >= 0.9 * steady), "none")

    def window_p99(lo, hi):
        values = sorted(v for b in buckets[lo - 1:hi] for v in b)
        return percentile(values, 99)

    windows = [(s, s) for s in range(1, min(10, seconds) + 1)]
    windows += [(lo, min(lo + 9, seconds)) for lo in range(11, seconds + 1, 10)]
    fields = [str(t0), "%.0f" % steady, "%.0f" % (100 * first10 / steady if steady else 0), str(second90),
              "%.2f" % window_p99(1, min(10, seconds)), "%.2f" % window_p99(seconds - tail + 1, seconds),
              other_pct(seconds - tail + 1, seconds), str(sum(r[1] for r in rows)), str(sum(errors))]
    for lo, hi in windows:
        n = sum(r[1] for r in rows[lo - 1:hi])
        fields += ["%.0f" % (n / (hi - lo + 1)), "%.2f" % window_p99(lo, hi), other_pct(lo, hi)]
    print(" ".join(fields))


if __name__ == "__main__":
    main()
