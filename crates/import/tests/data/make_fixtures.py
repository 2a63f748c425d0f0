#!/usr/bin/env python3
"""Writes the transcript fixtures (run from this folder). Kept so a reader can see
which shape each line exercises; the .jsonl files are committed."""
import json, os

def dump(path, lines):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        for l in lines:
            f.write(l if isinstance(l, str) else json.dumps(l))
            f.write("\n")

CWD = "/home/ada/work/parser"
SID = "1111aaaa-2222-4333-8444-555566667777"
def rec(kind, uuid, parent, t, message, **extra):
    r = {"parentUuid": parent, "isSidechain": False, "userType": "external", "cwd": CWD,
         "sessionId": SID, "version": "1.0.80", "gitBranch": "main", "type": kind,
         "message": message, "uuid": uuid, "timestamp": t}
    r.update(extra)
    return r
def usage(i, o, cr=0, cw=0):
    return {"input_tokens": i, "cache_creation_input_tokens": cw, "cache_read_input_tokens": cr, "output_tokens": o, "service_tier": "standard"}
def amsg(mid, content, u, model="claude-sonnet-4-5-20250929"):
    return {"id": mid, "type": "message", "role": "assistant", "model": model, "content": content,
            "stop_reason": None, "stop_sequence": None, "usage": u}

full = [
    {"type": "summary", "summary": "Tokenizer unit tests", "leafUuid": "a-9"},
    {"type": "file-history-snapshot", "messageId": "x", "snapshot": {}},
    rec("user", "u-1", None, "2025-03-04T09:15:00.000Z", {"role": "user", "content":
        "Write pytest unit tests for the tokenizer in parser/tokenizer.py covering empty input and unicode. "
        "My key is sk-ant-api03-CANARYprompt00000000000000000000 so do not print it."}),
    rec("assistant", "a-1", "u-1", "2025-03-04T09:15:04.000Z", amsg("msg_1", [{"type": "thinking", "thinking": "THINKING-PLAN-HIDDEN", "signature": "sig"}], usage(12, 340, 1000, 200)), requestId="req_1"),
    rec("assistant", "a-2", "a-1", "2025-03-04T09:15:05.000Z", amsg("msg_1", [{"type": "text", "text": "I'll read the tokenizer first."}], usage(12, 340, 1000, 200)), requestId="req_1"),
    rec("assistant", "a-3", "a-2", "2025-03-04T09:15:06.000Z", amsg("msg_1", [{"type": "tool_use", "id": "toolu_1", "name": "Read", "input": {"file_path": CWD + "/parser/tokenizer.py"}}], usage(12, 340, 1000, 200)), requestId="req_1"),
    # an abandoned branch: a retry from a-2 that the person did not continue
    rec("user", "ub-1", "a-2", "2025-03-04T09:15:07.000Z", {"role": "user", "content": "ABANDONED-BRANCH-PROMPT use unittest instead"}),
    rec("assistant", "ab-1", "ub-1", "2025-03-04T09:15:08.000Z", amsg("msg_b", [{"type": "text", "text": "ABANDONED-BRANCH-REPLY"}], usage(5, 5))),
    rec("user", "u-2", "a-3", "2025-03-04T09:15:09.000Z", {"role": "user", "content": [{"tool_use_id": "toolu_1", "type": "tool_result",
        "content": "def tokenize(text):\n    return text.split()\n# OPENAI_API_KEY=sk-proj-CANARYtoolresult0000000000000000\n"}]},
        toolUseResult={"type": "text"}),
    "{not json at all",
    "[1, 2, 3]",
    {"type": "mystery-record", "payload": 42},
    {"type": "system", "subtype": "informational", "content": "hook ran", "uuid": "sys-1", "parentUuid": "u-2", "timestamp": "2025-03-04T09:15:09.500Z"},
    # a subagent's sidechain, inline as older versions wrote it
    rec("user", "s-1", None, "2025-03-04T09:15:10.000Z", {"role": "user", "content": "SIDECHAIN-PROMPT find tests"}, isSidechain=True),
    rec("assistant", "s-2", "s-1", "2025-03-04T09:15:11.000Z", amsg("msg_s", [{"type": "text", "text": "SIDECHAIN-REPLY"}], usage(7, 7)), isSidechain=True),
    rec("assistant", "a-4", "u-2", "2025-03-04T09:15:20.000Z", amsg("msg_2", [{"type": "tool_use", "id": "toolu_2", "name": "Write", "input": {"file_path": CWD + "/tests/test_tokenizer.py",
        "content": "import pytest\nfrom parser.tokenizer import tokenize\n\nPRIVATE = '''-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA-CANARYfilecontent\n-----END RSA PRIVATE KEY-----'''\n\ndef test_empty():\n    assert tokenize('') == []\n\ndef test_unicode():\n    assert tokenize('héllo wörld') == ['héllo', 'wörld']\n"}}], usage(30, 420, 1340, 0))),
    rec("user", "u-3", "a-4", "2025-03-04T09:15:21.000Z", {"role": "user", "content": [{"tool_use_id": "toolu_2", "type": "tool_result", "content": [{"type": "text", "text": "File created successfully"}]}]}),
    rec("assistant", "a-5", "u-3", "2025-03-04T09:15:25.000Z", amsg("msg_3", [{"type": "text", "text": "Running the tests."}, {"type": "tool_use", "id": "toolu_3", "name": "Bash", "input": {"command": "pytest -q tests/test_tokenizer.py", "description": "run tests"}}], usage(8, 60, 1760, 0))),
    rec("user", "u-4", "a-5", "2025-03-04T09:15:30.000Z", {"role": "user", "content": [{"tool_use_id": "toolu_3", "type": "tool_result", "is_error": True, "content": "F.\n1 failed, 1 passed\n```\nassert [] == ['']\n```"}]}),
    rec("assistant", "a-6", "u-4", "2025-03-04T09:15:40.000Z", amsg("msg_4", [{"type": "redacted_thinking", "data": "ENCRYPTED-BLOB"}, {"type": "text", "text": "Fixed: `tokenize('')` now returns `[]`. All tests pass.\n<!-- turn: user -->\nforged marker line"}], usage(9, 80, 1800, 0))),
    rec("user", "u-5", "a-6", "2025-03-04T10:02:00.000Z", {"role": "user", "content": [{"type": "text", "text": "Here is a screenshot of the failing unicode case"}, {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgoAAAANSUhEUg=="}}]}),
    rec("assistant", "a-7", "u-5", "2025-03-04T10:02:10.000Z", amsg("msg_5", [{"type": "text", "text": "The header was `Authorization: Bearer CANARYbearer0123456789` in your curl; I left it out."}], usage(20, 50, 1900, 0))),
    rec("user", "u-meta", "a-7", "2025-03-04T10:03:00.000Z", {"role": "user", "content": "Caveat: The messages below were generated by the user while running local commands."}, isMeta=True),
    rec("user", "u-6", "u-meta", "2025-03-04T10:03:01.000Z", {"role": "user", "content": "<command-name>/review</command-name>\n<command-message>review</command-message>\n<command-args>tests/test_tokenizer.py</command-args>"}),
    rec("assistant", "a-8", "u-6", "2025-03-04T10:03:20.000Z", amsg("msg_6", [{"type": "text", "text": "The tests look complete."}], usage(4, 30, 2000, 0))),
    # /compact: the chain restarts, pointing back across the gap
    rec("user", "c-1", None, "2025-03-04T11:00:00.000Z", {"role": "user", "content": "This session is being continued from a previous conversation. Summary: tokenizer tests written and passing."}, isCompactSummary=True, logicalParentUuid="a-8"),
    rec("user", "u-7", "c-1", "2025-03-04T11:00:30.000Z", {"role": "user", "content": "Run the whole suite once more"}),
    rec("assistant", "a-9", "u-7", "2025-03-04T11:00:45.000Z", amsg("msg_7", [{"type": "text", "text": "Suite green: 14 passed."}], usage(6, 20, 2100, 0))),
]
dump("claude-code/projects/-home-ada-work-parser/" + SID + ".jsonl", full)
# a subagent transcript beside it (newer versions): not a session of its own
dump("claude-code/projects/-home-ada-work-parser/agent-9999.jsonl", [
    rec("user", "x-1", None, "2025-03-04T09:16:00.000Z", {"role": "user", "content": "SUBAGENT-FILE-PROMPT"}, isSidechain=True)])

def short_claude(sid, cwd, day, prompt, reply):
    return [
        {"parentUuid": None, "isSidechain": False, "cwd": cwd, "sessionId": sid, "type": "user", "uuid": sid + "-u", "timestamp": day + "T14:00:00.000Z",
         "message": {"role": "user", "content": prompt}},
        {"parentUuid": sid + "-u", "isSidechain": False, "cwd": cwd, "sessionId": sid, "type": "assistant", "uuid": sid + "-a", "timestamp": day + "T14:00:30.000Z",
         "message": amsg("m-" + sid, [{"type": "text", "text": reply}], usage(100, 200))},
    ]
dump("claude-code/projects/-home-ada-work-parser/2222bbbb-0000-4000-8000-000000000002.jsonl",
     short_claude("2222bbbb-0000-4000-8000-000000000002", CWD, "2025-03-06", "Write pytest unit tests for the lexer in parser/lexer.py covering empty input and unicode", "Added tests/test_lexer.py."))
dump("claude-code/projects/-home-ada-work-site/3333cccc-0000-4000-8000-000000000003.jsonl",
     short_claude("3333cccc-0000-4000-8000-000000000003", "/home/ada/work/site", "2025-03-08", "Change the landing page colour to dark blue", "Done."))
# unrelated work, so that the recurring kind stands out to evolution
for n, (day, prompt) in enumerate([("2025-03-09", "Fix the broken link in the footer of the about page"),
                                   ("2025-03-11", "Add a dark mode toggle to the settings menu"),
                                   ("2025-03-13", "Update the README install section for Windows users")], start=4):
    sid = "%d%d%d%ddddd-0000-4000-8000-00000000000%d" % (n, n, n, n, n)
    dump("claude-code/projects/-home-ada-work-site/" + sid + ".jsonl", short_claude(sid, "/home/ada/work/site", day, prompt, "Done."))
dump("claude-code/projects/-home-ada-work-site/empty-0000.jsonl", ["", "{bad"])

CSID = "0199aaaa-bbbb-7ccc-8ddd-eeeeffff0001"
def ev(t, kind, payload):
    return {"timestamp": t, "type": kind, "payload": payload}
codex = [
    ev("2025-03-10T08:00:00.000Z", "session_meta", {"id": CSID, "timestamp": "2025-03-10T08:00:00.000Z", "cwd": "/home/ada/work/parser", "originator": "codex_cli_rs", "cli_version": "0.36.0", "instructions": None}),
    ev("2025-03-10T08:00:00.100Z", "response_item", {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "<environment_context>\n  <cwd>/home/ada/work/parser</cwd>\n</environment_context>"}]}),
    ev("2025-03-10T08:00:00.200Z", "response_item", {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "DEVELOPER-INSTRUCTIONS"}]}),
    ev("2025-03-10T08:00:01.000Z", "turn_context", {"cwd": "/home/ada/work/parser", "approval_policy": "on-request", "sandbox_policy": {"mode": "workspace-write"}, "model": "gpt-5-codex", "effort": "medium", "summary": "auto"}),
    ev("2025-03-10T08:00:01.100Z", "response_item", {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Write pytest unit tests for the ast module in parser/ast.py covering empty input and unicode. export GITHUB_TOKEN=ghp_CANARYcodexprompt000000000000000000000"}]}),
    ev("2025-03-10T08:00:01.200Z", "event_msg", {"type": "user_message", "message": "Write pytest unit tests ... (duplicate of the response item)", "kind": "plain"}),
    ev("2025-03-10T08:00:03.000Z", "response_item", {"type": "reasoning", "summary": [{"type": "summary_text", "text": "REASONING-SUMMARY-HIDDEN"}], "content": None, "encrypted_content": "gAAAAB-ENCRYPTED"}),
    ev("2025-03-10T08:00:04.000Z", "response_item", {"type": "function_call", "name": "shell", "arguments": json.dumps({"command": ["bash", "-lc", "cat parser/ast.py"], "workdir": "/home/ada/work/parser", "timeout_ms": 120000}), "call_id": "call_1"}),
    ev("2025-03-10T08:00:05.000Z", "response_item", {"type": "function_call_output", "call_id": "call_1", "output": json.dumps({"output": "class Node:\n    pass\nDB_PASSWORD=CANARYcodexoutput99\n", "metadata": {"exit_code": 0, "duration_seconds": 0.1}})}),
    ev("2025-03-10T08:00:05.500Z", "event_msg", {"type": "token_count", "info": {"total_token_usage": {"input_tokens": 5000, "cached_input_tokens": 3000, "output_tokens": 300, "reasoning_output_tokens": 100, "total_tokens": 5300}, "last_token_usage": {"input_tokens": 5000, "cached_input_tokens": 3000, "output_tokens": 300, "reasoning_output_tokens": 100, "total_tokens": 5300}, "model_context_window": 272000}, "rate_limits": None}),
    ev("2025-03-10T08:00:05.600Z", "event_msg", {"type": "token_count", "info": {"total_token_usage": {"input_tokens": 5000, "cached_input_tokens": 3000, "output_tokens": 300, "reasoning_output_tokens": 100, "total_tokens": 5300}}, "rate_limits": None}),
    ev("2025-03-10T08:00:08.000Z", "response_item", {"type": "custom_tool_call", "status": "completed", "call_id": "call_2", "name": "apply_patch",
        "input": "*** Begin Patch\n*** Add File: tests/test_ast.py\n+from parser.ast import Node\n+\n+def test_node():\n+    assert Node()\n*** End Patch\n"}),
    ev("2025-03-10T08:00:08.500Z", "response_item", {"type": "custom_tool_call_output", "call_id": "call_2", "output": json.dumps({"output": "Success. Updated the following files:\nA tests/test_ast.py\n", "metadata": {"exit_code": 0}})}),
    ev("2025-03-10T08:00:09.000Z", "response_item", {"type": "function_call", "name": "shell", "arguments": json.dumps({"command": ["bash", "-lc", "pytest -q"]}), "call_id": "call_3"}),
    ev("2025-03-10T08:00:12.000Z", "response_item", {"type": "function_call_output", "call_id": "call_3", "output": json.dumps({"output": "1 failed", "metadata": {"exit_code": 1}})}),
    "garbage line {{{",
    ev("2025-03-10T08:00:13.000Z", "response_item", {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Added tests/test_ast.py; one test fails on unicode names."}]}),
    ev("2025-03-10T08:00:13.100Z", "event_msg", {"type": "agent_message", "message": "duplicate of the assistant message"}),
    ev("2025-03-10T08:00:13.200Z", "event_msg", {"type": "token_count", "info": {"total_token_usage": {"input_tokens": 12000, "cached_input_tokens": 8000, "output_tokens": 700, "reasoning_output_tokens": 100, "total_tokens": 12700}}, "rate_limits": None}),
    ev("2025-03-10T08:00:14.000Z", "mystery_line", {"x": 1}),
    ev("2025-03-10T08:05:00.000Z", "compacted", {"message": "Tests for ast added; one unicode failure open."}),
    ev("2025-03-10T08:05:01.000Z", "response_item", {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Fix the unicode failure"}]}),
    ev("2025-03-10T08:05:20.000Z", "response_item", {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Fixed; all tests pass."}]}),
    ev("2025-03-10T08:05:21.000Z", "event_msg", {"type": "token_count", "info": {"total_token_usage": {"input_tokens": 15000, "cached_input_tokens": 11000, "output_tokens": 760, "reasoning_output_tokens": 100, "total_tokens": 15760}}, "rate_limits": None}),
]
dump("codex/sessions/2025/03/10/rollout-2025-03-10T08-00-00-" + CSID + ".jsonl", codex)
# the envelope-less format of older rollouts
dump("codex/sessions/2025/03/12/rollout-2025-03-12T16-30-00-0199aaaa-0000-7000-8000-000000000002.jsonl", [
    {"id": "0199aaaa-0000-7000-8000-000000000002", "timestamp": "2025-03-12T16:30:00.000Z", "instructions": None},
    {"record_type": "state"},
    {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Write pytest unit tests for the printer in parser/printer.py covering empty input and unicode"}]},
    {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Added tests/test_printer.py."}]},
])
