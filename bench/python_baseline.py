"""Baseline for `npm run bench:parse`: the Python collector's way of parsing an AccessSession report.

Reproduces Sekoia's BeyondTrust PRA connector (automation-library, BeyondTrust/beyondtrust_modules):
`helpers.parse_session` / `parse_session_end_time` and `connector_pra_platform.next_batch`:

- the whole HTTP body is in memory as text, and lxml parses all of it at once
  (`etree.fromstring(text.encode())`), so the full tree exists before the first event;
- XPath with the namespace hard-coded to the reporting one;
- per session: `end_time/@timestamp` (the collector keeps the largest as its checkpoint), the
  session id and `jump_group`;
- per `session_details/event`: a dict with timestamp, event_type, performed_by{type,name},
  data{name:value}, destination{type,name}, then session_id and jump_group, in that key order;
- every event dict of the response is built into one list, then every one is serialised
  compactly into a second list, which is what gets pushed to the intake.

Differences, each in Python's favour or neutral:
- the real helpers expect one session per response (`[0]` on absolute XPaths) and parse the body
  twice (once for end_time, once for the events); here one parse serves a multi-session report,
  so the real collector would be slower still;
- orjson is not installed here, so serialisation uses json.dumps with the same compact separators.

Usage: python3 python_baseline.py REPORT.xml
Prints one JSON line: events, sessions, maxEndTime, jsonBytes, seconds, peakRssMb, serializer.
"""

import json
import resource
import sys
import time

from lxml import etree

NAMESPACE = {"ns": "http://www.beyondtrust.com/sra/namespaces/API/reporting"}


def parse_report(text):
    """Returns (session count, max end_time, event dicts) the way helpers.py builds them."""
    root = etree.fromstring(text.encode())
    sessions = root.xpath("//ns:session", namespaces=NAMESPACE)
    max_end_time = 0
    result = []
    for session in sessions:
        end_time = int(session.xpath("ns:end_time/@timestamp", namespaces=NAMESPACE)[0])
        max_end_time = max(max_end_time, end_time)
        events_header = {
            "session_id": session.attrib["lsid"],
            "jump_group": {
                "name": session.xpath("ns:jump_group/text()", namespaces=NAMESPACE)[0],
                "type": session.xpath("ns:jump_group/@type", namespaces=NAMESPACE)[0],
            },
        }
        for event in session.xpath("ns:session_details/ns:event", namespaces=NAMESPACE):
            record = {
                "timestamp": event.attrib["timestamp"],
                "event_type": event.attrib["event_type"],
            }
            performed_by = event.find("ns:performed_by", namespaces=NAMESPACE)
            data = event.find("ns:data", namespaces=NAMESPACE)
            destination = event.find("ns:destination", namespaces=NAMESPACE)
            if performed_by is not None:
                record["performed_by"] = {"type": performed_by.attrib["type"], "name": performed_by.text}
            if data is not None:
                record["data"] = {item.attrib["name"]: item.attrib["value"] for item in data}
            if destination is not None:
                record["destination"] = {"type": destination.attrib["type"], "name": destination.text}
            record.update(events_header)
            result.append(record)
    return len(sessions), max_end_time, result


def main(path):
    started = time.perf_counter()
    # The collector receives the whole body at once (requests' response.text).
    with open(path, encoding="utf-8") as report:
        text = report.read()
    sessions, max_end_time, events = parse_report(text)
    # next_batch: orjson.dumps(event).decode() for every event of the response.
    batch = [json.dumps(event, separators=(",", ":"), ensure_ascii=False) for event in events]
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "events": len(batch),
                "sessions": sessions,
                "maxEndTime": max_end_time,
                "jsonBytes": sum(len(line) for line in batch),
                "seconds": seconds,
                # Linux reports ru_maxrss in KB.
                "peakRssMb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "serializer": "json.dumps (orjson not installed)",
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1])
