#!/usr/bin/env bash
# Builds the Debian package and checks it:
#   1. a Release build in build-package/ (Debian's hardening build flags, no tests or tools),
#   2. cpack -G DEB -> build-package/iot-gateway_<version>-<release>_<arch>.deb,
#   3. lintian (fails on any error),
#   4. with IOT_GATEWAY_PACKAGE_INSTALL=1, as root: installs the .deb with apt-get, runs the
#      installed iot-gateway (--version, check-config on /etc/iot-gateway/iot-gateway.yaml, a
#      short bounded run), systemd-analyze security/verify on the installed unit, then removes
#      (the conffile stays) and purges the package again. A package that was installed before
#      is upgraded and left installed; IOT_GATEWAY_PACKAGE_KEEP=1 keeps a fresh install too.
# Ends with a summary. scripts/test.sh runs it after the tests (installing only in CI).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build=build-package
install_pkg=${IOT_GATEWAY_PACKAGE_INSTALL:-0}
keep=${IOT_GATEWAY_PACKAGE_KEEP:-0}

summary=()
passed=0
failed=0
ok() { summary+=("ok    $*"); passed=$((passed + 1)); }
fail() { summary+=("FAIL  $*"); failed=$((failed + 1)); }
note() { summary+=("      $*"); }
print_summary() {
  echo
  echo "== package summary =="
  printf '%s\n' "${summary[@]}"
  echo "package: $passed passed, $failed failed"
}
trap 'status=$?; if [ "$status" -ne 0 ]; then fail "aborted (exit $status, see above)"; print_summary; fi' EXIT

if [ "$(id -u)" = 0 ]; then
  bash scripts/install-deps.sh
fi
for tool in cmake cpack dpkg-deb dpkg-shlibdeps dpkg-buildflags lintian gzip; do
  command -v "$tool" >/dev/null || { echo "$tool not found: run scripts/install-deps.sh as root" >&2; exit 1; }
done

echo "== build ($build, Release, Debian hardening flags) =="
# Debian's build flags (PIE, RELRO, BIND_NOW, _FORTIFY_SOURCE, stack protector) as a Debian
# package build would use them; no -g (the binary is stripped anyway).
export DEB_BUILD_MAINT_OPTIONS=hardening=+all DEB_CXXFLAGS_MAINT_STRIP=-g
cxxflags="$(dpkg-buildflags --get CPPFLAGS) $(dpkg-buildflags --get CXXFLAGS)"
ldflags=$(dpkg-buildflags --get LDFLAGS)
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DIOT_GATEWAY_TESTS=OFF -DIOT_GATEWAY_BENCH=OFF \
  -DCMAKE_CXX_FLAGS="$cxxflags" -DCMAKE_EXE_LINKER_FLAGS="$ldflags"
cmake --build "$build" -j"$(nproc)"
ok "build: $build/iot-gateway ($(cd "$build" && ./iot-gateway --version))"

echo "== cpack -G DEB =="
rm -f "$build"/iot-gateway_*.deb
(cd "$build" && cpack -G DEB)
debs=("$build"/iot-gateway_*.deb)
deb=${debs[0]}
[ -f "$deb" ] || { echo "cpack made no .deb" >&2; exit 1; }
ok "package: $deb ($(du -h "$deb" | cut -f1))"
dpkg-deb --info "$deb"
dpkg-deb --contents "$deb"
depends=$(dpkg-deb --field "$deb" Depends)
note "Depends: $depends"
conffiles=$(dpkg-deb --ctrl-tarfile "$deb" | tar -xOf - ./conffiles)
if [ "$conffiles" = "/etc/iot-gateway/iot-gateway.yaml" ]; then
  ok "conffiles: $conffiles"
else
  fail "conffiles: expected only /etc/iot-gateway/iot-gateway.yaml, got: $(echo "$conffiles" | tr '\n' ' ')"
fi

echo "== lintian =="
# As root lintian warns that it runs with root privileges; that line is not about the package.
lintian_out=$(mktemp)
if lintian --fail-on error --display-info "$deb" >"$lintian_out" 2>&1; then
  lintian_ok=1
else
  lintian_ok=0
fi
grep -v 'running with root privileges is not recommended' "$lintian_out" || true
errors=$(grep -c '^E: ' "$lintian_out" || true)
warnings=$(grep -c '^W: ' "$lintian_out" || true)
infos=$(grep -c '^I: ' "$lintian_out" || true)
rm -f "$lintian_out"
if [ "$lintian_ok" = 1 ]; then
  ok "lintian --fail-on error: $errors errors, $warnings warnings, $infos infos"
else
  fail "lintian --fail-on error: $errors errors, $warnings warnings, $infos infos"
fi

if [ "$install_pkg" = 1 ]; then
  if [ "$(id -u)" != 0 ]; then
    fail "IOT_GATEWAY_PACKAGE_INSTALL=1 needs root"
  else
    echo "== install =="
    was_installed=0
    if dpkg-query -W -f='${Status}' iot-gateway 2>/dev/null | grep -q "install ok installed"; then
      was_installed=1
    fi
    # State or config left by a gateway run by hand: never purged by this script.
    had_state=0
    if [ -e /var/lib/iot-gateway ] || [ -e /etc/iot-gateway ]; then had_state=1; fi
    if DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$root/$deb"; then
      ok "apt-get install ./$(basename "$deb"): $(dpkg-query -W -f='${Version}' iot-gateway)"
    else
      fail "apt-get install ./$(basename "$deb")"
    fi

    if version=$(/usr/bin/iot-gateway --version); then
      ok "/usr/bin/iot-gateway --version: $version"
    else
      fail "/usr/bin/iot-gateway --version"
    fi
    if /usr/bin/iot-gateway check-config -c /etc/iot-gateway/iot-gateway.yaml; then
      ok "iot-gateway check-config -c /etc/iot-gateway/iot-gateway.yaml"
    else
      fail "iot-gateway check-config -c /etc/iot-gateway/iot-gateway.yaml"
    fi
    installed_conffiles=$(dpkg-query -W -f='${Conffiles}' iot-gateway | awk 'NF { print $1 }')
    if [ "$installed_conffiles" = "/etc/iot-gateway/iot-gateway.yaml" ]; then
      ok "dpkg conffiles: $installed_conffiles"
    else
      fail "dpkg conffiles: $installed_conffiles"
    fi
    if [ -L /etc/systemd/system/multi-user.target.wants/iot-gateway.service ]; then
      ok "unit enabled (multi-user.target.wants), not started by the package"
    else
      fail "unit not enabled: /etc/systemd/system/multi-user.target.wants/iot-gateway.service missing"
    fi

    schemas=$(find /usr/share/iot-gateway/schemas -name '*.avsc' | wc -l)
    if [ "$schemas" = "$(find schemas -name '*.avsc' | wc -l)" ] &&
        [ -f /usr/share/iot-gateway/devices_zurich.json ] &&
        [ -f /usr/share/doc/iot-gateway/copyright ] && [ -f /usr/share/man/man1/iot-gateway.1.gz ]; then
      ok "installed: $schemas schemas in /usr/share/iot-gateway/schemas, the device registry, docs, man page"
    else
      fail "installed files: schemas ($schemas), device registry, copyright or man page missing"
    fi

    # A short bounded run of the installed binary on the installed config (virtual clock, the
    # installed device registry, the file sink instead of Kafka, a throwaway state folder).
    run_dir=$(mktemp -d)
    if (cd / && /usr/bin/iot-gateway run -c /etc/iot-gateway/iot-gateway.yaml \
          --set gateway.data_dir="$run_dir/state" --set http.listen=127.0.0.1:0 \
          --set simulator.clock=virtual --set simulator.duration=3m \
          --set simulator.devices_file=/usr/share/iot-gateway/devices_zurich.json \
          --set sinks.kafka.enabled=false \
          --set sinks.file.enabled=true --set sinks.file.path="$run_dir/out" \
          --log-level warning) &&
        [ -s "$run_dir/out/SALES_AGGREGATE.ndjson" ]; then
      ok "bounded run of the installed binary: $(wc -l <"$run_dir/out/SALES_AGGREGATE.ndjson") sales aggregates, $(wc -l <"$run_dir/out/DEVICES.ndjson") devices"
    else
      fail "bounded run of the installed binary (virtual clock, file sink)"
    fi
    rm -rf "$run_dir"

    echo "== systemd-analyze on the installed unit =="
    if unit_out=$(bash scripts/check-systemd-unit.sh /lib/systemd/system/iot-gateway.service 2>&1); then
      unit_ok=1
    else
      unit_ok=0
    fi
    echo "$unit_out"
    while IFS= read -r line; do
      case "$line" in
        "ok   "*) ok "${line#ok   } (installed unit)" ;;
        "FAIL "*) fail "${line#FAIL } (installed unit)" ;;
        "skipped: "*) note "$line" ;;
      esac
    done <<<"$unit_out"
    [ "$unit_ok" = 1 ] || grep -q '^FAIL' <<<"$unit_out" || fail "check-systemd-unit.sh (installed unit)"

    if [ "$was_installed" = 1 ]; then
      note "iot-gateway was installed before: upgraded and left installed"
    elif [ "$keep" = 1 ]; then
      note "IOT_GATEWAY_PACKAGE_KEEP=1: left installed"
    elif [ "$had_state" = 1 ]; then
      dpkg --remove iot-gateway
      note "removed, not purged: /var/lib/iot-gateway or /etc/iot-gateway existed before"
    else
      echo "== remove and purge =="
      dpkg --remove iot-gateway
      if [ ! -e /usr/bin/iot-gateway ] && [ -f /etc/iot-gateway/iot-gateway.yaml ]; then
        ok "dpkg --remove: binary gone, conffile /etc/iot-gateway/iot-gateway.yaml kept"
      else
        fail "dpkg --remove: expected the binary gone and the conffile kept"
      fi
      dpkg --purge iot-gateway
      if [ ! -e /etc/iot-gateway ] &&
          [ ! -e /etc/systemd/system/multi-user.target.wants/iot-gateway.service ]; then
        ok "dpkg --purge: /etc/iot-gateway and the enablement link gone"
      else
        fail "dpkg --purge: /etc/iot-gateway or the enablement link left behind"
      fi
    fi
  fi
else
  note "not installed (IOT_GATEWAY_PACKAGE_INSTALL=1 as root installs and checks it)"
fi

trap - EXIT
print_summary
[ "$failed" = 0 ]
