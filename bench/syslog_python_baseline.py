"""Baseline for `npm run bench:syslog`: the Python Syslog connector's approach, re-implemented.

What the Python connector does with PRA's Syslog ZIP, as described for the module we replace:
- the archive is opened with zipfile and every member is read as text, line by line, whatever it
  holds: gzip members come out as undecodable garbage (replaced here, so they do not raise), whose
  lines do not match the regex and are silently dropped;
- each line is matched by a regex on the header;
- segments are reassembled keyed by (pid, site id), joined as text;
- whatever is still incomplete at the end is flushed as if it were complete.
It then keeps only records newer than its checkpoint; that filter is left out, as is the push.

Usage: python3 syslog_python_baseline.py REPORT.zip
Prints one JSON line: records, lines, unparsedLines, payloadChars, withWhen, seconds, cpuSeconds,
peakRssMb.
"""

import io
import json
import re
import resource
import sys
import time
import zipfile

LINE = re.compile(r"^\w{3} +\d+ [\d:]{8} (\S+) BG(?:\[(\d+)\])?: ?(\d+):(\d+):(\d+):(.*)$")
WHEN = re.compile(r"(?:^|;)when=(\d+)")


def peak_rss_mb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def read_records(path, counts):
    """Yields each reassembled payload; counts["lines"] and counts["unparsed"] grow as it reads."""
    pending = {}
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            with archive.open(name) as member:
                for line in io.TextIOWrapper(member, encoding="utf-8", errors="replace"):
                    counts["lines"] += 1
                    match = LINE.match(line.rstrip("\n"))
                    if match is None:
                        counts["unparsed"] += 1
                        continue
                    _host, pid, site, index, total, payload = match.groups()
                    key = (pid, site)
                    parts = pending.setdefault(key, [])
                    parts.append(payload)
                    if int(index) == int(total):
                        del pending[key]
                        yield "".join(parts)
    for parts in pending.values():
        yield "".join(parts)


def main():
    started = time.perf_counter()
    records = payload_chars = with_when = 0
    counts = {"lines": 0, "unparsed": 0}
    for payload in read_records(sys.argv[1], counts):
        records += 1
        payload_chars += len(payload)
        if WHEN.search(payload):
            with_when += 1
    print(
        json.dumps(
            {
                "records": records,
                "lines": counts["lines"],
                "unparsedLines": counts["unparsed"],
                "payloadChars": payload_chars,
                "withWhen": with_when,
                "seconds": time.perf_counter() - started,
                "cpuSeconds": cpu_seconds(),
                "peakRssMb": peak_rss_mb(),
            }
        )
    )


if __name__ == "__main__":
    main()
