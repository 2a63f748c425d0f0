//! Every rule of the catalogue, by id, through `llmos check --format json` on the built
//! binary: a bad input that raises it and a good twin, one change away, that does not.
//! A rule added to the catalogue without a case here fails `every_rule_has_a_case`.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// One rule's case: files (path under the workspace, content) for the bad and the good
/// workspace. Both get the same `llmos.toml` unless a case writes its own.
struct Case {
    rule: &'static str,
    bad: Files,
    good: Files,
}

type Files = Vec<(&'static str, Vec<u8>)>;

const SKILL_OK: &str = "---\nname: demo\ndescription: Draws charts from CSV files. Use when a user asks for a chart.\n---\n\nBody.\n";
const SESSION_OK: &str = "---\ntitle: Demo\nid: s1\nstatus: uncommitted\ncommit: null\n---\n\n<!-- turn: user -->\nHello\n";

fn skill(front: &str, body: &str) -> Vec<u8> {
    format!("---\n{front}---\n\n{body}").into_bytes()
}

fn session(front_extra: &str, body: &str) -> Vec<u8> {
    format!("---\ntitle: Demo\nid: s1\nstatus: uncommitted\ncommit: null\n{front_extra}---\n\n{body}").into_bytes()
}

const NAME_DESC: &str = "name: demo\ndescription: Draws charts from CSV files. Use when a user asks for a chart.\n";
const SKILL_PATH: &str = "volumes/user/skills/demo/SKILL.md";
const SESSION_PATH: &str = "volumes/user/sessions/s1.md";

fn cases() -> Vec<Case> {
    let sk = |bad: Vec<u8>, good: Vec<u8>| (vec![(SKILL_PATH, bad)], vec![(SKILL_PATH, good)]);
    let se = |bad: Vec<u8>, good: Vec<u8>| (vec![(SESSION_PATH, bad)], vec![(SESSION_PATH, good)]);
    let cfg = |bad: &str, good: &str| (vec![("llmos.toml", bad.as_bytes().to_vec())], vec![("llmos.toml", good.as_bytes().to_vec())]);
    let case = |rule, (bad, good): (Files, Files)| Case { rule, bad, good };
    vec![
        case("file/not-utf8", sk(b"---\nname: demo\n\xff\xfe\n---\n".to_vec(), SKILL_OK.into())),
        case("file/binary", sk(format!("{SKILL_OK}\0\0").into_bytes(), SKILL_OK.into())),
        case("file/too-large", {
            let (mut bad, mut good) = sk(format!("{SKILL_OK}{}", "x".repeat(300)).into_bytes(), SKILL_OK.into());
            bad.push(("llmos.toml", b"max_file_size = 200\n".to_vec()));
            good.push(("llmos.toml", b"max_file_size = 200\n".to_vec()));
            (bad, good)
        }),
        case("frontmatter/missing", sk(b"# Demo\n\nNo frontmatter.\n".to_vec(), SKILL_OK.into())),
        case("frontmatter/unclosed", sk(format!("---\n{NAME_DESC}\nBody.\n").into_bytes(), SKILL_OK.into())),
        case("frontmatter/yaml-syntax", sk(skill(&format!("{NAME_DESC}tags: [a, b\n"), ""), skill(&format!("{NAME_DESC}tags: [a, b]\n"), ""))),
        case("frontmatter/not-a-mapping", sk(b"---\n- name\n- demo\n---\n".to_vec(), SKILL_OK.into())),
        case("frontmatter/duplicate-key", sk(skill(&format!("{NAME_DESC}license: MIT\nlicense: MIT\n"), ""), skill(&format!("{NAME_DESC}license: MIT\n"), ""))),
        case("skill/name-missing", sk(skill("description: Draws charts. Use when asked.\n", ""), SKILL_OK.into())),
        case("skill/name-format", sk(skill("name: Demo\ndescription: Draws charts. Use when asked.\n", ""), SKILL_OK.into())),
        case("skill/name-mismatch", sk(skill("name: other\ndescription: Draws charts. Use when asked.\n", ""), SKILL_OK.into())),
        case("skill/description-missing", sk(skill("name: demo\n", ""), SKILL_OK.into())),
        case(
            "skill/description-too-long",
            sk(
                skill(&format!("name: demo\ndescription: Use when {}\n", "a".repeat(1016)), ""),
                skill(&format!("name: demo\ndescription: Use when {}\n", "a".repeat(1015)), ""),
            ),
        ),
        case("skill/description-when", sk(skill("name: demo\ndescription: Draws charts from CSV files.\n", ""), SKILL_OK.into())),
        case("skill/unknown-key", sk(skill(&format!("{NAME_DESC}colour: blue\n"), ""), skill(&format!("{NAME_DESC}metadata:\n  colour: blue\n"), ""))),
        case("skill/key-type", sk(skill(&format!("{NAME_DESC}metadata: 5\n"), ""), skill(&format!("{NAME_DESC}metadata:\n  a: b\n"), ""))),
        case(
            "skill/compatibility-too-long",
            sk(skill(&format!("{NAME_DESC}compatibility: {}\n", "c".repeat(501)), ""), skill(&format!("{NAME_DESC}compatibility: {}\n", "c".repeat(500)), "")),
        ),
        case("skill/body-too-long", sk(skill(NAME_DESC, &"line\n".repeat(520)), skill(NAME_DESC, &"line\n".repeat(400)))),
        case("skill/duplicate", {
            let bad = vec![(SKILL_PATH, SKILL_OK.as_bytes().to_vec()), ("volumes/user/skills/demo.md", SKILL_OK.as_bytes().to_vec())];
            let good = vec![
                (SKILL_PATH, SKILL_OK.as_bytes().to_vec()),
                ("volumes/team/skills/other/SKILL.md", skill("name: other\ndescription: Other things. Use when asked.\n", "")),
            ];
            (bad, good)
        }),
        case("skill/shadowed", {
            let bad = vec![(SKILL_PATH, SKILL_OK.as_bytes().to_vec()), ("volumes/team/skills/demo/SKILL.md", SKILL_OK.as_bytes().to_vec())];
            let good = vec![
                (SKILL_PATH, SKILL_OK.as_bytes().to_vec()),
                ("volumes/team/skills/other/SKILL.md", skill("name: other\ndescription: Other things. Use when asked.\n", "")),
            ];
            (bad, good)
        }),
        case("skill/broken-link", {
            let bad = vec![(SKILL_PATH, skill(NAME_DESC, "See [the guide](references/guide.md).\n"))];
            let good = vec![
                (SKILL_PATH, skill(NAME_DESC, "See [the guide](references/guide.md).\n")),
                ("volumes/user/skills/demo/references/guide.md", b"# Guide\n".to_vec()),
            ];
            (bad, good)
        }),
        case(
            "skill/not-portable",
            sk(skill(&format!("{NAME_DESC}source: evolution\n"), ""), skill(&format!("{NAME_DESC}metadata:\n  llmos-source: evolution\n"), "")),
        ),
        case("skill/listing-cut", {
            let front = |when: usize| format!("name: demo\ndescription: Use when {}\nwhen_to_use: {}\n", "d".repeat(990), "w".repeat(when));
            let profile = ("llmos.toml", b"profile = \"claude-code\"\n".to_vec());
            (vec![(SKILL_PATH, skill(&front(600), "")), profile.clone()], vec![(SKILL_PATH, skill(&front(400), "")), profile])
        }),
        case(
            "session/unclosed-fence",
            se(
                session("", "<!-- turn: user -->\nloop?\n\n<!-- turn: assistant -->\n```python\nfor i in x:\n\n<!-- turn: user -->\nmore\n"),
                session("", "<!-- turn: user -->\nloop?\n\n<!-- turn: assistant -->\n```python\nfor i in x:\n```\n\n<!-- turn: user -->\nmore\n"),
            ),
        ),
        case("session/unknown-key", se(session("colour: blue\n", "<!-- turn: user -->\nHi\n"), SESSION_OK.into())),
        case("session/key-type", se(b"---\ntitle: Demo\nid: s1\nstatus: shipped\ncommit: null\n---\n\n<!-- turn: user -->\nHi\n".to_vec(), SESSION_OK.into())),
        case("session/unknown-role", se(session("", "<!-- turn: robot -->\nHi\n"), session("", "<!-- turn: user -->\nHi\n"))),
        case(
            "session/malformed-marker",
            se(
                session("", "<!-- turn: user -->\nHi\n<!-- turn assistant -->\nHello\n"),
                session("", "<!-- turn: user -->\nHi\n<!-- turn: assistant -->\nHello\n"),
            ),
        ),
        case(
            "session/empty-user-turn",
            se(
                session("", "<!-- turn: user -->\n\n<!-- turn: assistant -->\nHello\n"),
                session("", "<!-- turn: user -->\nHi\n<!-- turn: assistant -->\nHello\n"),
            ),
        ),
        case("session/text-before-first-turn", se(session("", "Stray text.\n\n<!-- turn: user -->\nHi\n"), session("", "<!-- turn: user -->\nHi\n"))),
        case("session/no-turns", se(session("", "Just notes.\n"), session("", "<!-- turn: user -->\nJust notes.\n"))),
        case("session/broken-artifact", {
            let body = "<!-- turn: user -->\nHi\n<!-- turn: assistant -->\nSee [data](../artifacts/data.csv).\n";
            let bad = vec![(SESSION_PATH, session("", body))];
            let good = vec![(SESSION_PATH, session("", body)), ("volumes/user/artifacts/data.csv", b"x,y\n1,2\n".to_vec())];
            (bad, good)
        }),
        case(
            "session/link-outside-volume",
            se(
                session("", "<!-- turn: user -->\nRead [this](../../../../etc/hostname).\n"),
                session("", "<!-- turn: user -->\nRead [this](https://example.com/hostname).\n"),
            ),
        ),
        case("session/unknown-skill", {
            let bad = vec![(SESSION_PATH, session("skills: [nope]\n", "<!-- turn: user -->\nHi\n")), (SKILL_PATH, SKILL_OK.as_bytes().to_vec())];
            let good = vec![(SESSION_PATH, session("skills: [demo]\n", "<!-- turn: user -->\nHi\n")), (SKILL_PATH, SKILL_OK.as_bytes().to_vec())];
            (bad, good)
        }),
        case("session/id-mismatch", se(SESSION_OK.replace("id: s1", "id: s2").into_bytes(), SESSION_OK.into())),
        case("session/sync-conflict", {
            let bad = vec![(SESSION_PATH, SESSION_OK.as_bytes().to_vec()), ("volumes/user/sessions/s1.local-abcdef1.md", SESSION_OK.as_bytes().to_vec())];
            let good = vec![
                (SESSION_PATH, SESSION_OK.as_bytes().to_vec()),
                ("volumes/user/sessions/s1-notes.md", SESSION_OK.replace("id: s1", "id: s1-notes").into_bytes()),
            ];
            (bad, good)
        }),
        case("config/syntax", cfg("profile = \"llmos\n", "profile = \"llmos\"\n")),
        case("config/unknown-key", cfg("colour = \"blue\"\n", "profile = \"llmos\"\n")),
        case("config/bad-value", cfg("profile = \"strictest\"\n", "profile = \"agentskills\"\n")),
        case("config/bad-duration", cfg("[evolution.user]\nevery = \"often\"\n", "[evolution.user]\nevery = \"12h\"\n")),
        case("config/bad-url", cfg("[llm]\nbase_url = \"not a url\"\n", "[llm]\nbase_url = \"http://127.0.0.1:8080/v1\"\n")),
        case("config/bad-url", cfg("[volumes.user]\nremote = \"::nonsense::\"\n", "[volumes.user]\nremote = \"github:alice/llmunix-user-alice\"\n")),
    ]
}

/// Rules that need state `llmos check` does not look at, or a file a table cannot hold,
/// and the test that covers each.
const COVERED_ELSEWHERE: &[(&str, &str)] = &[
    ("session/changed-since-commit", "lsp_sessions::commit_writes_context_memory_and_stamps_the_session"),
    ("file/not-regular", "rules::a_fifo_is_reported_and_not_read"),
];

/// Lays the files out in a fresh workspace and returns the rule ids reported per file
/// (paths relative to the workspace).
fn check(files: &[(&str, Vec<u8>)]) -> Vec<(String, String)> {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    if !files.iter().any(|(p, _)| *p == "llmos.toml") {
        std::fs::write(root.join("llmos.toml"), "").unwrap();
    }
    for volume in ["user", "team", "system"] {
        std::fs::create_dir_all(root.join("volumes").join(volume).join("skills")).unwrap();
        std::fs::create_dir_all(root.join("volumes").join(volume).join("sessions")).unwrap();
    }
    for (path, bytes) in files {
        let full = root.join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, bytes).unwrap();
    }
    let out = Command::new(env!("CARGO_BIN_EXE_llmos")).args(["check", ".", "--format", "json"]).current_dir(root).output().unwrap();
    assert!(matches!(out.status.code(), Some(0 | 1)), "check could not run: {}", String::from_utf8_lossy(&out.stderr));
    let diags: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    diags
        .iter()
        .map(|d| {
            let path = d["path"].as_str().unwrap_or_default();
            let rel = Path::new(path).strip_prefix(root.canonicalize().unwrap()).or_else(|_| Path::new(path).strip_prefix(root)).unwrap_or(Path::new(path));
            (rel.to_string_lossy().into_owned(), d["code"].as_str().unwrap_or_default().to_string())
        })
        .collect()
}

#[test]
fn each_rule_fires_on_its_bad_input_and_not_on_the_good_twin() {
    let mut failures = Vec::new();
    for case in cases() {
        let bad = check(&case.bad);
        if !bad.iter().any(|(_, code)| code == case.rule) {
            failures.push(format!("{}: not raised on the bad input; got {bad:?}", case.rule));
        }
        let good = check(&case.good);
        if good.iter().any(|(_, code)| code == case.rule) {
            failures.push(format!("{}: raised on the good input: {good:?}", case.rule));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_rule_has_a_case() {
    let cased: BTreeSet<&str> = cases().iter().map(|c| c.rule).chain(COVERED_ELSEWHERE.iter().map(|(r, _)| *r)).collect();
    let missing: Vec<&str> = llmos_documents::rules::ALL.iter().map(|r| r.id).filter(|id| !cased.contains(id)).collect();
    assert!(missing.is_empty(), "rules with no case in tests/e2e/rules.rs: {missing:?}");
}

#[test]
fn a_fifo_is_reported_and_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let sessions = dir.path().join("volumes/user/sessions");
    std::fs::create_dir_all(&sessions).unwrap();
    std::fs::write(dir.path().join("llmos.toml"), "").unwrap();
    std::fs::write(sessions.join("ok.md"), SESSION_OK.replace("id: s1", "id: ok")).unwrap();
    let status = Command::new("mkfifo").arg(sessions.join("pipe.md")).status().unwrap();
    assert!(status.success());
    let target = "volumes/user/sessions/pipe.md";
    // A reader of the FIFO would block forever; check must answer, and say why.
    let out = Command::new(env!("CARGO_BIN_EXE_llmos")).args(["check", target, "--format", "json"]).current_dir(dir.path()).output().unwrap();
    let diags: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap_or_default();
    let codes: Vec<(&str, &str)> = diags.iter().map(|d| (d["path"].as_str().unwrap_or_default(), d["code"].as_str().unwrap_or_default())).collect();
    assert!(codes.iter().any(|(path, code)| path.ends_with("pipe.md") && *code == "file/not-regular"), "{target}: {codes:?}");
    assert!(!codes.iter().any(|(path, code)| path.ends_with("ok.md") && *code == "file/not-regular"), "{target}: {codes:?}");
}
