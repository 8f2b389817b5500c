#!/usr/bin/env bash
# Installs Debian's nginx for the differential test of the proxy
# (test/e2e/security), when it is missing. Idempotent and quiet when nginx
# is already there; needs root (or sudo) for apt-get otherwise. Only the
# binary is used: the test starts nginx itself, on 127.0.0.1, and stops it.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"

if command -v nginx >/dev/null 2>&1; then
	exit 0
fi

sudo=""
if [ "$(id -u)" != 0 ]; then
	if ! command -v sudo >/dev/null 2>&1; then
		echo "install-nginx: nginx is missing and this user cannot run apt-get (not root, no sudo)" >&2
		exit 1
	fi
	sudo="sudo"
fi

export DEBIAN_FRONTEND=noninteractive
echo "install-nginx: installing nginx from Debian" >&2
$sudo apt-get update -qq >&2
$sudo apt-get install -y -qq --no-install-recommends nginx >&2
nginx -v >&2
