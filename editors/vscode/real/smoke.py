"""Real VS Code (code-server 4.100.3 = VS Code 1.100) smoke test of the packaged extension.

Streams a reply from the loopback fake provider into a session while typing three lines
at the top, repeated ROUNDS times; after each round saves, reads the file and checks with
an oracle that knows nothing of the server: every reply word once and in order, every typed
line once, the session ends in a new user turn. Saves a screenshot of the last round.

  bash ../shared/tools/real-vscode.sh /tmp/real-vscode
  /tmp/real-vscode/venv/bin/python editors/vscode/real/smoke.py /tmp/real-vscode LLMOS.vsix \
      target/debug/llmos target/debug/llmos-fake-llm [ROUNDS]
"""

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

from playwright.sync_api import sync_playwright

DIR, VSIX, LLMOS, FAKE = (os.path.abspath(a) for a in sys.argv[1:5])
ROUNDS = int(sys.argv[5]) if len(sys.argv) > 5 else 20
WORDS = [f"w{i:02d}" for i in range(40)]
CODE_SERVER = os.path.join(DIR, "cs/node_modules/.bin/code-server")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    fake = subprocess.Popen([FAKE, "--port", "0", "--provider", "openai", "--reply", " ".join(WORDS) + " ",
                             "--chunks", "40", "--delay-ms", "50", "--exit-after", "1800"], stdout=subprocess.PIPE, text=True)
    port = re.search(r"127\.0\.0\.1:(\d+)", fake.stdout.readline()).group(1)
    ws = tempfile.mkdtemp(prefix="llmos-vscode-")
    with open(os.path.join(ws, "llmos.toml"), "w") as f:
        f.write(f'[llm]\nprovider = "openai"\nbase_url = "http://127.0.0.1:{port}/v1"\nmodel = "m"\napi_key_env = ""\n')
    sessions = os.path.join(ws, "volumes/user/sessions")
    os.makedirs(sessions)
    subprocess.run(["git", "-C", os.path.join(ws, "volumes/user"), "init", "-q"], check=True)
    ud = os.path.join(DIR, "ud")
    os.makedirs(os.path.join(ud, "User"), exist_ok=True)
    with open(os.path.join(ud, "User/settings.json"), "w") as f:
        json.dump({"files.autoSave": "off", "llmos.server.path": LLMOS, "workbench.startupEditor": "none",
                   "security.workspace.trust.enabled": False, "workbench.tips.enabled": False}, f)
    exts = os.path.join(DIR, "exts")
    subprocess.run([CODE_SERVER, "--install-extension", VSIX, "--force", "--user-data-dir", ud, "--extensions-dir", exts], check=True)
    cs_port = free_port()
    server = subprocess.Popen([CODE_SERVER, "--auth", "none", "--bind-addr", f"127.0.0.1:{cs_port}", "--disable-telemetry",
                               "--disable-update-check", "--disable-workspace-trust", "--user-data-dir", ud, "--extensions-dir", exts, ws])
    failures = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                        args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                                              "--disable-background-networking", "--disable-component-update", "--disable-sync"])
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            for _ in range(60):
                try:
                    page.goto(f"http://127.0.0.1:{cs_port}/?folder={ws}")
                    break
                except Exception:
                    time.sleep(1)
            page.wait_for_selector(".monaco-workbench", timeout=60000)
            time.sleep(5)
            for r in range(ROUNDS):
                name = f"s{r}.md"
                path = os.path.join(sessions, name)
                with open(path, "w") as f:
                    f.write(f"---\ntitle: Round {r}\nid: s{r}\n---\n\n<!-- turn: user -->\nCount to forty.\n")
                page.keyboard.press("Control+p")
                time.sleep(0.5)
                page.keyboard.type(name)
                time.sleep(0.8)
                page.keyboard.press("Enter")
                time.sleep(10.0 if r == 0 else 1.0)  # the extension activates on the first session
                if r == 0:
                    page.screenshot(path=os.path.join(DIR, "first-open.png"))
                # Send through the command palette, then back to the editor.
                page.keyboard.press("F1")
                page.wait_for_selector(".quick-input-widget input", state="visible", timeout=10000)
                page.keyboard.type("LLMos: Send Chat Turn")
                time.sleep(1.0)
                page.keyboard.press("Enter")
                time.sleep(0.3)
                time.sleep(0.7)
                typed = []
                for k in range(3):
                    line = f"TYPED {r} {k}"
                    page.keyboard.press("Control+Home")
                    page.keyboard.type(line)
                    page.keyboard.press("Enter")
                    typed.append(line)
                    time.sleep(0.3)
                time.sleep(5)
                if r == 0:
                    page.screenshot(path=os.path.join(DIR, "first-reply.png"))
                page.keyboard.press("Control+s")
                time.sleep(1)
                text = open(path).read()
                words = re.findall(r"w\d\d", text)
                problems = []
                if words != WORDS:
                    problems.append(f"words {words}")
                for line in typed:
                    if text.count(line) != 1:
                        problems.append(f"typed line {line!r} x{text.count(line)}")
                if not text.rstrip().endswith("<!-- turn: user -->"):
                    problems.append("no closing user turn")
                print(f"round {r}: {'ok' if not problems else 'FAIL ' + '; '.join(problems)}", flush=True)
                if problems:
                    failures.append((r, problems, text))
                page.keyboard.press("Control+w")
                time.sleep(0.5)
            page.screenshot(path=os.path.join(DIR, "last-round.png"))
            browser.close()
    finally:
        server.terminate()
        fake.terminate()
    for r, problems, text in failures[:3]:
        print(f"--- round {r}: {problems}\n{text}")
    print(f"{ROUNDS - len(failures)} of {ROUNDS} rounds clean")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
