"""Summarises a fuzz run for scripts/fuzz.sh: the distinct causes behind the
failing requests in FAILURES (JSON lines from hooks.py), each with the
server's error-level log line for it from SERVER_LOG (AGENTMON_LOG_FORMAT=json)
and one example request.

    python summary.py FAILURES SERVER_LOG
"""

import json
import re
import sys
from collections import OrderedDict


def normalise(text):
    text = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<uuid>", text)
    return re.sub(r"\d+", "<n>", text)


def _merge_duplicates(pairs):
    """tracing's JSON may repeat a key (an event's `message` field and its message): keep both."""
    merged = {}
    for key, value in pairs:
        merged[key] = f"{merged[key]}: {value}" if key in merged else value
    return merged


def server_errors(path):
    """request id -> error-level log messages logged while serving it; and the lines without one."""
    by_request, other = {}, []
    try:
        lines = open(path, encoding="utf-8", errors="replace").read().splitlines()
    except OSError:
        return by_request, other
    for raw in lines:
        try:
            line = json.loads(raw, object_pairs_hook=_merge_duplicates)
        except ValueError:
            continue
        if line.get("level") != "ERROR":
            continue
        fields = line.get("fields") or {}
        # First lines only: errors carry their backtrace.
        text = " ".join(f"{k}={str(v).splitlines()[0] if str(v) else v}" for k, v in fields.items() if k != "message")
        text = f"{fields.get('message', '')} {text}".strip()
        request_id = (line.get("span") or {}).get("request_id")
        if request_id:
            by_request.setdefault(request_id, []).append(text)
        else:
            other.append(text)
    return by_request, other


def main(failures_path, log_path):
    by_request, other = server_errors(log_path)
    causes = OrderedDict()
    try:
        failures = [json.loads(l) for l in open(failures_path, encoding="utf-8") if l.strip()]
    except OSError:
        failures = []
    for f in failures:
        ids = {f.get("requestId")} | {e.get("requestId") for e in f.get("errors") or []}
        logged = [t for i in ids if i for t in by_request.get(i, [])]
        cause = logged[0] if logged else (f.get("body") or "(no server log line found)")
        key = (f["kind"], f.get("operation"), normalise(cause))
        entry = causes.setdefault(key, {"count": 0, "example": f, "cause": cause})
        entry["count"] += 1
    for (kind, operation, _), entry in causes.items():
        example = entry["example"]
        print(f"fuzz: {kind} x{entry['count']} in {operation} (HTTP {example['status']})")
        print(f"  server: {entry['cause'][:400]}")
        print(f"  query:  {example['query'][:400]}")
        if example.get("variables"):
            print(f"  variables: {json.dumps(example['variables'])[:300]}")
    if other:
        print(f"fuzz: {len(other)} error-level server log lines outside a request, first distinct ones:")
        distinct = OrderedDict()
        for text in other:
            distinct.setdefault(normalise(text), text)
        for text in list(distinct.values())[:5]:
            print(f"  {text[:300]}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
