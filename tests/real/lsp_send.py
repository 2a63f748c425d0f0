"""Sends a session through `llmos lsp` over stdio, playing a strict editor.

The editor keeps its own copy of the document, applies each `workspace/applyEdit` whose
version is its own (refuses others), and reports every change with a full-text
didChange. It sends, waits until the reply is closed by a new user turn, saves, then
types a follow-up and sends again. Prints what a person checking a real model wants:
time to the first reply text, the marker line, the reply, and whether the next send was
accepted. Exit status 1 when the session is not sendable after the first reply.

  python3 tests/real/lsp_send.py LLMOS_BIN WORKSPACE SESSION_FILE "follow-up question"
"""

import json
import os
import subprocess
import sys
import threading
import time

LLMOS, WS, SESSION, FOLLOW_UP = sys.argv[1:5]
URI = "file://" + os.path.abspath(SESSION)


class Editor:
    def __init__(self):
        self.proc = subprocess.Popen([LLMOS, "lsp"], cwd=WS, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.lock = threading.Lock()
        self.next_id = 0
        self.answers = {}
        self.text = open(SESSION, encoding="utf-8").read()
        self.version = 1
        self.first_edit_at = None
        self.markers_before = 0
        self.messages = []
        threading.Thread(target=self.read_loop, daemon=True).start()

    def write(self, msg):
        body = json.dumps(msg).encode()
        with self.lock:
            self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            self.proc.stdin.flush()

    def request(self, method, params, timeout=60):
        self.next_id += 1
        rid = self.next_id
        self.write({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        end = time.time() + timeout
        while rid not in self.answers:
            if time.time() > end:
                raise TimeoutError(method)
            time.sleep(0.01)
        return self.answers.pop(rid)

    def notify(self, method, params):
        self.write({"jsonrpc": "2.0", "method": method, "params": params})

    def read_loop(self):
        out = self.proc.stdout
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    return
                line = line.strip()
                if not line:
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            msg = json.loads(out.read(length))
            if "method" in msg and "id" in msg:
                self.write({"jsonrpc": "2.0", "id": msg["id"], "result": self.answer(msg["method"], msg.get("params"))})
            elif "id" in msg:
                self.answers[msg["id"]] = msg
            elif msg.get("method") == "window/showMessage":
                self.messages.append(msg["params"]["message"])

    def answer(self, method, params):
        if method != "workspace/applyEdit":
            return None
        change = params["edit"]["documentChanges"][0]
        if change["textDocument"]["version"] != self.version:
            return {"applied": False, "failureReason": "version"}
        self.text = apply(self.text, change["edits"])
        self.version += 1
        if self.first_edit_at is None and self.text.count("<!-- turn: assistant") > self.markers_before:
            # The first reply text, not the marker.
            after = self.text.rsplit("<!-- turn: assistant", 1)[1].split("-->", 1)[-1]
            if after.strip():
                self.first_edit_at = time.time()
        self.notify("textDocument/didChange", {"textDocument": {"uri": URI, "version": self.version}, "contentChanges": [{"text": self.text}]})
        return {"applied": True}

    def type_at_end(self, line):
        self.text += line + "\n"
        self.version += 1
        self.notify("textDocument/didChange", {"textDocument": {"uri": URI, "version": self.version}, "contentChanges": [{"text": self.text}]})


def offset(text, pos):
    """UTF-16 line/character → index into `text`."""
    lines = text.split("\n")
    line = min(pos["line"], len(lines) - 1)
    at = sum(len(l) + 1 for l in lines[:line])
    units = 0
    for i, ch in enumerate(lines[line]):
        if units >= pos["character"]:
            return at + i
        units += 2 if ord(ch) > 0xFFFF else 1
    return at + len(lines[line])


def apply(text, edits):
    spans = sorted(((offset(text, e["range"]["start"]), offset(text, e["range"]["end"]), e["newText"]) for e in edits), reverse=True)
    for s, e, new in spans:
        text = text[:s] + new + text[e:]
    return text


def replied(text, turns_before):
    return text.count("<!-- turn: user -->") > turns_before and text.rstrip().endswith("<!-- turn: user -->")


def send(ed, label):
    turns = ed.text.count("<!-- turn: user -->")
    ed.first_edit_at = None
    ed.markers_before = ed.text.count("<!-- turn: assistant")
    t0 = time.time()
    r = ed.request("workspace/executeCommand", {"command": "llmos.chat.send", "arguments": [{"uri": URI}]}, timeout=300)
    if "error" in r:
        print(f"{label}: send refused: {r['error']['message']}")
        return False
    end = time.time() + 300
    while not replied(ed.text, turns) and time.time() < end:
        time.sleep(0.05)
    took = time.time() - t0
    first = f"{ed.first_edit_at - t0:.2f} s" if ed.first_edit_at else "none"
    marker = [l for l in ed.text.splitlines() if l.startswith("<!-- turn: assistant")][-1:]
    print(f"{label}: first reply text after {first}, closed after {took:.2f} s; marker: {marker[0] if marker else 'none'}")
    return replied(ed.text, turns)


def main():
    ed = Editor()
    ed.request("initialize", {"processId": os.getpid(), "rootUri": "file://" + os.path.abspath(WS),
                              "capabilities": {"workspace": {"applyEdit": True, "workspaceEdit": {"documentChanges": True}},
                                               "general": {"positionEncodings": ["utf-16"]}}})
    ed.notify("initialized", {})
    ed.notify("textDocument/didOpen", {"textDocument": {"uri": URI, "languageId": "markdown", "version": 1, "text": ed.text}})
    time.sleep(1)
    ok = send(ed, "first send")
    with open(SESSION, "w", encoding="utf-8") as f:
        f.write(ed.text)
    ed.notify("textDocument/didSave", {"textDocument": {"uri": URI}})
    print("----- the session after the first reply -----")
    print(ed.text)
    print("----------------------------------------------")
    ed.type_at_end(FOLLOW_UP)
    time.sleep(0.5)
    ok2 = send(ed, "second send")
    with open(SESSION, "w", encoding="utf-8") as f:
        f.write(ed.text)
    ed.notify("textDocument/didSave", {"textDocument": {"uri": URI}})
    for m in ed.messages:
        print(f"message: {m}")
    try:
        ed.request("shutdown", None, timeout=5)
        ed.notify("exit", None)
    except TimeoutError:
        pass
    ed.proc.wait(timeout=5)
    sys.exit(0 if ok and ok2 else 1)


if __name__ == "__main__":
    main()
