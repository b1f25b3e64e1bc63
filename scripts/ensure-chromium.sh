#!/usr/bin/env bash
# Makes sure the headless browser the dashboard's browser test drives is installed: Debian's
# chromium at /usr/bin/chromium (Playwright's own browser download does not work here).
# Idempotent: does nothing when it is already there; otherwise installs it with apt-get.
set -euo pipefail
chromium=/usr/bin/chromium

if [ -x "$chromium" ]; then exit 0; fi
if ! command -v apt-get >/dev/null; then
  echo "$chromium is missing and apt-get is not available: install Debian's chromium package by hand." >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then sudo="sudo"; else
    echo "$chromium is missing: run 'apt-get install -y chromium' as root." >&2
    exit 1
  fi
fi
echo "Installing chromium (apt-get)…" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# With its recommended packages: they bring the fonts the screenshots need.
$sudo apt-get install -y -qq chromium >/dev/null
if [ ! -x "$chromium" ]; then
  echo "apt-get installed chromium but $chromium is still missing." >&2
  exit 1
fi
"$chromium" --version >&2 || true
