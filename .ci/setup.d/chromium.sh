# Sourced by .ci/run: Debian's chromium for the sandbox console's browser test (Playwright
# drives it through executable_path; no browser is ever downloaded).
if [ ! -x /usr/bin/chromium ]; then
    echo "installing Debian's chromium"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
# With chromium in place, the browser test must run rather than skip.
export SETTLE_REQUIRE_BROWSER=1
