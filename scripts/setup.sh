# Sourced by scripts/run and scripts/test: installs what a fresh Debian/Ubuntu machine
# lacks, idempotently, and stops with a clear message when it cannot.

die() {
  echo "lua-persist setup: $*" >&2
  exit 1
}

need_command() { # need_command CMD "how to get it"
  command -v "$1" >/dev/null 2>&1 || die "'$1' is not installed. $2"
}

# Installs the Debian packages that are missing (root, or sudo without a password).
need_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null && sudo="sudo -n" ||
      die "missing packages: ${missing[*]}. Install them as root: apt-get install -y ${missing[*]}"
  fi
  command -v apt-get >/dev/null 2>&1 ||
    die "missing packages: ${missing[*]}, and this is not a Debian/Ubuntu system: install the equivalents by hand"
  echo "lua-persist setup: installing ${missing[*]}" >&2
  $sudo apt-get update -qq >&2 || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >&2 ||
    die "apt-get install ${missing[*]} failed. clang-19 is in Debian 12 and Ubuntu 24.04; elsewhere set CC_wasm32_unknown_unknown and AR_wasm32_unknown_unknown to a clang >= 19 and its llvm-ar"
}

setup_rust() {
  need_command cargo "Install Rust with rustup: https://rustup.rs"
}

# rustfmt and clippy: the test command checks the formatting and the lints first.
setup_lints() {
  setup_rust
  need_command rustup "rustfmt and clippy are added with rustup; install Rust with rustup: https://rustup.rs"
  local component
  for component in rustfmt clippy; do
    rustup component list --installed | grep -q "^$component" ||
      rustup component add "$component" >&2 || die "rustup component add $component failed"
  done
}

setup_wasm() {
  setup_rust
  need_command rustup "The wasm32 target is added with rustup; install Rust with rustup: https://rustup.rs"
  rustup target list --installed | grep -qx wasm32-unknown-unknown ||
    rustup target add wasm32-unknown-unknown >&2 || die "rustup target add wasm32-unknown-unknown failed"
  if [ -z "${CC_wasm32_unknown_unknown:-}" ]; then
    need_packages clang-19 llvm-19
  fi
  need_node
}

need_node() {
  if ! command -v node >/dev/null 2>&1; then
    need_packages nodejs npm
  fi
  local major
  major=$(node -p 'process.versions.node.split(".")[0]')
  [ "$major" -ge 18 ] || die "Node.js $major is too old: the tests need Node.js 18 or newer"
}

# libclang for bindgen (the test that checks src/ffi/bindings.rs is fresh).
setup_bindgen() {
  need_packages libclang-19-dev
  export LIBCLANG_PATH="${LIBCLANG_PATH:-/usr/lib/llvm-19/lib}"
}

# The npm packages of wasm/ (wasm-opt, typescript, playwright-core, and wasmoon for
# bench/race.mjs; wasm/package-lock.json pins them).
need_wasm_opt() {
  need_node
  if [ ! -x wasm/node_modules/.bin/wasm-opt ] || [ ! -f wasm/node_modules/typescript/bin/tsc ] ||
    [ ! -f wasm/node_modules/playwright-core/package.json ] ||
    [ ! -f wasm/node_modules/wasmoon/package.json ] || [ ! -f wasm/node_modules/esbuild/package.json ]; then
    echo "lua-persist setup: installing npm packages in wasm/" >&2
    (cd wasm && npm ci --silent --no-audit --no-fund) >&2 || die "npm ci in wasm/ failed (is the npm registry reachable?)"
  fi
}

# The wasm-bindgen CLI for examples/wasm-bindgen: exactly the version of the wasm-bindgen
# crate that the example pins (the CLI refuses any other), built by cargo install once
# (a few minutes) into ~/.cargo/bin.
WASM_BINDGEN_VERSION=0.2.130
need_wasm_bindgen() {
  setup_rust
  if ! wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $WASM_BINDGEN_VERSION"; then
    echo "lua-persist setup: installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (cargo install)" >&2
    cargo install --quiet wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" >&2 ||
      die "cargo install wasm-bindgen-cli --version $WASM_BINDGEN_VERSION failed (is the crates.io registry reachable?)"
  fi
}

# Chromium for the browser test (wasm/test/browser.test.mjs): Debian's package at
# /usr/bin/chromium, or the binary LUA_PERSIST_CHROMIUM names (the test reads it too).
need_chromium() {
  if [ -n "${LUA_PERSIST_CHROMIUM:-}" ]; then
    [ -x "$LUA_PERSIST_CHROMIUM" ] || die "LUA_PERSIST_CHROMIUM=$LUA_PERSIST_CHROMIUM is not an executable file"
    return 0
  fi
  (need_packages chromium) ||
    die "the browser test needs Chromium: install Debian's package 'chromium', or set LUA_PERSIST_CHROMIUM to a Chromium or Chrome binary"
  [ -x /usr/bin/chromium ] ||
    die "the package 'chromium' gave no /usr/bin/chromium: set LUA_PERSIST_CHROMIUM to a Chromium or Chrome binary"
}

# The official Lua 5.4 test suite (the "testes" folder of Lua's sources; lua.org's test
# tarball is not on a package registry), for wasm/test/lua-test-suite.test.mjs: PyPI's lupa
# sdist carries Lua's sources with it. Downloaded once into ~/.cache/lua-persist (checked
# against its SHA-256), unpacked into target/lua-tests. Sets LUA_TEST_SUITE to the folder.
LUA_TESTS_SDIST=lupa-2.8.tar.gz
LUA_TESTS_SHA256=d8022641b9ec8ecf2c5ecbe9f47e5a70e0b87c4b5ae921b92cb02a638e0acd08
LUA_TESTS_VERSION=5.4.8
need_lua_test_suite() {
  local cache="${XDG_CACHE_HOME:-$HOME/.cache}/lua-persist"
  local sdist="$cache/$LUA_TESTS_SDIST"
  local target_dir="${CARGO_TARGET_DIR:-target}"
  [[ "$target_dir" = /* ]] || target_dir="$PWD/$target_dir"
  LUA_TEST_SUITE="$target_dir/lua-tests/$LUA_TESTS_VERSION"
  export LUA_TEST_SUITE
  [ -f "$LUA_TEST_SUITE/all.lua" ] && return 0
  if ! echo "$LUA_TESTS_SHA256  $sdist" | sha256sum --check --status 2>/dev/null; then
    command -v pip3 >/dev/null 2>&1 || need_packages python3-pip
    mkdir -p "$cache"
    echo "lua-persist setup: downloading the Lua $LUA_TESTS_VERSION test suite (PyPI: lupa 2.8, source)" >&2
    rm -f "$sdist"
    pip3 download --quiet --no-deps --no-binary lupa --dest "$cache" lupa==2.8 >&2 ||
      die "pip3 download lupa==2.8 failed (is PyPI reachable?): it carries the Lua test suite"
    echo "$LUA_TESTS_SHA256  $sdist" | sha256sum --check --status ||
      die "$sdist is not the file expected (SHA-256 $LUA_TESTS_SHA256)"
  fi
  local unpack
  unpack=$(mktemp -d) || die "mktemp failed"
  tar -xzf "$sdist" -C "$unpack" lupa-2.8/third-party/lua54/testes lupa-2.8/third-party/lua54/lua.h ||
    die "$sdist has no third-party/lua54/testes"
  grep -q "LUA_VERSION_RELEASE\s*\"${LUA_TESTS_VERSION##*.}\"" "$unpack/lupa-2.8/third-party/lua54/lua.h" ||
    die "the test suite in $sdist is not Lua $LUA_TESTS_VERSION's"
  mkdir -p "$(dirname "$LUA_TEST_SUITE")"
  rm -rf "$LUA_TEST_SUITE"
  mv "$unpack/lupa-2.8/third-party/lua54/testes" "$LUA_TEST_SUITE"
  rm -rf "$unpack"
}

# PostgreSQL's server programs (initdb, pg_ctl, postgres), for the throwaway cluster of
# scripts/with-postgres: Debian's package, which also makes the system user `postgres`.
# Sets PG_BIN to their directory.
setup_postgres() {
  need_packages postgresql
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$PG_BIN" ] && [ -x "$PG_BIN/initdb" ] ||
    die "PostgreSQL is installed, but /usr/lib/postgresql/*/bin/initdb is missing"
}
