#!/usr/bin/env python3
"""Start-up probe: polls an HTTPS URL until it answers 200 and prints the milliseconds elapsed since
the given start time (nanoseconds since the epoch, as `date +%s%N` prints them). Gives up after 60 s."""
import http.client
import ssl
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
            print(round((time.time_ns() - start_ns) / 1e6))
            sys.exit(0)
    except OSError:
        pass
    time.sleep(0.01)
sys.exit("no 200 from " + url + " within 60 s")
