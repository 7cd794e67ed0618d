#!/usr/bin/env bash
# End-to-end test of the WordPress plugin against Debian's WordPress, MariaDB and this service.
# Installs the Debian packages it needs when missing (as root, with apt-get). Prints SKIP and
# exits 0 when this machine cannot run it (no apt, no network for the packages, no MariaDB or
# PostgreSQL); exits 1 when the plugin or the service misbehaves. Usage, from the repository:
#   bash integrations/wordpress/tests/e2e.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."

skip() {
    echo "SKIP wordpress e2e: $*"
    exit 0
}

# libfaketime: the test moves WordPress' clock minutes off the service's.
# gettext, zip, make: the plugin's translations and its zip (make -C integrations/wordpress);
# wordpress-l10n: WordPress' own Vietnamese (WordPress refuses a site language it does not have).
PACKAGES=(wordpress wordpress-theme-twentytwentythree php-cli php-mysql php-curl php-mbstring php-intl php-xml postgresql-client libfaketime gettext zip make wordpress-l10n)
missing=()
for pkg in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
    command -v apt-get >/dev/null || skip "packages ${missing[*]} missing and no apt-get"
    [[ $(id -u) == 0 ]] || skip "packages ${missing[*]} missing and not root to install them"
    echo "wordpress e2e: installing ${missing[*]}"
    log=$(mktemp)
    if ! { timeout 60 apt-get update -q && DEBIAN_FRONTEND=noninteractive timeout 240 \
        apt-get install -y -q -o DPkg::Lock::Timeout=60 --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
        reason=$(tail -n 3 "$log" | tr '\n' ' ')
        rm -f "$log"
        skip "apt-get could not install ${missing[*]}: $reason"
    fi
    rm -f "$log"
fi
# The plugin's PHP must parse (a failure here is the plugin's, not the machine's).
while IFS= read -r -d '' file; do
    php -l "$file" >/dev/null || { echo "FAIL wordpress e2e: php -l $file"; exit 1; }
done < <(find integrations/wordpress -name '*.php' -print0)
# Every string names the text domain; the template, the Vietnamese translation and its .mo
# are complete and current.
make -s -C integrations/wordpress check >/dev/null || { echo "FAIL wordpress e2e: make check"; exit 1; }
[[ -x .venv/bin/python ]] || skip "no .venv (install the project first: see README)"
exec .venv/bin/python integrations/wordpress/tests/e2e.py
