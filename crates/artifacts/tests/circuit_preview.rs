//! Circuit diagrams, checked as the text a user sees.

use llmos_artifacts::{PreviewOptions, parse_fence_artifact, preview_inline};

fn circuit(json: &str) -> String {
    let artifact = parse_fence_artifact("json artifact=c.circuit.json").unwrap();
    preview_inline(&artifact, json, &PreviewOptions::default()).markdown
}

#[test]
fn bell_state() {
    let json = r#"{
        "numQubits": 2,
        "gates": [
            {"type": "H", "target": 0, "time": 0},
            {"type": "CNOT", "control": 0, "target": 1, "time": 1}
        ],
        "measurements": [0, 1]
    }"#;
    assert_eq!(
        circuit(json),
        "**c.circuit.json** · quantum circuit

2 qubits · 2 gates · 2 steps · 2 qubits measured

```text
q0: ─H──●──M─
        │
q1: ────⊕──M─
```"
    );
}

#[test]
fn gates_are_drawn_in_time_order_and_share_columns() {
    // Listed out of order; the two gates at time 0 share a column.
    let json = r#"{
        "numQubits": 3,
        "gates": [
            {"type": "RY", "target": 2, "parameter": 0.5, "time": 1},
            {"type": "H", "target": 0, "time": 0},
            {"type": "X", "target": 1, "time": 0},
            {"type": "CZ", "control": 0, "target": 2, "time": 2}
        ],
        "measurements": []
    }"#;
    assert_eq!(
        circuit(json),
        "**c.circuit.json** · quantum circuit

3 qubits · 4 gates · 3 steps

```text
q0: ─H───────────●─
                 │
q1: ─X───────────┼─
                 │
q2: ────RY(0.5)──Z─
```"
    );
}

#[test]
fn overlapping_gates_at_the_same_time_get_their_own_columns() {
    let json = r#"{"numQubits": 3, "gates": [
        {"type": "CNOT", "control": 0, "target": 2, "time": 0},
        {"type": "H", "target": 1, "time": 0},
        {"type": "SWAP", "target": [0, 1], "time": 1},
        {"type": "measure", "target": 2, "time": 2}
    ]}"#;
    assert_eq!(
        circuit(json),
        "**c.circuit.json** · quantum circuit

3 qubits · 4 gates · 4 steps

```text
q0: ─●─────×────
     │     │
q1: ─┼──H──×────
     │
q2: ─⊕────────M─
```"
    );
}

#[test]
fn time_may_be_missing_and_controls_may_be_written_as_targets() {
    let json = r#"{"numQubits": 3, "gates": [
        {"type": "h", "target": 0},
        {"type": "ccx", "target": [0, 1, 2]},
        {"type": "crz", "control": 2, "target": 0, "parameter": "pi/2"}
    ]}"#;
    assert_eq!(
        circuit(json),
        "**c.circuit.json** · quantum circuit

3 qubits · 3 gates · 3 steps

```text
q0: ─H──●──RZ(pi/2)─
        │     │
q1: ────●─────┼─────
        │     │
q2: ────⊕─────●─────
```"
    );
}

#[test]
fn bad_circuits_get_short_messages() {
    let cases = [
        (
            r#"{"numQubits": 2, "gates": [{"type": "H", "target": 0}, {"type": "CNOT", "control": 0, "target": 5}]}"#,
            "gate 2 (CNOT) acts on qubit 5, but the circuit has 2 qubits (q0–q1)",
        ),
        (r#"{"numQubits": 1, "gates": [{"type": "X", "target": 1}]}"#, "gate 1 (X) acts on qubit 1, but the circuit has 1 qubit (q0)"),
        (r#"{"numQubits": 2, "gates": [], "measurements": [7]}"#, "a measurement is on qubit 7, but the circuit has 2 qubits (q0–q1)"),
        (r#"{"gates": []}"#, "missing `numQubits`"),
        (r#"{"numQubits": 2}"#, "missing `gates`"),
        (r#"{"numQubits": -1, "gates": []}"#, "`numQubits` must be a whole number"),
        (r#"{"numQubits": 0, "gates": []}"#, "the circuit has no qubits (`numQubits` is 0)"),
        (r#"{"numQubits": 2, "gates": [{"target": 0}]}"#, "gate 1: missing `type`"),
        (r#"{"numQubits": 2, "gates": [{"type": "H"}]}"#, "gate 1 (H): missing `target`"),
        (r#"{"numQubits": 2, "gates": [{"type": "CNOT", "target": 1}]}"#, "gate 1 (CNOT): missing `control`"),
        (r#"{"numQubits": 2, "gates": [{"type": "CNOT", "control": 1, "target": 1}]}"#, "gate 1 (CNOT): qubit 1 is both control and target"),
        (r#"{"numQubits": 2, "gates": [{"type": "H", "target": "zero"}]}"#, "gate 1 (H): `target` must be a qubit number"),
        (r#"{"numQubits": 2, "gates": [{"type": "H", "target": 0, "time": -1}]}"#, "gate 1 (H): `time` must be a number ≥ 0"),
        (r#"{"numQubits": 2, "gates": [3]}"#, "gate 1 is not an object"),
        (r#"[1, 2]"#, "expected a JSON object with `numQubits` and `gates`"),
    ];
    for (json, expected) in cases {
        let markdown = circuit(json);
        let message = markdown.split("\n\n⚠ ").nth(1).unwrap_or(&markdown);
        // messages are Markdown-escaped; compare the text a user reads
        assert_eq!(message.replace('\\', ""), expected, "{json}");
    }
}

#[test]
fn malformed_json_says_where() {
    let markdown = circuit(r#"{"numQubits": 2, "gates": [}"#);
    assert!(markdown.contains("⚠ malformed JSON: expected value at line 1 column 28"), "{markdown}");
}

#[test]
fn many_qubits_are_capped_at_32_wires() {
    let json = r#"{"numQubits": 1000000000, "gates": [{"type": "H", "target": 999999999}, {"type": "CNOT", "control": 0, "target": 40}]}"#;
    let markdown = circuit(json);
    let wires = markdown.lines().filter(|l| l.starts_with('q')).count();
    assert_eq!(wires, 32, "{markdown}");
    assert!(markdown.contains("q31: ────┼─\n```"), "{markdown}");
    assert!(markdown.ends_with("… 999999968 more qubits not shown"), "{markdown}");
}

#[test]
fn long_circuits_are_cut_at_80_columns() {
    let gates: Vec<String> = (0..100).map(|t| format!(r#"{{"type": "RX", "target": 0, "parameter": 0.25, "time": {t}}}"#)).collect();
    let json = format!(r#"{{"numQubits": 1, "gates": [{}]}}"#, gates.join(","));
    assert_eq!(
        circuit(&json),
        "**c.circuit.json** · quantum circuit

1 qubit · 100 gates · 100 steps

```text
q0: ─RX(0.25)──RX(0.25)──RX(0.25)──RX(0.25)──RX(0.25)──RX(0.25)──RX(0.25)─…
```

… 93 more steps not shown"
    );
}

#[test]
fn circuit_files_are_previewed_through_the_same_renderer() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bell.circuit.json");
    std::fs::write(
        &path,
        r#"{"numQubits": 2, "gates": [{"type": "H", "target": 0, "time": 0}, {"type": "CNOT", "control": 0, "target": 1, "time": 1}], "measurements": [{"qubit": 0}, {"qubit": 1}]}"#,
    )
    .unwrap();
    let markdown = llmos_artifacts::preview_file(&path, &PreviewOptions::default()).markdown;
    assert!(markdown.starts_with("**bell.circuit.json** · quantum circuit\n\n"), "{markdown}");
    assert!(markdown.contains("q0: ─H──●──M─\n        │\nq1: ────⊕──M─\n"), "{markdown}");
}
