use llmos_artifacts::{ArtifactKind, kind_for_fence, kind_for_path, parse_fence_artifact};
use std::path::Path;

fn code(language: &str) -> ArtifactKind {
    ArtifactKind::Code { language: language.to_string() }
}

#[test]
fn kinds_from_file_names() {
    let cases = [
        ("artifacts/bell.circuit.json", ArtifactKind::QuantumCircuit),
        ("artifacts/BELL.Circuit.JSON", ArtifactKind::QuantumCircuit),
        ("loss.csv", ArtifactKind::Plot),
        ("loss.plot.json", ArtifactKind::Plot),
        ("room.scene.json", ArtifactKind::Scene3d),
        ("a.png", ArtifactKind::Image),
        ("a.JPG", ArtifactKind::Image),
        ("a.jpeg", ArtifactKind::Image),
        ("a.gif", ArtifactKind::Image),
        ("a.webp", ArtifactKind::Image),
        ("a.svg", ArtifactKind::Image),
        ("skills/vqe/SKILL.md", ArtifactKind::Skill),
        ("elsewhere/SKILL.md", ArtifactKind::Skill),
        ("skills/vqe/reference.md", ArtifactKind::Skill),
        ("notes/readme.md", ArtifactKind::Markdown),
        ("skills/vqe/helper.py", code("python")),
        ("vqe.py", code("python")),
        ("main.rs", code("rust")),
        ("app.ts", code("typescript")),
        ("app.js", code("javascript")),
        ("data.json", code("json")),
        ("run.sh", code("sh")),
        ("Cargo.toml", code("toml")),
        ("ci.yml", code("yaml")),
        ("main.go", code("go")),
        ("a.c", code("c")),
        ("a.cpp", code("cpp")),
        ("A.java", code("java")),
        ("a.rb", code("ruby")),
        ("index.html", code("html")),
        ("site.css", code("css")),
        ("q.sql", code("sql")),
        ("Dockerfile", code("dockerfile")),
        ("blob.bin", ArtifactKind::Other),
        ("no_extension", ArtifactKind::Other),
        ("", ArtifactKind::Other),
    ];
    for (path, expected) in cases {
        assert_eq!(kind_for_path(Path::new(path)), expected, "{path}");
    }
}

#[test]
fn type_names_match_commit_messages() {
    let names: Vec<&str> = [
        code("python"),
        ArtifactKind::QuantumCircuit,
        ArtifactKind::Plot,
        ArtifactKind::Scene3d,
        ArtifactKind::Image,
        ArtifactKind::Skill,
        ArtifactKind::Markdown,
    ]
    .iter()
    .map(ArtifactKind::as_str)
    .collect();
    assert_eq!(names, ["code", "quantum-circuit", "plot", "3d-scene", "image", "skill", "markdown"]);
    for name in names {
        let parsed = ArtifactKind::from_type_name(name, Some("python")).unwrap();
        assert_eq!(parsed.as_str(), name);
    }
    assert_eq!(ArtifactKind::from_type_name("spreadsheet", None), None);
}

#[test]
fn fence_info_strings() {
    let artifact = parse_fence_artifact("python artifact=vqe.py type=code").unwrap();
    assert_eq!(artifact.name, "vqe.py");
    assert_eq!(artifact.language.as_deref(), Some("python"));
    assert_eq!(artifact.declared_type.as_deref(), Some("code"));
    assert_eq!(artifact.kind, code("python"));

    assert_eq!(kind_for_fence("python artifact=vqe_h2_circuit.py"), Some(code("python")));
    assert_eq!(kind_for_fence("py artifact=solver"), Some(code("python")));
    assert_eq!(kind_for_fence("json artifact=bell.circuit.json"), Some(ArtifactKind::QuantumCircuit));
    assert_eq!(kind_for_fence("json artifact=bell_state_circuit type=quantum-circuit"), Some(ArtifactKind::QuantumCircuit));
    // type= wins over the file name.
    assert_eq!(kind_for_fence("artifact=data.json type=plot"), Some(ArtifactKind::Plot));
    // an unknown type falls back to the name, then the language
    let unknown = parse_fence_artifact("rust artifact=thing type=widget").unwrap();
    assert_eq!(unknown.kind, code("rust"));
    assert_eq!(unknown.declared_type.as_deref(), Some("widget"));
    assert_eq!(kind_for_fence("artifact=thing"), Some(ArtifactKind::Other));
}

#[test]
fn fence_values_may_be_quoted() {
    let artifact = parse_fence_artifact(r#"csv artifact="loss curve.csv" type='plot'"#).unwrap();
    assert_eq!(artifact.name, "loss curve.csv");
    assert_eq!(artifact.kind, ArtifactKind::Plot);

    let escaped = parse_fence_artifact(r#"text artifact="say \"hi\".txt""#).unwrap();
    assert_eq!(escaped.name, r#"say "hi".txt"#);

    let unclosed = parse_fence_artifact(r#"python artifact="never closed.py"#).unwrap();
    assert_eq!(unclosed.name, "never closed.py");
}

#[test]
fn fences_without_artifacts() {
    assert_eq!(parse_fence_artifact(""), None);
    assert_eq!(parse_fence_artifact("python"), None);
    assert_eq!(parse_fence_artifact("trace"), None);
    assert_eq!(parse_fence_artifact("python artifact="), None);
    assert_eq!(parse_fence_artifact(r#"python artifact="  ""#), None);
    // the language is only the first word
    let artifact = parse_fence_artifact("artifact=x.py python").unwrap();
    assert_eq!(artifact.language, None);
}
