#!/usr/bin/env bash
# Load test: the demo data on PostgreSQL, gunicorn with the production settings, locust with
# 50 users for 3 minutes (statistics reset once all have signed in), then the p95 of
# every page beside the p95 of /healthz.
#   tools/load/run.sh [USERS] [RUN_TIME]          (docs/benchmarks.md, "Load")
# Needs the load extra: python3 -m venv .venv-load && .venv-load/bin/pip install \
#   --require-hashes -r requirements/load.txt && .venv-load/bin/pip install --no-deps -e .
set -euo pipefail
cd "$(dirname "$0")/../.."
users=${1:-50}
run_time=${2:-3m}
venv=${LOAD_VENV:-.venv-load}
db=${LOAD_DATABASE:-pumprefill_load}
port=${LOAD_PORT:-8001}
out=${LOAD_OUT:-$(mktemp -d)}

dropdb -h 127.0.0.1 -U postgres --if-exists "$db"
createdb -h 127.0.0.1 -U postgres "$db"
export DATABASE_URL="postgresql://postgres@127.0.0.1:5432/$db"
export DJANGO_SECRET_KEY="load-test-$(head -c 48 /dev/urandom | base64 | tr -d '/+=')"
export DJANGO_ALLOWED_HOSTS=127.0.0.1
# Plain HTTP on the loopback stands in for the TLS proxy: no redirect, cookies without Secure.
export DJANGO_SECURE_SSL_REDIRECT=false DJANGO_SECURE_COOKIES=false
"$venv/bin/python" manage.py migrate --no-input -v 0
"$venv/bin/python" manage.py seed_demo >/dev/null
"$venv/bin/python" manage.py collectstatic --no-input -v 0

"$venv/bin/gunicorn" config.wsgi --bind "127.0.0.1:$port" --workers "${LOAD_WORKERS:-3}" \
  --log-level warning &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 1 30); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 1; done

"$venv/bin/locust" -f tools/load/locustfile.py --host "http://127.0.0.1:$port" --headless \
  --users "$users" --spawn-rate 5 --run-time "$run_time" --reset-stats --csv "$out/load" --only-summary \
  >"$out/locust.log" 2>&1 || true
"$venv/bin/python" tools/load/report.py "$out/load_stats.csv"
echo "locust output: $out"
