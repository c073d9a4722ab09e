#!/usr/bin/env bash
# Installs the system packages the tests need, only when they are missing (Debian, as root).
set -euo pipefail
need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# tests start their own PostgreSQL cluster with initdb + pg_ctl (tests/conftest.py)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
# the reverse proxy of the compose topology, run as a process (tests/browser/test_topology.py)
command -v caddy >/dev/null 2>&1 || need+=(caddy)
# the sandbox of coding questions (interviewer/adapters/sandbox/bwrap.py, tests/code)
command -v bwrap >/dev/null 2>&1 || need+=(bubblewrap)
# `docker compose config` validates docker-compose.yml without an engine (tests/deploy)
if ! docker compose version >/dev/null 2>&1 && ! command -v docker-compose >/dev/null 2>&1; then
  need+=(docker-compose)
fi
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "missing system packages: ${need[*]} (install them with your package manager)" >&2
  exit 1
fi
echo "installing ${need[*]} from Debian" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
