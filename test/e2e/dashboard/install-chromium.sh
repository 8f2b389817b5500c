#!/usr/bin/env bash
# Installs Debian's headless-capable Chromium and its driver for the browser
# test of the dashboard, when they are missing. Idempotent and quiet when
# both are already there; needs root (or sudo) for apt-get otherwise.
set -euo pipefail

if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
	exit 0
fi

sudo=""
if [ "$(id -u)" != 0 ]; then
	if ! command -v sudo >/dev/null 2>&1; then
		echo "install-chromium: chromium is missing and this user cannot run apt-get (not root, no sudo)" >&2
		exit 1
	fi
	sudo="sudo"
fi

export DEBIAN_FRONTEND=noninteractive
echo "install-chromium: installing chromium and chromium-driver from Debian" >&2
$sudo apt-get update -qq >&2
$sudo apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-dejavu-core >&2
chromium --version >&2
