"""Schemathesis hooks for scripts/fuzz.sh (loaded through SCHEMATHESIS_HOOKS).

- Check `agentmon_no_internal`: fails on any HTTP 5xx and on any GraphQL
  error whose `extensions.code` is `INTERNAL`.
- Counts every request it sees, and appends each failing one (status,
  codes, requestId, operation, query and variables, shortened) to
  $FUZZ_FAILURES as a JSON line. At exit it writes the counts to
  $FUZZ_STATS as JSON: {"requests": N, "internal": X, "server_errors": Y}.
"""

import atexit
import json
import os
import threading

import schemathesis

_lock = threading.Lock()
_stats = {"requests": 0, "internal": 0, "server_errors": 0, "network_errors": 0}
_MAX_QUERY = 600


def _errors(response):
    """The GraphQL errors of a response, or [] when it has none or is not JSON."""
    try:
        body = response.json()
    except Exception:
        return []
    if not isinstance(body, dict) or not isinstance(body.get("errors"), list):
        return []
    return [e for e in body["errors"] if isinstance(e, dict)]


def _internal(errors):
    return [e for e in errors if isinstance(e.get("extensions"), dict) and e["extensions"].get("code") == "INTERNAL"]


def _query_and_variables(case):
    body = case.body
    if isinstance(body, dict):
        query, variables = body.get("query"), body.get("variables")
    else:
        query, variables = body, None
    if isinstance(query, bytes):
        query = query.decode("utf-8", "replace")
    query = " ".join(str(query).split())
    if len(query) > _MAX_QUERY:
        query = query[:_MAX_QUERY] + "…"
    return query, variables


def _record(kind, case, response, internal):
    path = os.environ.get("FUZZ_FAILURES")
    if not path:
        return
    query, variables = _query_and_variables(case)
    request_id = (response.headers.get("x-request-id") or [None])[0]
    line = {
        "kind": kind,
        "requestId": request_id,
        "operation": getattr(case.operation, "label", "?"),
        "status": response.status_code,
        "errors": [
            {"message": e.get("message"), "path": e.get("path"), "requestId": (e.get("extensions") or {}).get("requestId")}
            for e in internal
        ],
        "body": None if internal else response.text[:300],
        "query": query,
        "variables": variables,
    }
    with _lock, open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(line, ensure_ascii=False) + "\n")


@schemathesis.hook
def after_call(context, case, response):
    internal = _internal(_errors(response))
    server_error = response.status_code >= 500
    with _lock:
        _stats["requests"] += 1
        _stats["internal"] += 1 if internal else 0
        _stats["server_errors"] += 1 if server_error else 0
    if server_error:
        _record("5xx", case, response, internal)
    elif internal:
        _record("INTERNAL", case, response, internal)


@schemathesis.hook
def after_network_error(context, case, request):
    with _lock:
        _stats["requests"] += 1
        _stats["network_errors"] += 1


@schemathesis.check
def agentmon_no_internal(ctx, response, case):
    """No HTTP 5xx, and no GraphQL error with extensions.code INTERNAL."""
    if response.status_code >= 500:
        raise AssertionError(f"HTTP {response.status_code}: {response.text[:300]}")
    internal = _internal(_errors(response))
    if internal:
        first = internal[0]
        raise AssertionError(
            f"GraphQL error with code INTERNAL (requestId {first['extensions'].get('requestId')}): {first.get('message')}"
        )
    return None


@atexit.register
def _write_stats():
    path = os.environ.get("FUZZ_STATS")
    if path:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(_stats, f)
