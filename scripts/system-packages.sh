#!/usr/bin/env bash
# The Debian packages beian-audit uses beside Python, installed when missing.
#
#   scripts/system-packages.sh demo   # Chromium (footers written by JavaScript), a CJK font (charts)
#   scripts/system-packages.sh test   # the same, plus LibreOffice and poppler (documents checked as PDF)
#                                     # and strace (what a crawl's processes send, system call by call)
#
# As root it installs what is missing with apt-get; as another user it prints the one apt line
# to run and goes on (the product works without them, and says what it cannot do). Used by
# `make demo`, `make test` and .ci/run, so a fresh machine and CI install the same things.
set -uo pipefail

purpose="${1:-demo}"
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
[ -n "$(fc-list :lang=zh family 2>/dev/null)" ] || missing+=(fonts-wqy-microhei)
if [ "$purpose" = test ]; then
  command -v soffice >/dev/null 2>&1 || missing+=(libreoffice-writer-nogui)
  command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
  command -v strace >/dev/null 2>&1 || missing+=(strace)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

line="apt-get install -y ${missing[*]}"
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "beian-audit: missing system packages; to install them run:  sudo $line" >&2
  echo "  (without chromium, footers written by JavaScript are cannot be verified)" >&2
  exit 0
fi
echo "installing ${missing[*]} (apt-get; about a minute)" >&2
if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; } >/dev/null 2>&1; then
  echo "beian-audit: could not install ${missing[*]}; run: $line" >&2
fi
exit 0
