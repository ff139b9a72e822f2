#!/usr/bin/env bash
# The Debian packages, end to end, on this machine (ctest label `installer`):
#
#   1. cpack builds confab-server, confab and confab-bench (.deb) and the .tar.gz from the
#      already built tree; lintian must report no error on any .deb.
#   2. apt-get installs the three; the confab user, the state directory, the conffile, the
#      enabled unit (checked by systemd-analyze verify, its sandbox scored by
#      systemd-analyze security), man pages, the desktop file, the icons and the AppStream
#      metainfo are checked.
#   3. The installed confab-server runs as the unit would run it (user confab, the
#      installed /etc/confab/server.ini, NoNewPrivileges, umask 0027, its file limit), but
#      with a temporary state directory, a free loopback port and no LAN discovery; the
#      installed confab-bench runs a short load against it and must lose nothing; the
#      installed confab starts offscreen, shows the connect page, makes an account through
#      the form, gets online and saves screenshots.
#   4. Removing confab-server keeps the store, configuration and user; purging all three
#      must leave nothing behind: files, /etc/confab, /var/lib/confab, the user and group,
#      the unit's enablement.
#
#   tests/installer/test-packages.sh BUILD_DIR
#
# Needs root (it installs packages); exits 77 (skipped) otherwise or when the machine
# already has Confab installed. Everything it makes lives in one temporary directory,
# kept on failure when CONFAB_KEEP_INSTALLER_DIR=1. The app's screenshots are copied to
# BUILD_DIR/installer-connect.png and installer-main.png.
set -euo pipefail

build=${1:?usage: test-packages.sh BUILD_DIR}
build=$(cd "$build" && pwd)
packages=(confab-server confab confab-bench)

step() { printf '\n== %s\n' "$*"; }
fail() {
  printf 'FAIL: %s\n' "$*" >&2
  exit 1
}
check() { # check DESCRIPTION COMMAND...: runs the command, fails with the description
  local what=$1
  shift
  "$@" || fail "$what"
}

if [[ $(id -u) -ne 0 ]]; then
  echo "SKIP: installing packages needs root"
  exit 77
fi
for p in "${packages[@]}"; do
  if dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -qv 'not-installed'; then
    echo "SKIP: $p is installed on this machine (or its configuration is); this test installs and purges it"
    exit 77
  fi
done
for leftover in /etc/confab /var/lib/confab; do
  [[ ! -e $leftover ]] || fail "$leftover exists before the packages are installed"
done
! getent passwd confab >/dev/null || fail "a confab user exists before the packages are installed"

work=$(mktemp -d /tmp/confab-installer.XXXXXX)
chmod 755 "$work" # the confab user and apt's sandbox user read in here
server_pid=
app_pid=
socket_name="confab-installer-$$"
started=$SECONDS

cleanup() {
  local rc=$?
  [[ -n $app_pid ]] && kill "$app_pid" 2>/dev/null
  [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null
  wait 2>/dev/null
  # Never leave the packages on the machine, whatever failed.
  local installed=()
  for p in "${packages[@]}"; do
    if dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -qv 'not-installed'; then
      installed+=("$p")
    fi
  done
  if ((${#installed[@]})); then
    echo "cleanup: purging ${installed[*]}"
    dpkg --purge "${installed[@]}" >/dev/null 2>&1 || true
  fi
  if ((rc != 0)); then
    for log in "$work"/*.log; do
      [[ -f $log ]] || continue
      echo "---- $(basename "$log") (last 40 lines)"
      tail -n 40 "$log"
    done
  fi
  rm -f "/tmp/$socket_name"
  if ((rc != 0)) && [[ ${CONFAB_KEEP_INSTALLER_DIR:-0} == 1 ]]; then
    echo "kept $work"
  else
    rm -rf "$work"
  fi
  printf '\n%s after %d s\n' "$( ((rc == 0)) && echo PASS || echo FAIL)" $((SECONDS - started))
}
trap cleanup EXIT

# ---- 1. build and lint ------------------------------------------------------------------
step "cpack in $build"
(cd "$build" && cpack -G "DEB;TGZ" -B "$work/out") >"$work/cpack.log" 2>&1 ||
  fail "cpack failed (see cpack.log above)"
debs=()
for p in "${packages[@]}"; do
  deb=$(compgen -G "$work/out/${p}_*.deb" | head -n 1) || true
  [[ -n $deb ]] || fail "cpack made no $p package"
  debs+=("$deb")
  echo "$(basename "$deb"): $(dpkg-deb -f "$deb" Version), depends: $(dpkg-deb -f "$deb" Depends)"
done
tarball=$(compgen -G "$work/out/confab-*.tar.gz" | head -n 1) || true
[[ -n $tarball ]] || fail "cpack made no .tar.gz"

# Dependencies come from dpkg-shlibdeps: the Qt and C++ libraries must be there.
check "confab-server does not depend on libqt6core6 (shlibdeps)" \
  grep -q 'libqt6core6' <<<"$(dpkg-deb -f "${debs[0]}" Depends)"
check "confab does not depend on libqt6quick6 (shlibdeps)" \
  grep -q 'libqt6quick6' <<<"$(dpkg-deb -f "${debs[1]}" Depends)"
check "confab-bench does not depend on libc6 (shlibdeps)" \
  grep -q 'libc6' <<<"$(dpkg-deb -f "${debs[2]}" Depends)"
check "confab does not depend on libqt6gui6 (shlibdeps; images are decoded with it)" \
  grep -q 'libqt6gui6' <<<"$(dpkg-deb -f "${debs[1]}" Depends)"
check "confab-server does not depend on libqt6gui6 (shlibdeps; thumbnails)" \
  grep -q 'libqt6gui6' <<<"$(dpkg-deb -f "${debs[0]}" Depends)"
for i in 0 1; do
  check "$(basename "${debs[$i]}") does not recommend qt6-image-formats-plugins (WebP)" \
    grep -q 'qt6-image-formats-plugins' <<<"$(dpkg-deb -f "${debs[$i]}" Recommends)"
done

step "the tarball"
tar -tzf "$tarball" | sed 's|^[^/]*/||' >"$work/tarball.list"
for f in usr/bin/confab-server usr/bin/confab usr/bin/confab-bench etc/confab/server.ini \
  lib/systemd/system/confab-server.service usr/share/applications/confab.desktop \
  usr/share/man/man1/confab-server.1.gz; do
  check "$f is not in $(basename "$tarball")" grep -qx "$f" "$work/tarball.list"
done
echo "$(basename "$tarball"): $(grep -vc '/$' "$work/tarball.list") files"
# Unpacked anywhere, its programs run: nothing points back into the build or source tree.
mkdir "$work/unpacked"
tar -xzf "$tarball" -C "$work/unpacked" --strip-components=1
check "the tarball's confab-server does not run" "$work/unpacked/usr/bin/confab-server" --version

step "lintian"
# Errors fail the test; warnings are shown.
lintian --fail-on error --tag-display-limit 0 "${debs[@]}" 2>&1 | tee "$work/lintian.log" ||
  fail "lintian reports errors"

# ---- 2. install ---------------------------------------------------------------------------
step "apt-get install"
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${debs[@]}" \
  >"$work/apt.log" 2>&1 || fail "apt-get install failed"
for p in "${packages[@]}"; do
  dpkg-query -L "$p" >"$work/$p.files"
done

step "the confab-server package"
check "no confab system user" getent passwd confab >/dev/null
IFS=: read -r _ _ uid gid _ home shell <<<"$(getent passwd confab)"
((uid < 1000)) || fail "confab is not a system user (uid $uid)"
[[ $home == /var/lib/confab ]] || fail "confab's home is $home"
[[ $shell == */nologin || $shell == /bin/false ]] || fail "confab has a login shell ($shell)"
[[ $(getent group confab | cut -d: -f3) == "$gid" ]] || fail "confab's group is not confab"
[[ $(stat -c '%U:%G %a' /var/lib/confab) == "confab:confab 750" ]] ||
  fail "/var/lib/confab is $(stat -c '%U:%G %a' /var/lib/confab)"
check "/etc/confab/server.ini is not a conffile" \
  grep -q '/etc/confab/server.ini' <<<"$(dpkg-query -W -f='${Conffiles}' confab-server)"
grep -q '^tls = auto' /etc/confab/server.ini || fail "server.ini does not set tls = auto"
unit=/lib/systemd/system/confab-server.service
check "$unit is missing" test -f "$unit"
for key in User=confab StateDirectory=confab ProtectSystem=strict ProtectHome=yes \
  NoNewPrivileges=yes PrivateTmp=yes LimitNOFILE=65536 \
  'ExecStart=/usr/bin/confab-server --config /etc/confab/server.ini'; do
  grep -qx "$key" "$unit" || fail "$unit has no $key"
done
if [[ -d /run/systemd/system ]]; then
  check "confab-server.service is not enabled" systemctl is-enabled --quiet confab-server
  check "confab-server.service is not running" systemctl is-active --quiet confab-server
else
  # No systemd running here: deb-systemd-helper still enabled the unit for the next boot.
  check "confab-server.service was not enabled" \
    test -L /etc/systemd/system/multi-user.target.wants/confab-server.service
fi
systemd-analyze verify "$unit" >"$work/verify.log" 2>&1 || fail "systemd-analyze verify failed"
if grep -i 'confab' "$work/verify.log"; then
  fail "systemd-analyze verify complains about the unit"
fi
echo "systemd-analyze verify: clean"
# The sandbox, scored offline (0 best, 100 worst); 31 when this test was written.
systemd-analyze security --offline=yes --threshold=40 "$unit" >"$work/security.log" 2>&1 ||
  fail "the unit's exposure is above 4.0: $(grep 'Overall exposure' "$work/security.log")"
grep 'Overall exposure' "$work/security.log"
check "confab-server --version fails" /usr/bin/confab-server --version >/dev/null
check "man confab-server is missing" man -w confab-server >/dev/null

step "the confab and confab-bench packages"
check "confab.desktop does not validate" desktop-file-validate /usr/share/applications/confab.desktop
check "the AppStream metainfo does not validate" \
  appstreamcli validate --no-net --strict /usr/share/metainfo/org.confab.Confab.metainfo.xml
check "the scalable icon is missing" test -s /usr/share/icons/hicolor/scalable/apps/confab.svg
for size in 16 22 24 32 48 64 128 256 512; do
  icon=/usr/share/icons/hicolor/${size}x${size}/apps/confab.png
  file "$icon" | grep -q "PNG image data, $size x $size" || fail "$icon: $(file -b "$icon")"
done
check "man confab is missing" man -w confab >/dev/null
check "man confab-bench is missing" man -w confab-bench >/dev/null

# ---- 3. run what was installed ------------------------------------------------------------
step "the installed server, as its unit runs it"
state="$work/state"
mkdir -m 750 "$state"
chown confab:confab "$state"
# --allow-register, --fast-password-hash and --rate 0 are what confab-bench needs.
(
  cd "$work"
  umask 0027
  ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
  exec setpriv --reuid=confab --regid=confab --init-groups --no-new-privs -- \
    /usr/bin/confab-server --config /etc/confab/server.ini --state-dir "$state" \
    --listen 127.0.0.1:0 --discovery off --allow-register --fast-password-hash --rate 0
) >"$work/server.out" 2>"$work/server.log" &
server_pid=$!
port=
for _ in $(seq 1 200); do
  port=$(sed -n 's/^confab-server listening on port \([0-9]*\)$/\1/p' "$work/server.out")
  [[ -n $port ]] && break
  kill -0 "$server_pid" 2>/dev/null || fail "the server exited (see server.log)"
  sleep 0.1
done
[[ -n $port ]] || fail "the server did not report its port"
[[ $(ps -o user= -p "$server_pid") == confab ]] || fail "the server does not run as confab"
echo "listening on 127.0.0.1:$port as $(ps -o user= -p "$server_pid")"
# tls = auto in the installed configuration: a certificate in the state directory, owned
# by confab, its key private.
[[ $(stat -c '%U %a' "$state/tls/server.key") == "confab 600" ]] ||
  fail "the TLS key is $(stat -c '%U %a' "$state/tls/server.key" 2>&1)"
grep -q 'TLS certificate fingerprint' "$work/server.log" || fail "no TLS fingerprint logged"
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' >&3
health=$(head -n 1 <&3 | tr -d '\r')
exec 3<&-
[[ $health == "HTTP/1.1 200"* ]] || fail "/healthz answered '$health'"
echo "/healthz: $health"

step "the installed confab-bench against it"
/usr/bin/confab-bench team --url "ws://127.0.0.1:$port" --clients 40 --members 8 --rate 200 \
  --warmup 1 --duration 4 --grace 3 --quiet >"$work/bench.log" 2>&1 ||
  fail "confab-bench failed (exit $?)"
grep '^correctness:' "$work/bench.log" || fail "confab-bench printed no correctness line"
grep -q '^correctness: OK | lost 0,' "$work/bench.log" || fail "confab-bench lost messages"
users=$(setpriv --reuid=confab --regid=confab --init-groups -- /usr/bin/confab-server \
  --config /etc/confab/server.ini --state-dir "$state" user list | wc -l)
((users == 40)) || fail "user list (as confab, while the server runs) shows $users users"
echo "user list as confab: $users users"

step "the installed confab, offscreen"
mkdir -p "$work/home"
HOME="$work/home" XDG_RUNTIME_DIR="$work/home" QT_QPA_PLATFORM=offscreen \
  /usr/bin/confab --profile "$work/profile" --token-store file --automation "$socket_name" \
  --server "ws://127.0.0.1:$port" >"$work/app.log" 2>&1 &
app_pid=$!
# One JSON command on the app's automation socket, one JSON line back.
automation() {
  perl -MIO::Socket::UNIX -e '
    my $s = IO::Socket::UNIX->new(Peer => $ARGV[0]) or die "connect: $!\n";
    print $s "$ARGV[1]\n";
    my $line = <$s>;
    print $line;' "/tmp/$socket_name" "$1"
}
for _ in $(seq 1 200); do
  [[ -S /tmp/$socket_name ]] && break
  kill -0 "$app_pid" 2>/dev/null || fail "confab exited (see app.log)"
  sleep 0.1
done
[[ -S /tmp/$socket_name ]] || fail "confab did not open its automation socket"
automation '{"cmd":"info"}'
# get OBJECT PROPERTY: the property's JSON value, as the app reports it.
get() {
  automation "{\"cmd\":\"get\",\"object\":\"$1\",\"property\":\"$2\"}" |
    sed -n 's/.*"value":\([^,}]*\).*/\1/p'
}
wait_for() { # wait_for OBJECT PROPERTY VALUE: up to 20 s
  for _ in $(seq 1 100); do
    [[ $(get "$1" "$2") == "$3" ]] && return 0
    sleep 0.2
  done
  return 1
}
screenshot() { # screenshot FILE: the window as a PNG of at least 100 x 100
  local reply
  reply=$(automation "{\"cmd\":\"screenshot\",\"path\":\"$1\"}")
  echo "$(basename "$1"): $reply"
  grep -q '"ok":true' <<<"$reply" || fail "the screenshot failed: $reply"
  file "$1" | grep -Eq 'PNG image data, [0-9]{3,} x [0-9]{3,}' || fail "$1: $(file -b "$1")"
}
wait_for connectPage visible true || fail "the connect page did not show"
# Keys go to the active window; with no window manager nothing activates it.
automation '{"cmd":"invoke","object":"window","method":"requestActivate"}' >/dev/null
wait_for window active true || true
check "the connect page does not name the server" \
  test "$(get serverField text)" == "\"ws://127.0.0.1:$port\""
screenshot "$work/connect.png"
# An account made through the form: the installed app and server talk.
automation '{"cmd":"click","object":"registerTab"}' >/dev/null
automation '{"cmd":"focus","object":"userField"}' >/dev/null
automation '{"cmd":"keys","text":"installer"}' >/dev/null
automation '{"cmd":"focus","object":"passwordField"}' >/dev/null
automation '{"cmd":"keys","text":"installer-password"}' >/dev/null
automation '{"cmd":"keys","key":"Return"}' >/dev/null
wait_for App signedIn true || fail "confab did not sign in to the installed server"
wait_for App session.state '"Online"' || fail "confab did not get online: $(get App session.state)"
echo "signed in, $(get App session.state)"
screenshot "$work/main.png"
cp "$work/connect.png" "$build/installer-connect.png"
cp "$work/main.png" "$build/installer-main.png"
automation '{"cmd":"quit"}' >/dev/null
for _ in $(seq 1 100); do
  kill -0 "$app_pid" 2>/dev/null || break
  sleep 0.1
done
wait "$app_pid" || fail "confab exited with $?"
app_pid=

step "stop the server"
kill -TERM "$server_pid"
wait "$server_pid" || fail "the server exited with $? on SIGTERM"
server_pid=

# ---- 4. remove and purge ------------------------------------------------------------------
step "remove confab-server: the store, the configuration and the user stay"
echo "# a local change" >>/etc/confab/server.ini
dpkg --remove confab-server >"$work/remove.log" 2>&1 || fail "dpkg --remove failed"
[[ ! -e /usr/bin/confab-server ]] || fail "/usr/bin/confab-server is still there"
check "/etc/confab/server.ini went on remove" grep -q '^# a local change' /etc/confab/server.ini
check "/var/lib/confab went on remove" test -d /var/lib/confab
check "the confab user went on remove" getent passwd confab >/dev/null

step "purge everything"
dpkg --purge "${packages[@]}" >"$work/purge.log" 2>&1 || fail "dpkg --purge failed"
left=()
for p in "${packages[@]}"; do
  if dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -qv 'not-installed'; then
    left+=("package $p")
  fi
  while read -r f; do
    # Directories shared with other packages (/usr/share/man/man1, ...) stay.
    if [[ -e $f && ! -d $f ]] || [[ -d $f && $f == *confab* ]]; then
      left+=("$f")
    fi
  done <"$work/$p.files"
done
for f in /etc/confab /var/lib/confab /etc/systemd/system/multi-user.target.wants/confab-server.service \
  /var/lib/systemd/deb-systemd-helper-enabled/confab-server.service \
  /var/lib/systemd/deb-systemd-helper-enabled/multi-user.target.wants/confab-server.service \
  /var/lib/systemd/deb-systemd-helper-masked/confab-server.service; do
  [[ ! -e $f && ! -L $f ]] || left+=("$f")
done
getent passwd confab >/dev/null && left+=("user confab")
getent group confab >/dev/null && left+=("group confab")
((${#left[@]} == 0)) || fail "left behind after purge: ${left[*]}"
echo "nothing left behind"
