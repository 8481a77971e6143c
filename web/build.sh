#!/usr/bin/env bash
# Builds the browser page into web/: the engine (web/pkg: WebAssembly and its JavaScript glue) and the
# Boston replay's extract (web/data/boston.json, from ../shared/data when it is there). Then serve it:
#
#   bash web/build.sh
#   python3 -m http.server 8000 --bind 127.0.0.1 --directory web     # open http://127.0.0.1:8000
#
# Needs Rust with the wasm32-unknown-unknown target and wasm-bindgen-cli of the version pinned in
# web/bindings/Cargo.toml (installed here when missing). Works offline once the crates are fetched.
set -euo pipefail

WASM_BINDGEN_VERSION="0.2.130"
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export PATH="$HOME/.cargo/bin:$PATH"

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    rustup target add wasm32-unknown-unknown
fi
if ! wasm-bindgen --version 2>/dev/null | grep -qF " $WASM_BINDGEN_VERSION"; then
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

# The bindings crate is its own workspace (built alone, so the library's `parallel` default stays off);
# its .cargo/config.toml puts the build in the root's target/ unless CARGO_TARGET_DIR says otherwise.
(cd web/bindings && cargo build --release --target wasm32-unknown-unknown)
target_dir="${CARGO_TARGET_DIR:-$root/target}"
rm -rf web/pkg
wasm-bindgen --target web --no-typescript --out-dir web/pkg \
    "$target_dir/wasm32-unknown-unknown/release/dispatchkit_web.wasm"

mkdir -p web/data
if [[ -f ../shared/data/boston/service_requests_2025.csv ]]; then
    cargo run --release --quiet --example boston_extract -- web/data/boston.json
    echo '{"boston": true}' >web/data/manifest.json
else
    rm -f web/data/boston.json
    echo '{"boston": false}' >web/data/manifest.json
    echo "no ../shared/data/boston: the page offers the generated city only"
fi

wasm_bytes=$(wc -c <web/pkg/dispatchkit_web_bg.wasm)
wasm_gzip=$(gzip -9 <web/pkg/dispatchkit_web_bg.wasm | wc -c)
echo "web/pkg/dispatchkit_web_bg.wasm: ${wasm_bytes} bytes, ${wasm_gzip} gzipped (gzip -9)"
