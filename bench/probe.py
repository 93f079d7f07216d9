#!/usr/bin/env python3
"""Start-up probe: polls an HTTPS URL until it answers 200 and prints the milliseconds elapsed since
the given start time (nanoseconds since the epoch, as `date +%s%N` prints them). Gives up after 60 s.

    probe.py URL CAFILE START_NS [MS_FILE COMMAND...]

With MS_FILE and a command, starts the command the moment the 200 arrives (bench/run.sh's warm-up
curves start their load that way), waits for it, and writes "MS CPU_SECONDS" to MS_FILE: the milliseconds
and the CPU time the command used (user and system), to show whether the load generator had headroom."""
import http.client
import resource
import ssl
import subprocess
import sys
import time
from urllib.parse import urlparse

url, cafile, start_ns = sys.argv[1], sys.argv[2], int(sys.argv[3])
parsed = urlparse(url)
context = ssl.create_default_context(cafile=cafile)
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    try:
        conn = http.client.HTTPSConnection(parsed.hostname, parsed.port, context=context, timeout=2)
        conn.request("GET", parsed.path)
        if conn.getresponse().status == 200:
            ms = round((time.time_ns() - start_ns) / 1e6)
            if len(sys.argv) > 5:
                conn.close()
                code = subprocess.call(sys.argv[5:])
                usage = resource.getrusage(resource.RUSAGE_CHILDREN)
                with open(sys.argv[4], "w") as out:
                    out.write("%d %.2f\n" % (ms, usage.ru_utime + usage.ru_stime))
                sys.exit(code)
            print(ms)
            sys.exit(0)
    except OSError:
        pass
    time.sleep(0.01)
sys.exit("no 200 from " + url + " within 60 s")
