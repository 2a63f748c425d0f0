//! Plot data previews: `*.csv` and `*.plot.json` summarised as columns, row count,
//! min/max of each numeric column, and a chart (an inline SVG where the client renders
//! images, a Unicode sparkline otherwise).
//!
//! `*.plot.json` is read leniently; any of these shapes is accepted:
//! - Plotly-like `{"data": [{"x": […], "y": […], "name": "…"}, …]}` (also `"series"`),
//! - columns `{"x": […], "y": […]}` (every array of scalars is a column),
//! - rows `[{"epoch": 1, "loss": 0.9}, …]` (also under `"data"`), keeping key order,
//! - a bare list of numbers `[1, 2, 3]` (one column `y`).

use super::markdown_format::{escape_inline, format_number};
use super::svg_chart::chart_markdown_image;
use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;

const SPARKLINE_POINTS: usize = 40;
const MAX_TABLE_COLUMNS: usize = 20;
const SPARK_LEVELS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
/// Column names that usually hold the x axis rather than the measured value.
const X_LIKE_NAMES: &[&str] = &[
    "x",
    "t",
    "time",
    "timestamp",
    "date",
    "day",
    "week",
    "month",
    "year",
    "hour",
    "minute",
    "step",
    "steps",
    "epoch",
    "iteration",
    "iter",
    "index",
    "i",
    "n",
    "round",
];

/// A table of columns aligned by row; `None` is an empty or non-numeric cell.
#[derive(Debug, Default)]
pub(crate) struct PlotTable {
    columns: Vec<PlotColumn>,
    rows: usize,
    ragged_rows: usize,
}

#[derive(Debug)]
struct PlotColumn {
    name: String,
    values: Vec<Option<f64>>,
    text_cells: usize,
}

impl PlotColumn {
    fn new(name: String) -> PlotColumn {
        PlotColumn { name, values: Vec::new(), text_cells: 0 }
    }

    fn push_cell(&mut self, cell: &str) {
        let cell = cell.trim();
        match cell.parse::<f64>() {
            Ok(number) if number.is_finite() => self.values.push(Some(number)),
            _ => {
                if !cell.is_empty() {
                    self.text_cells += 1;
                }
                self.values.push(None);
            }
        }
    }

    fn push_json(&mut self, value: Option<&Value>) {
        match value {
            Some(Value::Number(n)) => self.values.push(n.as_f64().filter(|v| v.is_finite())),
            Some(Value::String(text)) => self.push_cell(text),
            Some(Value::Null) | None => self.values.push(None),
            Some(_) => {
                self.text_cells += 1;
                self.values.push(None);
            }
        }
    }

    fn is_numeric(&self) -> bool {
        self.text_cells == 0 && self.values.iter().any(Option::is_some)
    }

    fn min_max(&self) -> Option<(f64, f64)> {
        let mut numbers = self.values.iter().flatten();
        let first = *numbers.next()?;
        Some(numbers.fold((first, first), |(lo, hi), &v| (lo.min(v), hi.max(v))))
    }
}

/// Summarises CSV text. `truncated` says the text is only the head of a bigger file: the
/// last (probably partial) line is dropped and the row count is marked as a lower bound.
pub(crate) fn preview_csv(text: &str, truncated: bool, images: bool) -> Result<String, String> {
    let table = parse_csv(text, truncated)?;
    Ok(render_table(&table, truncated, images))
}

pub(crate) fn preview_plot_json(text: &str, images: bool) -> Result<String, String> {
    let table = parse_plot_json(text)?;
    Ok(render_table(&table, false, images))
}

fn parse_csv(text: &str, truncated: bool) -> Result<PlotTable, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let text = if truncated { text.rfind('\n').map_or("", |end| text.get(..end).unwrap_or_default()) } else { text };
    if text.trim().is_empty() {
        return Err("empty file".to_string());
    }
    let delimiter = detect_delimiter(text.lines().next().unwrap_or_default());
    let mut reader = csv::ReaderBuilder::new().delimiter(delimiter).has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut table = PlotTable::default();
    let mut header_seen = false;
    let mut last_record_line = 1;
    for record in reader.records() {
        let record = record.map_err(|e| format!("malformed CSV: {e}"))?;
        last_record_line = record.position().map_or(last_record_line, csv::Position::line);
        let cells: Vec<&str> = record.iter().map(|cell| cell.strip_suffix('\r').unwrap_or(cell)).collect();
        if !header_seen {
            header_seen = true;
            let header_is_data = cells.iter().all(|cell| cell.trim().parse::<f64>().is_ok());
            for (index, name) in cells.iter().enumerate() {
                let name = if header_is_data || name.trim().is_empty() { format!("column {}", index + 1) } else { name.trim().to_string() };
                table.columns.push(PlotColumn::new(name));
            }
            if header_is_data {
                push_csv_row(&mut table, &cells);
            }
            continue;
        }
        if cells.len() == 1 && cells.first().is_some_and(|cell| cell.trim().is_empty()) {
            continue;
        }
        push_csv_row(&mut table, &cells);
    }
    if !header_seen {
        return Err("empty file".to_string());
    }
    // The csv crate reads an unterminated quoted field to the end of the text; quotes
    // come in pairs in well-formed CSV (`""` escapes included), so an odd count means
    // the last record's quote never closed.
    if quote_count(text) % 2 == 1 {
        return Err(format!("malformed CSV: a quoted field on line {last_record_line} never closes"));
    }
    Ok(table)
}

fn quote_count(text: &str) -> usize {
    memchr::memchr_iter(b'"', text.as_bytes()).count()
}

fn push_csv_row(table: &mut PlotTable, record: &[&str]) {
    if record.len() != table.columns.len() {
        table.ragged_rows += 1;
    }
    for (index, column) in table.columns.iter_mut().enumerate() {
        column.push_cell(record.get(index).copied().unwrap_or(""));
    }
    table.rows += 1;
}

fn detect_delimiter(first_line: &str) -> u8 {
    [b',', b';', b'\t'].into_iter().max_by_key(|d| first_line.bytes().filter(|b| b == d).count()).filter(|d| first_line.as_bytes().contains(d)).unwrap_or(b',')
}

/// A JSON object whose keys keep their written order (serde_json's `Map` sorts them).
struct OrderedObject(Vec<(String, Value)>);

impl<'de> Deserialize<'de> for OrderedObject {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor;
        impl<'de> Visitor<'de> for ObjectVisitor {
            type Value = OrderedObject;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<OrderedObject, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry::<String, Value>()? {
                    entries.push(entry);
                }
                Ok(OrderedObject(entries))
            }
        }
        deserializer.deserialize_map(ObjectVisitor)
    }
}

enum RowsAt {
    TopLevel,
    UnderData,
}

#[derive(Deserialize)]
struct RowsUnderData {
    #[serde(alias = "series")]
    data: Vec<OrderedObject>,
}

fn parse_plot_json(text: &str) -> Result<PlotTable, String> {
    let value: Value = serde_json::from_str(text).map_err(|err| format!("malformed JSON: {err}"))?;
    let table = match &value {
        Value::Array(items) if items.iter().all(Value::is_object) && !items.is_empty() => table_from_rows(text, RowsAt::TopLevel)?,
        Value::Array(items) => table_from_number_list(items),
        Value::Object(object) => {
            let data = object.get("data").or_else(|| object.get("series"));
            match data {
                Some(Value::Array(traces)) if traces.iter().any(is_trace) => table_from_traces(traces),
                Some(Value::Array(rows)) if !rows.is_empty() && rows.iter().all(Value::is_object) => table_from_rows(text, RowsAt::UnderData)?,
                _ => table_from_columns(object),
            }
        }
        _ => PlotTable::default(),
    };
    if table.columns.is_empty() {
        return Err("no plot data found (expected `{data: [{x, y}]}`, `{x: [], y: []}` or a list of rows)".to_string());
    }
    Ok(table)
}

fn is_trace(value: &Value) -> bool {
    value.get("y").is_some_and(Value::is_array) || value.get("x").is_some_and(Value::is_array)
}

fn table_from_traces(traces: &[Value]) -> PlotTable {
    let mut table = PlotTable::default();
    let traces: Vec<&Value> = traces.iter().filter(|t| is_trace(t)).collect();
    for (index, trace) in traces.iter().enumerate() {
        let name = trace
            .get("name")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| if traces.len() == 1 { String::new() } else { format!("trace {}", index + 1) });
        for axis in ["x", "y"] {
            let Some(Value::Array(values)) = trace.get(axis) else {
                continue;
            };
            let column_name = if name.is_empty() { axis.to_string() } else { format!("{name} {axis}") };
            let mut column = PlotColumn::new(column_name);
            for value in values {
                column.push_json(Some(value));
            }
            table.rows = table.rows.max(values.len());
            table.columns.push(column);
        }
    }
    table
}

fn table_from_columns(object: &Map<String, Value>) -> PlotTable {
    let mut table = PlotTable::default();
    let mut names: Vec<&String> = object.keys().collect();
    // serde_json sorts keys; put the conventional axes first so `x` is the x axis.
    names.sort_by_key(|name| match name.as_str() {
        "x" => 0,
        "y" => 1,
        _ => 2,
    });
    for name in names {
        let Some(Value::Array(values)) = object.get(name) else {
            continue;
        };
        if values.iter().any(|v| v.is_array() || v.is_object()) {
            continue;
        }
        let mut column = PlotColumn::new(name.clone());
        for value in values {
            column.push_json(Some(value));
        }
        table.rows = table.rows.max(values.len());
        table.columns.push(column);
    }
    table
}

fn table_from_number_list(items: &[Value]) -> PlotTable {
    let mut table = PlotTable::default();
    if items.is_empty() || !items.iter().all(|v| v.is_number() || v.is_null()) {
        return table;
    }
    let mut column = PlotColumn::new("y".to_string());
    for item in items {
        column.push_json(Some(item));
    }
    table.rows = items.len();
    table.columns.push(column);
    table
}

/// Rows are parsed a second time with ordered objects so that columns keep the order in
/// which the file writes them.
fn table_from_rows(text: &str, rows_at: RowsAt) -> Result<PlotTable, String> {
    let rows: Vec<OrderedObject> = match rows_at {
        RowsAt::TopLevel => serde_json::from_str(text).map_err(|err| format!("malformed JSON: {err}"))?,
        RowsAt::UnderData => {
            let wrapper: RowsUnderData = serde_json::from_str(text).map_err(|err| format!("malformed JSON: {err}"))?;
            wrapper.data
        }
    };
    let mut names: Vec<String> = Vec::new();
    for row in &rows {
        for (name, _) in &row.0 {
            if !names.contains(name) {
                names.push(name.clone());
            }
        }
    }
    let mut table = PlotTable::default();
    for name in &names {
        let mut column = PlotColumn::new(name.clone());
        for row in &rows {
            let cell = row.0.iter().find(|(key, _)| key == name).map(|(_, v)| v);
            if cell.is_some_and(|v| v.is_array() || v.is_object()) {
                column.text_cells += 1;
                column.values.push(None);
            } else {
                column.push_json(cell);
            }
        }
        table.columns.push(column);
    }
    table.rows = rows.len();
    Ok(table)
}

fn render_table(table: &PlotTable, truncated: bool, images: bool) -> String {
    let rows = if truncated {
        format!("at least {} rows (only the start of the file was read)", table.rows)
    } else if table.rows == 1 {
        "1 row".to_string()
    } else {
        format!("{} rows", table.rows)
    };
    let columns = if table.columns.len() == 1 { "1 column".to_string() } else { format!("{} columns", table.columns.len()) };
    let mut out = format!("{columns} · {rows}\n\n| column | min | max |\n|---|---:|---:|\n");
    for column in table.columns.iter().take(MAX_TABLE_COLUMNS) {
        let name = escape_inline(&column.name);
        match column.min_max() {
            Some((min, max)) if column.is_numeric() => out.push_str(&format!("| {name} | {} | {} |\n", format_number(min), format_number(max))),
            _ if column.text_cells > 0 => out.push_str(&format!("| {name} | *text* | |\n")),
            _ => out.push_str(&format!("| {name} | *empty* | |\n")),
        }
    }
    if table.columns.len() > MAX_TABLE_COLUMNS {
        out.push_str(&format!("\n… {} more columns\n", table.columns.len() - MAX_TABLE_COLUMNS));
    }
    if table.ragged_rows > 0 {
        out.push_str(&format!("\n{} rows do not have one cell per column\n", table.ragged_rows));
    }
    if let Some(chart) = chart_for(table, images) {
        out.push('\n');
        out.push_str(&chart);
    }
    out.trim_end().to_string()
}

fn chart_for(table: &PlotTable, images: bool) -> Option<String> {
    let numeric: Vec<&PlotColumn> = table.columns.iter().filter(|c| c.is_numeric()).collect();
    let is_x_like = |c: &PlotColumn| X_LIKE_NAMES.contains(&c.name.to_ascii_lowercase().as_str()) || c.name.ends_with(" x");
    let y_column = numeric
        .iter()
        .find(|c| c.name.eq_ignore_ascii_case("y") || c.name.ends_with(" y"))
        .or_else(|| numeric.iter().find(|c| !is_x_like(c)))
        .or_else(|| numeric.first())?;
    let x_column = numeric.iter().find(|c| !std::ptr::eq(**c, *y_column) && is_x_like(c));

    let points: Vec<(f64, f64)> = y_column
        .values
        .iter()
        .enumerate()
        .filter_map(|(row, y)| {
            let x = match x_column {
                Some(column) => column.values.get(row).copied().flatten()?,
                None => row as f64,
            };
            Some((x, (*y)?))
        })
        .collect();
    if points.is_empty() {
        return None;
    }
    let label = match x_column {
        Some(x) => format!("{} by {}", y_column.name, x.name),
        None => y_column.name.clone(),
    };
    let values: Vec<f64> = points.iter().map(|p| p.1).collect();
    let text = format!("{}: `{}`", escape_inline(&label), sparkline(&values));
    // The sparkline stays under the image: a client that shows only alt text (a
    // terminal editor's hover) still has the curve.
    if images && let Some(image) = chart_markdown_image(&format!("line chart of {}", escape_inline(&label)), &points) {
        return Some(format!("{image}\n\n{text}"));
    }
    Some(text)
}

/// A Unicode sparkline of at most 40 characters, each the mean of its share of values.
pub(crate) fn sparkline(values: &[f64]) -> String {
    if values.is_empty() {
        return String::new();
    }
    let buckets = values.len().min(SPARKLINE_POINTS);
    let means: Vec<f64> = (0..buckets)
        .map(|bucket| {
            let start = bucket * values.len() / buckets;
            let end = ((bucket + 1) * values.len() / buckets).max(start + 1);
            let slice = values.get(start..end).unwrap_or_default();
            slice.iter().sum::<f64>() / slice.len() as f64
        })
        .collect();
    let min = means.iter().copied().fold(f64::INFINITY, f64::min);
    let max = means.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    means
        .iter()
        .map(|&v| {
            if max > min {
                let level = ((v - min) / (max - min) * 7.0).round() as usize;
                SPARK_LEVELS.get(level).or(SPARK_LEVELS.last()).copied().unwrap_or(' ')
            } else {
                SPARK_LEVELS[3]
            }
        })
        .collect()
}
