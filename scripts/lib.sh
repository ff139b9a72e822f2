# Shared by scripts/run and scripts/test: dependency install and the build.
# shellcheck shell=bash

CONFAB_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CONFAB_BUILD="${CONFAB_BUILD_DIR:-$CONFAB_ROOT/build}"

CONFAB_PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  qt6-base-dev qt6-base-dev-tools qt6-websockets-dev qt6-declarative-dev
  qt6-declarative-dev-tools libqt6sql6-sqlite libqt6sql6-psql libsqlite3-dev libgl-dev
  qml6-module-qtquick qml6-module-qtquick-controls qml6-module-qtquick-layouts
  qml6-module-qtquick-window qml6-module-qtquick-templates qml6-module-qtqml-workerscript
  qml6-module-qttest qml6-module-qtqml qml6-module-qtqml-models qml6-module-qt-labs-qmlmodels
  qt6-qpa-plugins libgl1-mesa-dri fonts-dejavu-core fonts-noto-color-emoji
  qt6-image-formats-plugins
  libsodium-dev libhiredis-dev libssl-dev libgoogle-perftools-dev openssl iproute2
  qtkeychain-qt6-dev libcmark-gfm-dev libcmark-gfm-extensions-dev
  gnome-keyring dbus-daemon dbus-x11 libsecret-tools
  postgresql redis-server
  xvfb xauth
  faketime
  clang libclang-rt-dev
  # the packages (installer/) and their test (tests/installer)
  dpkg-dev lintian appstream desktop-file-utils librsvg2-bin systemd adduser file man-db
)

log() { printf '\033[1m[confab]\033[0m %s\n' "$*" >&2; }

# Installs the Debian packages that are missing; installed ones are skipped, so a second
# run does not touch apt at all.
install_dependencies() {
  local missing=()
  for pkg in "${CONFAB_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$pkg")
    fi
  done
  # confab-bench's peer mode needs Node.js and npm; any install of them will do (the
  # distribution's packages only when there is none, so a NodeSource node is kept).
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    missing+=(nodejs npm)
  fi
  if ((${#missing[@]} == 0)); then
    log "all dependencies present"
    return 0
  fi
  log "installing: ${missing[*]}"
  local sudo=()
  if [[ $(id -u) -ne 0 ]]; then sudo=(sudo); fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -q
  "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
  # The distribution starts these services on install; Confab's tests run their own.
  "${sudo[@]}" systemctl disable --now redis-server postgresql >/dev/null 2>&1 || true
}

# Configures and builds into $CONFAB_BUILD. Extra arguments go to cmake.
build_confab() {
  local jobs
  jobs=$(nproc)
  cmake -S "$CONFAB_ROOT" -B "$CONFAB_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >&2
  cmake --build "$CONFAB_BUILD" --parallel "$jobs" >&2
}

# A ThreadSanitizer build of confab-server alone, in $CONFAB_BUILD-tsan; prints its path.
# The integration suite runs against it (CONFAB_TEST_SERVER_BINARY) to find data races
# between the server's threads.
build_tsan_server() {
  local dir="$CONFAB_BUILD-tsan" jobs
  jobs=$(nproc)
  cmake -S "$CONFAB_ROOT" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCONFAB_WERROR=ON -DCONFAB_BUILD_TESTS=OFF -DCONFAB_BUILD_BENCH=OFF -DCONFAB_BUILD_CLIENT=OFF \
    -DCMAKE_CXX_FLAGS=-fsanitize=thread -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread >&2
  cmake --build "$dir" --parallel "$jobs" --target confab-server-bin >&2
  echo "$dir/server/confab-server"
}

# TSAN_OPTIONS for that run (log_path is added by the caller). Debian's Qt is not built
# with ThreadSanitizer: accesses made inside it are not checked
# (ignore_noninstrumented_modules), and the server's own hand-offs through Qt's queues
# are annotated (shared/eventloop/handoff.h). Every report goes to a file, so a race in a
# server that a test then killed is not lost.
CONFAB_TSAN_OPTIONS="exitcode=66 ignore_noninstrumented_modules=1 second_deadlock_stack=1"
