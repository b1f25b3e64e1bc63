#!/usr/bin/env bash
# Makes sure the PostgreSQL the tests use answers (TEST_DATABASE_ADMIN_URL, default
# postgres://postgres@127.0.0.1:5432/postgres). Starts a local Debian cluster if one is
# installed but stopped; otherwise fails with what to do.
set -euo pipefail
url="${TEST_DATABASE_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
host=$(node -e 'const u=new URL(process.argv[1]);console.log(u.hostname+" "+(u.port||5432))' "$url")
read -r pg_host pg_port <<<"$host"

answers() { (exec 3<>"/dev/tcp/$pg_host/$pg_port") 2>/dev/null; }

if answers; then exit 0; fi
if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
  version=$(ls /etc/postgresql | sort -V | tail -1)
  echo "Starting PostgreSQL $version (cluster main)…" >&2
  pg_ctlcluster --skip-systemctl-redirect "$version" main start
  for _ in $(seq 1 30); do answers && exit 0; sleep 1; done
fi
echo "PostgreSQL does not answer at $pg_host:$pg_port. Start it, or point TEST_DATABASE_ADMIN_URL at one." >&2
exit 1
