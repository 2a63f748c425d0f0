//! Quantum circuit previews: `*.circuit.json` (`numQubits`, `gates[{type, target,
//! control?, parameter?, time}]`, `measurements`) drawn as a monospace diagram, one wire
//! per qubit, gates in time order, controls joined to their targets.
//!
//! Lenient about spelling (`targets`/`qubit`, `controls`, `params`/`angle`, a missing
//! `time` means "after the previous gate", a controlled gate written as
//! `target: [control, target]`), strict about meaning: a gate on a qubit that does not
//! exist is an error, not a guess.

use super::markdown_format::{clip_line, fenced, format_number, plural};
use serde_json::{Map, Value};

/// Wires beyond this are summarised; a hover cannot show a 1000-qubit register.
const MAX_WIRES: usize = 32;
/// Diagram width in characters before the remaining steps become "…".
const MAX_LINE_CHARS: usize = 80;
const MAX_LABEL_CHARS: usize = 10;

pub(crate) fn preview_circuit(text: &str) -> Result<String, String> {
    let value: Value = serde_json::from_str(text).map_err(|err| format!("malformed JSON: {err}"))?;
    let circuit = Circuit::from_json(&value)?;
    Ok(circuit.render())
}

#[derive(Debug)]
struct Circuit {
    num_qubits: usize,
    gates: Vec<Gate>,
    measured: Vec<usize>,
}

#[derive(Debug)]
struct Gate {
    targets: Vec<usize>,
    controls: Vec<usize>,
    target_label: String,
    time: f64,
}

impl Gate {
    fn span(&self) -> (usize, usize) {
        let qubits = self.targets.iter().chain(&self.controls);
        let low = qubits.clone().copied().min().unwrap_or(0);
        let high = qubits.copied().max().unwrap_or(0);
        (low, high)
    }
}

impl Circuit {
    fn from_json(value: &Value) -> Result<Circuit, String> {
        let object = value.as_object().ok_or("expected a JSON object with `numQubits` and `gates`")?;
        let num_qubits = field(object, &["numQubits", "num_qubits", "qubits", "nQubits"]).ok_or("missing `numQubits`")?;
        let num_qubits = num_qubits.as_u64().ok_or("`numQubits` must be a whole number")?;
        if num_qubits == 0 {
            return Err("the circuit has no qubits (`numQubits` is 0)".to_string());
        }
        let num_qubits = usize::try_from(num_qubits).map_err(|_| "`numQubits` is too large")?;

        let gates = field(object, &["gates", "operations"]).ok_or("missing `gates`")?.as_array().ok_or("`gates` must be a list")?;
        let mut parsed = Vec::with_capacity(gates.len());
        let mut previous_time = -1.0f64;
        for (index, gate) in gates.iter().enumerate() {
            let gate = parse_gate(gate, index + 1, num_qubits, previous_time)?;
            previous_time = gate.time;
            parsed.push(gate);
        }

        let mut measured = Vec::new();
        if let Some(measurements) = field(object, &["measurements", "measure"]) {
            for entry in measurements.as_array().map(Vec::as_slice).unwrap_or_default() {
                let qubit = match entry {
                    Value::Object(m) => field(m, &["qubit", "target"]).and_then(Value::as_u64),
                    other => other.as_u64(),
                }
                .ok_or("each measurement must be a qubit number or `{qubit}`")?;
                let qubit = check_qubit(qubit, num_qubits).map_err(|limit| format!("a measurement is on qubit {qubit}, but {limit}"))?;
                if !measured.contains(&qubit) {
                    measured.push(qubit);
                }
            }
        }
        Ok(Circuit { num_qubits, gates: parsed, measured })
    }

    fn render(&self) -> String {
        let columns = self.columns();
        let visible = self.num_qubits.min(MAX_WIRES);
        let prefix_width = format!("q{}: ", visible - 1).chars().count();

        let mut shown = 0;
        let mut line_width = prefix_width;
        for column in &columns {
            let width = column.width() + 2;
            if shown > 0 && line_width + width > MAX_LINE_CHARS - 1 {
                break;
            }
            line_width += width;
            shown += 1;
        }
        let cut = shown < columns.len();

        let mut lines = Vec::with_capacity(visible * 2);
        for row in 0..visible {
            let mut wire = format!("{:<prefix_width$}", format!("q{row}: "));
            for column in columns.iter().take(shown) {
                wire.push_str(&column.wire_cell(row));
            }
            if cut {
                wire.push('…');
            }
            lines.push(wire);
            if row + 1 < visible {
                let mut spacer = " ".repeat(prefix_width);
                for column in columns.iter().take(shown) {
                    spacer.push_str(&column.spacer_cell(row));
                }
                lines.push(spacer.trim_end().to_string());
            }
        }
        let mut diagram = lines.join("\n");
        diagram.push('\n');

        let gate_steps = columns.iter().filter(|c| !c.is_measurement).count();
        let mut summary = vec![plural(self.num_qubits, "qubit"), plural(self.gates.len(), "gate"), plural(gate_steps, "step")];
        if !self.measured.is_empty() {
            summary.push(format!("{} measured", plural(self.measured.len(), "qubit")));
        }
        let mut out = format!("{}\n\n{}", summary.join(" · "), fenced("text", &diagram));
        if visible < self.num_qubits {
            out.push_str(&more_not_shown(self.num_qubits - visible, "qubit"));
        }
        if cut {
            out.push_str(&more_not_shown(columns.len() - shown, "step"));
        }
        out
    }

    /// Gates in time order, packed into columns: gates at the same time share a column
    /// unless their vertical spans would cross.
    fn columns(&self) -> Vec<Column<'_>> {
        let mut order: Vec<&Gate> = self.gates.iter().collect();
        order.sort_by(|a, b| a.time.total_cmp(&b.time));

        let mut columns: Vec<Column<'_>> = Vec::new();
        let mut group_start = 0;
        let mut group_time = None;
        for gate in order {
            if group_time != Some(gate.time) {
                group_time = Some(gate.time);
                group_start = columns.len();
            }
            let (low, high) = gate.span();
            let free = columns.iter_mut().skip(group_start).find(|column| {
                column.gates.iter().all(|g| {
                    let (l, h) = g.span();
                    high < l || h < low
                })
            });
            match free {
                Some(column) => column.gates.push(gate),
                None => columns.push(Column { gates: vec![gate], measured: &[], is_measurement: false }),
            }
        }
        if !self.measured.is_empty() {
            columns.push(Column { gates: Vec::new(), measured: &self.measured, is_measurement: true });
        }
        columns
    }
}

struct Column<'a> {
    gates: Vec<&'a Gate>,
    measured: &'a [usize],
    is_measurement: bool,
}

impl Column<'_> {
    fn width(&self) -> usize {
        self.gates.iter().map(|g| g.target_label.chars().count()).max().unwrap_or(1).max(1)
    }

    fn wire_cell(&self, row: usize) -> String {
        let symbol = if self.measured.contains(&row) {
            "M"
        } else if let Some(gate) = self.gates.iter().find(|g| g.targets.contains(&row)) {
            gate.target_label.as_str()
        } else if self.gates.iter().any(|g| g.controls.contains(&row)) {
            "●"
        } else if self.gates.iter().any(|g| {
            let (low, high) = g.span();
            low < row && row < high
        }) {
            "┼"
        } else {
            "─"
        };
        centred(symbol, self.width(), '─')
    }

    fn spacer_cell(&self, row: usize) -> String {
        let joined = self.gates.iter().any(|g| {
            let (low, high) = g.span();
            low <= row && row < high
        });
        centred(if joined { "│" } else { " " }, self.width(), ' ')
    }
}

fn more_not_shown(count: usize, noun: &str) -> String {
    let noun = if count == 1 { noun.to_string() } else { format!("{noun}s") };
    format!("\n\n… {count} more {noun} not shown")
}

/// `symbol` centred in `width` with `fill`, plus one `fill` either side.
fn centred(symbol: &str, width: usize, fill: char) -> String {
    let len = symbol.chars().count();
    let left = (width - len.min(width)) / 2;
    let right = width - len.min(width) - left;
    let mut cell = String::with_capacity((width + 2) * 3);
    cell.push(fill);
    cell.extend(std::iter::repeat_n(fill, left));
    cell.push_str(symbol);
    cell.extend(std::iter::repeat_n(fill, right));
    cell.push(fill);
    cell
}

fn parse_gate(value: &Value, number: usize, num_qubits: usize, previous_time: f64) -> Result<Gate, String> {
    let object = value.as_object().ok_or_else(|| format!("gate {number} is not an object"))?;
    let gate_type = field(object, &["type", "gate", "name"])
        .ok_or_else(|| format!("gate {number}: missing `type`"))?
        .as_str()
        .ok_or_else(|| format!("gate {number}: `type` must be a string"))?
        .trim();
    if gate_type.is_empty() {
        return Err(format!("gate {number}: `type` is empty"));
    }
    let name = gate_type.to_ascii_uppercase();
    let context = format!("gate {number} ({})", clip_line(gate_type, MAX_LABEL_CHARS));

    let mut targets = match field(object, &["target", "targets", "qubit", "qubits"]) {
        Some(value) => qubit_list(value, num_qubits, &context, "target")?,
        None => return Err(format!("{context}: missing `target`")),
    };
    if targets.is_empty() {
        return Err(format!("{context}: `target` is empty"));
    }
    let mut controls = match field(object, &["control", "controls"]) {
        Some(Value::Null) | None => Vec::new(),
        Some(value) => qubit_list(value, num_qubits, &context, "control")?,
    };
    let needs_control = CONTROLLED_GATES.contains(&name.as_str());
    if needs_control && controls.is_empty() {
        if (targets.len() >= 2 && name != "CSWAP") || targets.len() >= 3 {
            let keep = if name == "CSWAP" { 2 } else { 1 };
            controls = targets.drain(..targets.len() - keep).collect();
        } else {
            return Err(format!("{context}: missing `control`"));
        }
    }
    if let Some(shared) = controls.iter().find(|q| targets.contains(q)) {
        return Err(format!("{context}: qubit {shared} is both control and target"));
    }

    let time = match field(object, &["time", "step", "moment"]) {
        None | Some(Value::Null) => previous_time + 1.0,
        Some(value) => value.as_f64().filter(|t| t.is_finite() && *t >= 0.0).ok_or_else(|| format!("{context}: `time` must be a number ≥ 0"))?,
    };
    let parameter = field(object, &["parameter", "parameters", "params", "angle", "theta"]).and_then(format_parameter);

    let base = base_label(gate_type, &name, !controls.is_empty());
    let target_label = match parameter {
        Some(parameter) => clip_line(&format!("{base}({parameter})"), MAX_LABEL_CHARS + 6),
        None => base,
    };
    Ok(Gate { targets, controls, target_label, time })
}

const CONTROLLED_GATES: &[&str] =
    &["CNOT", "CX", "CY", "CZ", "CH", "CRX", "CRY", "CRZ", "CP", "CPHASE", "CU", "CU1", "CU3", "CCX", "CCNOT", "TOFFOLI", "CCZ", "CSWAP", "FREDKIN"];

fn base_label(written: &str, name: &str, controlled: bool) -> String {
    match name {
        "MEASURE" | "MEASUREMENT" | "M" => return "M".to_string(),
        "SWAP" | "CSWAP" | "FREDKIN" => return "×".to_string(),
        "BARRIER" => return "░".to_string(),
        "CNOT" | "CX" | "CCX" | "CCNOT" | "TOFFOLI" | "MCX" => return "⊕".to_string(),
        "X" if controlled => return "⊕".to_string(),
        _ => {}
    }
    if CONTROLLED_GATES.contains(&name) {
        return name.trim_start_matches('C').to_string();
    }
    if name.len() <= 4 { name.to_string() } else { clip_line(written, MAX_LABEL_CHARS) }
}

fn format_parameter(value: &Value) -> Option<String> {
    match value {
        Value::Number(number) => number.as_f64().map(format_number),
        Value::String(text) if !text.trim().is_empty() => Some(clip_line(text.trim(), 8)),
        Value::Array(items) if !items.is_empty() => {
            let parts: Vec<String> = items.iter().filter_map(format_parameter).collect();
            (!parts.is_empty()).then(|| parts.join(","))
        }
        _ => None,
    }
}

fn qubit_list(value: &Value, num_qubits: usize, context: &str, key: &str) -> Result<Vec<usize>, String> {
    let items = match value {
        Value::Array(items) => items.as_slice(),
        single => std::slice::from_ref(single),
    };
    let mut qubits = Vec::with_capacity(items.len());
    for item in items {
        let qubit = item.as_u64().ok_or_else(|| format!("{context}: `{key}` must be a qubit number"))?;
        let qubit = check_qubit(qubit, num_qubits).map_err(|limit| format!("{context} acts on qubit {qubit}, but {limit}"))?;
        if !qubits.contains(&qubit) {
            qubits.push(qubit);
        }
    }
    Ok(qubits)
}

/// The qubit as an index, or the sentence that explains the limit.
fn check_qubit(qubit: u64, num_qubits: usize) -> Result<usize, String> {
    match usize::try_from(qubit) {
        Ok(index) if index < num_qubits => Ok(index),
        _ if num_qubits == 1 => Err("the circuit has 1 qubit (q0)".to_string()),
        _ => Err(format!("the circuit has {num_qubits} qubits (q0–q{})", num_qubits - 1)),
    }
}

fn field<'a>(object: &'a Map<String, Value>, names: &[&str]) -> Option<&'a Value> {
    names.iter().find_map(|name| object.get(*name))
}
