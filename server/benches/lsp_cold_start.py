#!/usr/bin/env python3
"""Cold start of any language server over stdio, to put llmos beside another server
(iwes) on the same generated workspace. Not part of CI.

Each run starts the server in the workspace folder, sends initialize + initialized, then
asks workspace/symbol (query "") every 5 ms until the answer is non-empty, and reads the
server's peak RSS (VmHWM) before shutting it down. Median of the runs after one warm-up.

    python3 server/benches/lsp_cold_start.py /tmp/llmos-ws/ws-10000-10000-seed1 5 -- target-bench/release/llmos lsp
    python3 server/benches/lsp_cold_start.py /tmp/llmos-ws/ws-10000-10000-seed1 5 -- iwes

(iwes reads `.iwe/config.toml` in the workspace; the script writes an empty one when
there is none, which indexes every Markdown file under the folder.)
"""

import json
import os
import statistics
import subprocess
import sys
import time


def frame(msg):
    body = json.dumps(msg).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def read_msg(stream):
    length = None
    while True:
        line = stream.readline()
        if not line:
            return None
        line = line.strip()
        if not line:
            break
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return json.loads(stream.read(length))


def peak_rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def one_run(workspace, cmd):
    root_uri = "file://" + os.path.abspath(workspace)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=workspace, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    next_id = [0]

    def request(method, params):
        next_id[0] += 1
        proc.stdin.write(frame({"jsonrpc": "2.0", "id": next_id[0], "method": method, "params": params}))
        proc.stdin.flush()
        while True:
            msg = read_msg(proc.stdout)
            if msg is None:
                raise RuntimeError(f"{cmd[0]} closed its output")
            if msg.get("id") == next_id[0] and "method" not in msg:
                return msg
            if "method" in msg and "id" in msg:
                # A request from the server (progress, registration): answer null.
                proc.stdin.write(frame({"jsonrpc": "2.0", "id": msg["id"], "result": None}))
                proc.stdin.flush()

    try:
        caps = {"workspace": {"symbol": {}}, "general": {"positionEncodings": ["utf-16"]}}
        request("initialize", {"processId": os.getpid(), "rootUri": root_uri, "workspaceFolders": [{"uri": root_uri, "name": "ws"}], "capabilities": caps, "initializationOptions": {"scheduler": False}})
        proc.stdin.write(frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}))
        proc.stdin.flush()
        while True:
            answer = request("workspace/symbol", {"query": ""})
            if answer.get("result"):
                break
            time.sleep(0.005)
        elapsed = time.perf_counter() - start
        peak = peak_rss_kib(proc.pid)
        request("shutdown", None)
        proc.stdin.write(frame({"jsonrpc": "2.0", "method": "exit", "params": None}))
        proc.stdin.flush()
        proc.wait(timeout=10)
        return elapsed, peak, len(answer["result"])
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def main():
    if "--" not in sys.argv:
        sys.exit(__doc__)
    sep = sys.argv.index("--")
    workspace, runs = sys.argv[1], int(sys.argv[2]) if sep > 2 else 5
    cmd = sys.argv[sep + 1 :]
    os.makedirs(os.path.join(workspace, ".iwe"), exist_ok=True)
    config = os.path.join(workspace, ".iwe", "config.toml")
    if not os.path.exists(config):
        open(config, "w").close()
    results = [one_run(workspace, cmd) for _ in range(runs + 1)][1:]
    times = [r[0] * 1000 for r in results]
    peaks = [r[1] / 1024 for r in results]
    print(f"{' '.join(cmd)}: cold start → non-empty workspace/symbol median {statistics.median(times):.0f} ms "
          f"(min {min(times):.0f}, max {max(times):.0f}), peak RSS median {statistics.median(peaks):.1f} MB, "
          f"{results[0][2]} symbols returned, {runs} runs")


if __name__ == "__main__":
    main()
