#!/usr/bin/env bash
# The browser tests drive Debian's Chromium (/usr/bin/chromium). Install it when missing and possible;
# without it those tests skip, the rest of the suite still runs.
set -u
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null) \
    || echo "warning: could not install chromium; the browser tests will skip" >&2
else
  echo "note: /usr/bin/chromium missing (install Debian's chromium to run the browser tests)" >&2
fi
exit 0
