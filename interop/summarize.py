#!/usr/bin/python3
"""Prints the interoperability suite's verifier x case matrix and its closing "N passed, M failed" line.

A cell passes when the relying party reported the expected outcome; a missing line (a verifier that
crashed or timed out) is a failure. Service-level checks from run.sh count too. Exits 1 on any failure.
"""

import argparse
import json
import os
import sys


def main():
    parser = argparse.ArgumentParser()
    for name in ("--cases", "--results", "--checks", "--verifiers", "--source", "--refresh-limit-ms",
                 "--cache-max-age", "--propagation-ms", "--suite-ms", "--logs", "--libraries"):
        parser.add_argument(name, required=True)
    args = parser.parse_args()

    with open(args.cases, encoding="utf-8") as f:
        cases = [{"name": "discovery", "phase": "initial", "expect": "accept",
                  "description": "issuer -> /.well-known/openid-configuration -> jwks_uri"}]
        cases += json.load(f)["cases"]
    verifiers = args.verifiers.split()
    results = {}
    with open(args.results, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line:
                r = json.loads(line)
                results[(r["verifier"], r["case"])] = r

    passed = failed = 0
    failures = []
    width = max(len(c["name"]) for c in cases) + 2
    col = max(max(len(v) for v in verifiers), 10) + 2
    print()
    print("Interoperability matrix (source=%s, expected outcome in brackets)" % args.source)
    print("Libraries: " + args.libraries)
    print("case".ljust(width) + "expect  " + "".join(v.ljust(col) for v in verifiers))
    for c in cases:
        cells = []
        for v in verifiers:
            r = results.get((v, c["name"]))
            if r is None:
                cell = "FAIL:none"
                failed += 1
                failures.append((v, c["name"], "no result (verifier crashed or timed out; see verifier-%s.err)" % v))
            elif r["ok"]:
                cell = "ok"
                if c["phase"] == "rotation" and c["expect"] == "accept":
                    cell += " %.1fs" % (r["ms"] / 1000)
                passed += 1
            else:
                cell = "FAIL:" + r["result"]
                failed += 1
                failures.append((v, c["name"], r["detail"] or "accepted a token it must reject"))
            cells.append(cell.ljust(col))
        print(c["name"].ljust(width) + ("[%s]" % c["expect"]).ljust(8) + "".join(cells))

    print()
    limit = ("%s ms" % args.refresh_limit_ms) if args.refresh_limit_ms.isdigit() else "the libraries' defaults"
    print("Rotation (the service served the new kid %s ms after the push; jose cooldown and Nimbus rate limit: %s;"
          " Cache-Control max-age %s s):" % (args.propagation_ms, limit, args.cache_max_age))
    for v in verifiers:
        r = results.get((v, "rotated-new-key"))
        if r is None:
            print("  %-20s no result" % v)
        else:
            print("  %-20s %-7s after %5d ms, %d attempt(s)"
                  % (v, "accepted" if r["result"] == "accept" else "REJECTED", r["ms"], r["attempts"]))
            if r.get("note"):  # a verifier whose delay follows a rule of its library says which
                print("  %-20s %s" % ("", r["note"]))

    print()
    print("Service checks:")
    with open(args.checks, encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split(" ", 2)
            if len(parts) < 2:
                continue
            name, status = parts[0], parts[1]
            detail = parts[2] if len(parts) > 2 else ""
            print("  %-20s %-4s %s" % (name, status, detail))
            if status == "ok":
                passed += 1
            else:
                failed += 1
                failures.append(("service", name, detail))

    with open(os.path.join(args.logs, "details.txt"), "w", encoding="utf-8") as f:
        for c in cases:
            for v in verifiers:
                r = results.get((v, c["name"]))
                if r is not None:
                    f.write("%-20s %-22s expect=%-6s got=%-6s %6d ms  %s\n"
                            % (v, c["name"], c["expect"], r["result"], r["ms"], r["detail"]))

    if failures:
        print()
        print("Failures:")
        for v, name, detail in failures:
            print("  %s / %s: %s" % (v, name, detail))
    print()
    print("Suite time %.1f s; logs and per-case reasons in %s" % (int(args.suite_ms) / 1000, args.logs))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
