#!/usr/bin/env bash
# Builds the browser verifier into web/dist/: the page (index.html, app.js, style.css) and the
# verifier crate (web/verifier) compiled to WebAssembly. Installs what it needs, at pinned
# versions: the wasm32-unknown-unknown target (rustup) and wasm-bindgen-cli (cargo install, into
# target/web-tools/, not the user's ~/.cargo). The page loads nothing from the network and works
# opened as a local file: the WebAssembly is embedded in a script (verifier_wasm.js), since a
# browser does not let a page opened from a file fetch another file.
set -euo pipefail
cd "$(dirname "$0")/.."

# One tool in two halves: this must be the `=` version of wasm-bindgen in web/verifier/Cargo.toml.
WASM_BINDGEN_VERSION=0.2.129
if ! grep -qx "wasm-bindgen = \"=$WASM_BINDGEN_VERSION\"" web/verifier/Cargo.toml; then
    echo "web/build.sh: web/verifier/Cargo.toml does not pin wasm-bindgen = \"=$WASM_BINDGEN_VERSION\": change both together" >&2
    exit 1
fi

tools=target/web-tools
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    rustup target add wasm32-unknown-unknown
fi
if [ "$("$tools/bin/wasm-bindgen" --version 2>/dev/null)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
    # --debug: it builds in less than half the CPU time of a release build, and its output
    # for this crate is byte for byte the same (it runs for under a second either way).
    cargo install --debug --locked --root "$tools" wasm-bindgen-cli --version "=$WASM_BINDGEN_VERSION"
fi

# Its own target folder, so that it can run while another cargo holds target/debug.
export CARGO_TARGET_DIR=target/web
cargo build --locked --release --lib -p prov-web-verifier --target wasm32-unknown-unknown

out=web/dist.tmp
rm -rf "$out"
mkdir -p "$out"
"$tools/bin/wasm-bindgen" --target no-modules --no-typescript --out-dir "$out" \
    --out-name verifier "$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/prov_web_verifier.wasm"
{
    printf '// The verifier compiled to WebAssembly (web/verifier), as base64: made by web/build.sh.\n'
    printf 'var VERIFIER_WASM_BASE64 = "'
    base64 -w0 "$out/verifier_bg.wasm"
    printf '";\n'
} > "$out/verifier_wasm.js"
rm "$out/verifier_bg.wasm"
cp web/index.html web/app.js web/style.css "$out/"
rm -rf web/dist
mv "$out" web/dist
echo "web/build.sh: built web/dist/ (open web/dist/index.html)"
