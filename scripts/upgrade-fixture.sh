#!/usr/bin/env bash
# Makes tests/fixtures/upgrade/: a database created and filled by the
# agentmon binary given (the previous release), its backup, and what that
# binary answered to tests/fixtures/upgrade/queries.json. Run once per
# release by whoever cuts it; tests/e2e/upgrade.rs opens the backup with
# the binary under test and expects the same answers and every row.
#
#   scripts/upgrade-fixture.sh /path/to/previous/agentmon "what it is (a version, a commit)"
set -euo pipefail
cd "$(dirname "$0")/.."
old=$(realpath "$1")
out=tests/fixtures/upgrade
work=$(mktemp -d /var/tmp/agentmon-fixture.XXXXXX)
chmod 755 "$work"
export AGENTMON_DATA_DIR="$work/data"
export AGENTMON_JWT_SECRET=upgrade-fixture-secret-0123456789abcdef0123456789
unset DATABASE_URL DATABASE_APP_URL REDIS_URL AGENTMON_WEB_DIR AGENTMON_DEMO
port=18931
"$old" serve --listen 127.0.0.1:$port > "$work/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 120); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.5; done

"$old" generate --orgs 3 --users 6 --days 7 --seed 7 --url "http://127.0.0.1:$port"
key=$("$old" key create --org demo-1 --name fixture | grep -o 'amk_[A-Za-z0-9_-]*' | head -1)
token=$("$old" token --role SUPER_ADMIN | tail -1)
gql() { curl -fs "http://127.0.0.1:$port/graphql" -H "authorization: Bearer $token" -H 'content-type: application/json' -d "$1"; }
team=$(gql '{"query":"mutation { createTeam(org: \"demo-1\", name: \"Platform\") { id } }"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["createTeam"]["id"])')
gql "{\"query\":\"mutation { setUserRole(org: \\\"demo-1\\\", userId: \\\"user-002\\\", role: MANAGER) { id } setTeamMembers(org: \\\"demo-1\\\", team: \\\"$team\\\", userIds: [\\\"user-001\\\", \\\"user-002\\\"]) { id } }\"}" >/dev/null
# Every event projected before the answers are taken.
pgport=$(grep -o 'embedded, on 127.0.0.1:[0-9]*' "$work/serve.log" | head -1 | sed 's/.*://')
url="postgres://agentmon:$(cat "$work/data/pg-password")@127.0.0.1:$pgport/agentmon"
bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
for _ in $(seq 240); do
  [ "$("$bindir/psql" -At "$url" -c 'SELECT count(*) FROM projection_queue')" = 0 ] && break; sleep 0.5
done

python3 - "$port" "$token" "$key" "$out" "${2:-$("$old" --version)}" <<'PY'
import json, sys, urllib.request
port, token, key, out, version = sys.argv[1:]
queries = json.load(open(f"{out}/queries.json"))
answers = {}
for q in queries:
    req = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", data=json.dumps({"query": q["query"]}).encode(),
                                 headers={"authorization": f"Bearer {token}", "content-type": "application/json"})
    body = json.load(urllib.request.urlopen(req))
    assert "errors" not in body, (q["name"], body)
    answers[q["name"]] = body["data"]
json.dump({"made_by": version, "api_key": key, "jwt_secret": "upgrade-fixture-secret-0123456789abcdef0123456789",
           "answers": answers}, open(f"{out}/answers.json", "w"), indent=1, sort_keys=True)
PY

# The backup, with the cluster's own pg_dump, and every table's row count.
"$bindir/pg_dump" --format=custom --file="$out/previous.dump" --dbname="$url"
"$bindir/psql" -At "$url" -c "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r','p') AND NOT c.relispartition ORDER BY 1" |
  while read -r t; do echo "$t $("$bindir/psql" -At "$url" -c "SELECT count(*) FROM public.\"$t\"")"; done > "$out/rows.txt"
ls -la "$out"
