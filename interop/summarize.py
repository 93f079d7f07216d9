#!/usr/bin/python3
"""Prints the interoperability suite's verifier x case matrix and its closing "N passed, M failed" line.

A cell passes when the relying party reported the expected outcome; a missing line (a verifier that
crashed or timed out) is a failure; a case marked "steady" (a trust domain that did not change) passes only
on its first attempt. --cases takes one case file per issuer, each shown as a section of the matrix.
Service-level checks from run.sh count too. Exits 1 on any failure.
"""

import argparse
import json
import os
import sys


def judge(case, result, verifier):
    """The matrix cell of one verifier and case, and what went wrong (None when the cell passes)."""
    if result is None:
        return "FAIL:none", "no result (verifier crashed or timed out; see verifier-%s*.err)" % verifier
    if not result["ok"]:
        return "FAIL:" + result["result"], result["detail"] or "accepted a token it must reject"
    if case.get("steady") and result["attempts"] != 1:
        return "FAIL:retried", "accepted only after %d attempts (%d ms); a steady issuer's token must verify at once" % (
            result["attempts"], result["ms"])
    cell = "ok"
    if case["phase"] == "rotation" and case["expect"] == "accept":
        cell += " %.1fs" % (result["ms"] / 1000)
    return cell, None


def main():
    parser = argparse.ArgumentParser()
    for name in ("--cases", "--results", "--checks", "--verifiers", "--source", "--refresh-limit-ms",
                 "--cache-max-age", "--propagation-ms", "--suite-ms", "--logs", "--libraries"):
        parser.add_argument(name, required=True)
    parser.add_argument("--issuer-via", choices=("service", "s3"), default="service")
    args = parser.parse_args()
    via_store = args.issuer_via == "s3"

    sections = []  # (issuer, cases of that issuer)
    for path in args.cases.split():
        with open(path, encoding="utf-8") as f:
            document = json.load(f)
        sections.append((document["issuer"],
                         [{"name": document.get("discovery_case", "discovery"), "phase": "initial",
                           "expect": "accept", "description": "issuer -> /.well-known/openid-configuration -> jwks_uri"}]
                         + document["cases"]))
    cases = [c for _, section in sections for c in section]
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
    if via_store:
        print("Interoperability matrix (source=%s, issuers read from an S3 store (S3Proxy) the service publishes to,"
              " expected outcome in brackets)" % args.source)
    else:
        print("Interoperability matrix (source=%s, expected outcome in brackets)" % args.source)
    print("Libraries: " + args.libraries)
    print("case".ljust(width) + "expect  " + "".join(v.ljust(col) for v in verifiers))
    for issuer, section in sections:
        print("-- issuer %s" % issuer)
        for c in section:
            cells = []
            for v in verifiers:
                cell, problem = judge(c, results.get((v, c["name"])), v)
                if problem is None:
                    passed += 1
                else:
                    failed += 1
                    failures.append((v, c["name"], problem))
                cells.append(cell.ljust(col))
            print(c["name"].ljust(width) + ("[%s]" % c["expect"]).ljust(8) + "".join(cells))

    print()
    limit = ("%s ms" % args.refresh_limit_ms) if args.refresh_limit_ms.isdigit() else "the libraries' defaults"
    print("Rotation (the %s served the new kid %s ms after the push; jose cooldown and Nimbus rate limit: %s;"
          " Cache-Control max-age %s s):" % ("store" if via_store else "service", args.propagation_ms, limit,
                                             args.cache_max_age))
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
