#!/usr/bin/env bash
# Installs the system packages the test suite drives for real, when they are missing:
# etcd (the distributed store) and the official Python client (a second real client).
# Debian 12, run as root (CI) or with sudo available. Idempotent and quiet when all is there.
set -euo pipefail

need=()
command -v etcd >/dev/null 2>&1 || need+=(etcd-server etcd-client)
/usr/bin/python3 -c 'import kubernetes' >/dev/null 2>&1 || need+=(python3-kubernetes)
command -v kubectl >/dev/null 2>&1 || echo "install-deps: warning: kubectl is not on PATH; the kubectl tests will fail" >&2

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi

sudo=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "install-deps: need root (or sudo) to install: ${need[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "install-deps: installing ${need[*]} (apt-get)..." >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# Debian's etcd package starts a system service; the tests start their own etcd on their own ports.
if command -v systemctl >/dev/null 2>&1; then $sudo systemctl disable --now etcd >/dev/null 2>&1 || true; fi
echo "install-deps: done" >&2
