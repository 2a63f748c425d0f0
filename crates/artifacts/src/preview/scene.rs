//! 3D scene previews: `*.scene.json` as a short list of objects, the camera and the
//! lights.
//!
//! Lenient about shape: objects under `objects`, `children`, `meshes` or `entities`;
//! a position as `[x, y, z]` or `{x, y, z}`; lights under `lights` or as objects whose
//! type ends in `light` (three.js style).

use super::markdown_format::{clip_line, escape_inline, format_number, plural};
use serde_json::{Map, Value};

const MAX_LISTED: usize = 12;
const MAX_NAME_CHARS: usize = 40;

pub(crate) fn preview_scene(text: &str) -> Result<String, String> {
    let value: Value = serde_json::from_str(text).map_err(|err| format!("malformed JSON: {err}"))?;
    let scene = value.as_object().ok_or("expected a JSON object with `objects`, `camera` and `lights`")?;
    let scene = match scene.get("scene").and_then(Value::as_object) {
        Some(inner) => inner,
        None => scene,
    };

    let all_objects = first_array(scene, &["objects", "children", "meshes", "entities"]);
    let (mut lights, objects): (Vec<&Value>, Vec<&Value>) = all_objects.iter().partition(|object| is_light(object));
    lights.extend(first_array(scene, &["lights"]));
    let camera = scene.get("camera").and_then(Value::as_object);

    if objects.is_empty() && lights.is_empty() && camera.is_none() {
        return Err("no objects, camera or lights found".to_string());
    }

    let mut out = format!("{} · {}{}\n", plural(objects.len(), "object"), plural(lights.len(), "light"), if camera.is_some() { " · camera" } else { "" });
    if !objects.is_empty() {
        out.push_str("\n**Objects**\n");
        push_list(&mut out, &objects);
    }
    if let Some(camera) = camera {
        out.push_str("\n**Camera**: ");
        out.push_str(&describe_camera(camera));
        out.push('\n');
    }
    if !lights.is_empty() {
        out.push_str("\n**Lights**\n");
        push_list(&mut out, &lights);
    }
    Ok(out.trim_end().to_string())
}

fn push_list(out: &mut String, items: &[&Value]) {
    for item in items.iter().take(MAX_LISTED) {
        out.push_str("- ");
        out.push_str(&describe_item(item));
        out.push('\n');
    }
    if items.len() > MAX_LISTED {
        out.push_str(&format!("- … {} more\n", items.len() - MAX_LISTED));
    }
}

fn describe_item(item: &Value) -> String {
    let Some(object) = item.as_object() else {
        return "*(not an object)*".to_string();
    };
    let kind = text_field(object, &["type", "kind", "geometry", "shape"]);
    let name = text_field(object, &["name", "id", "label"]);
    let mut parts = Vec::new();
    match (kind, name) {
        (Some(kind), Some(name)) => parts.push(format!("{kind} \"{name}\"")),
        (Some(kind), None) => parts.push(kind),
        (None, Some(name)) => parts.push(format!("\"{name}\"")),
        (None, None) => parts.push("object".to_string()),
    }
    if let Some(position) = object.get("position").and_then(format_vector) {
        parts.push(format!("at {position}"));
    }
    if let Some(intensity) = object.get("intensity").and_then(Value::as_f64) {
        parts.push(format!("intensity {}", format_number(intensity)));
    }
    if let Some(color) = object.get("color").and_then(format_color) {
        parts.push(format!("colour {color}"));
    }
    parts.join(", ")
}

fn describe_camera(camera: &Map<String, Value>) -> String {
    let mut parts = vec![text_field(camera, &["type", "kind"]).unwrap_or_else(|| "camera".to_string())];
    if let Some(position) = camera.get("position").and_then(format_vector) {
        parts.push(format!("at {position}"));
    }
    let target = ["target", "lookAt", "look_at"].iter().find_map(|key| camera.get(*key)).and_then(format_vector);
    if let Some(target) = target {
        parts.push(format!("looking at {target}"));
    }
    if let Some(fov) = camera.get("fov").and_then(Value::as_f64) {
        parts.push(format!("fov {}°", format_number(fov)));
    }
    parts.join(", ")
}

fn is_light(value: &Value) -> bool {
    value.get("type").and_then(Value::as_str).is_some_and(|kind| kind.to_ascii_lowercase().ends_with("light"))
}

fn first_array<'a>(object: &'a Map<String, Value>, keys: &[&str]) -> &'a [Value] {
    keys.iter().find_map(|key| object.get(*key).and_then(Value::as_array)).map(Vec::as_slice).unwrap_or_default()
}

fn text_field(object: &Map<String, Value>, keys: &[&str]) -> Option<String> {
    let value = keys.iter().find_map(|key| object.get(*key))?;
    let text = match value {
        Value::String(text) if !text.trim().is_empty() => text.trim().to_string(),
        Value::Number(number) => number.to_string(),
        _ => return None,
    };
    Some(escape_inline(&clip_line(&text, MAX_NAME_CHARS)))
}

fn format_vector(value: &Value) -> Option<String> {
    let numbers: Vec<f64> = match value {
        Value::Array(items) => items.iter().map(Value::as_f64).collect::<Option<_>>()?,
        Value::Object(object) => ["x", "y", "z"].iter().map_while(|axis| object.get(*axis).and_then(Value::as_f64)).collect(),
        _ => return None,
    };
    if numbers.is_empty() || numbers.len() > 4 {
        return None;
    }
    let parts: Vec<String> = numbers.into_iter().map(format_number).collect();
    Some(format!("({})", parts.join(", ")))
}

fn format_color(value: &Value) -> Option<String> {
    match value {
        Value::String(text) if !text.is_empty() => Some(escape_inline(&clip_line(text, 16))),
        Value::Number(number) => number.as_u64().map(|n| format!("#{n:06x}")),
        Value::Array(_) => format_vector(value),
        _ => None,
    }
}
