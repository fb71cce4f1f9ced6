#!/bin/sh
# The browser test (tests/e2e/test_console.py) drives Debian's Chromium, with a CJK font for
# the console's Chinese labels. Install them where missing and we may (root with apt-get);
# otherwise say why, and the test skips saying so.
if command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi "wqy"; then
    exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian's chromium for the browser test..."
    packages="chromium fonts-wqy-microhei"
    if (apt-get install -y -q $packages >/dev/null 2>&1 || \
        (apt-get update -q >/dev/null 2>&1 && apt-get install -y -q $packages >/dev/null 2>&1)); then
        echo "chromium installed: $(chromium --version 2>/dev/null)"
        exit 0
    fi
    echo "could not install chromium with apt-get; the browser test will be skipped"
    exit 0
fi
echo "chromium is not installed and this user cannot install it; the browser test will be skipped"
exit 0
