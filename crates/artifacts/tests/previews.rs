//! File previews as a hover shows them, and the short messages for bad files.

use llmos_artifacts::{
    ArtifactKind, PreviewOptions, SkillCard, parse_fence_artifact, preview_file, preview_file_as, preview_inline, preview_link, render_skill_card,
};
use std::fs;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

fn options() -> PreviewOptions {
    PreviewOptions::default()
}

fn write(dir: &TempDir, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.path().join(name);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).unwrap();
    }
    fs::write(&path, content).unwrap();
    path
}

fn preview(dir: &TempDir, name: &str, content: impl AsRef<[u8]>) -> String {
    preview_file(&write(dir, name, content), &options()).markdown
}

#[test]
fn code_shows_the_first_40_lines_and_the_line_count() {
    let dir = tempfile::tempdir().unwrap();
    let source: String = (1..=100).map(|n| format!("x_{n} = {n}\n")).collect();
    let markdown = preview(&dir, "vqe.py", &source);
    let expected_lines: String = (1..=40).map(|n| format!("x_{n} = {n}\n")).collect();
    assert_eq!(markdown, format!("**vqe.py** · code (python)\n\n100 lines, first 40 shown\n\n```python\n{expected_lines}```"));
}

#[test]
fn short_code_and_fences_inside_code() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(preview(&dir, "main.rs", "fn main() {}"), "**main.rs** · code (rust)\n\n1 line\n\n```rust\nfn main() {}\n```");
    // a Markdown file's backticks cannot close the preview's fence
    assert_eq!(preview(&dir, "doc.sh", "echo '```'\necho done\n"), "**doc.sh** · code (sh)\n\n2 lines\n\n````sh\necho '```'\necho done\n````");
}

#[test]
fn code_bigger_than_the_head_streams_its_line_count() {
    let dir = tempfile::tempdir().unwrap();
    let line = "0123456789".repeat(9) + "\n"; // 91 bytes
    let source = line.repeat(5000); // ~455 KB, more than the 64 KiB head
    let markdown = preview(&dir, "big.js", &source);
    assert!(markdown.starts_with("**big.js** · code (javascript)\n\n5000 lines, first 40 shown\n"), "{markdown}");
}

#[test]
fn a_one_gigabyte_file_is_never_read_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.py");
    let file = fs::File::create(&path).unwrap();
    file.set_len(1 << 30).unwrap(); // sparse: reads as NUL bytes
    drop(file);
    let markdown = preview_file(&path, &options()).markdown;
    assert_eq!(markdown, "**huge.py** · code (python)\n\n⚠ binary content (1.0 GB), no text preview");

    // the same size with text at the start: the head is shown, the count is skipped
    let text_path = dir.path().join("huge.txt");
    fs::write(&text_path, "first line\nsecond line\n").unwrap();
    fs::OpenOptions::new().write(true).open(&text_path).unwrap().set_len(1 << 30).unwrap();
    let markdown = preview_file(&text_path, &options()).markdown;
    assert!(markdown.starts_with("**huge.txt** · code (text)\n\n⚠ binary content"), "{markdown}");

    for name in ["huge.circuit.json", "huge.scene.json", "huge.plot.json"] {
        let path = dir.path().join(name);
        fs::File::create(&path).unwrap().set_len(1 << 30).unwrap();
        let markdown = preview_file(&path, &options()).markdown;
        assert!(markdown.ends_with("⚠ too large to preview (1.0 GB, the limit is 256.0 KB)"), "{markdown}");
    }
    let csv = dir.path().join("huge.csv");
    fs::File::create(&csv).unwrap().set_len(1 << 30).unwrap();
    let markdown = preview_file(&csv, &options()).markdown;
    assert_eq!(markdown, "**huge.csv** · plot data\n\n⚠ binary content (1.0 GB), no text preview");
}

#[test]
fn a_large_text_file_says_large_file_instead_of_counting() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "log.txt", "line\n".repeat(3_000_000)); // 15 MB > 10 MB cap
    let markdown = preview_file(&path, &options()).markdown;
    assert!(markdown.starts_with("**log.txt** · code (text)\n\nlarge file (14.3 MB), first 40 lines shown\n\n```text\nline\n"), "{markdown}");
}

#[test]
fn binary_content_in_text_files() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(preview(&dir, "x.py", b"import os\0\x01\x02"), "**x.py** · code (python)\n\n⚠ binary content (12 bytes), no text preview");
    assert_eq!(preview(&dir, "latin1.md", b"caf\xe9 au lait\n"), "**latin1.md** · Markdown\n\n⚠ binary content (13 bytes), no text preview");
    assert_eq!(
        preview(&dir, "bad.circuit.json", b"{\"numQubits\": \xff}"),
        "**bad.circuit.json** · quantum circuit\n\n⚠ binary content (16 bytes), no text preview"
    );
    assert_eq!(preview(&dir, "blob.bin", [0u8, 159, 146, 150]), "**blob.bin** · file\n\nbinary file, 4 bytes");
}

#[test]
fn a_utf8_character_cut_by_the_head_limit_is_not_binary() {
    let dir = tempfile::tempdir().unwrap();
    // 'é' is two bytes; put one across the 64 KiB boundary
    let mut text = "a".repeat(64 * 1024 - 1);
    text.push_str("é\nmore\n");
    let markdown = preview(&dir, "accent.txt", &text);
    assert!(markdown.contains("2 lines"), "{}", &markdown[..80]);
}

#[test]
fn empty_missing_and_directories() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(preview(&dir, "empty.py", ""), "**empty.py** · code (python)\n\n⚠ empty file");
    assert_eq!(preview_file(&dir.path().join("gone.csv"), &options()).markdown, "**gone.csv** · plot data\n\n⚠ file not found");
    fs::create_dir(dir.path().join("folder.md")).unwrap();
    assert_eq!(preview_file(&dir.path().join("folder.md"), &options()).markdown, "**folder.md** · Markdown\n\n⚠ is a directory");
}

#[cfg(unix)]
#[test]
fn a_fifo_is_not_opened() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe.py");
    let status = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !status.is_ok_and(|s| s.success()) {
        return; // no mkfifo on this machine
    }
    assert_eq!(preview_file(&fifo, &options()).markdown, "**pipe.py** · code (python)\n\n⚠ not a regular file");
}

#[test]
fn csv_columns_rows_min_max_and_sparkline() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("epoch,loss,label\n");
    for epoch in 1..=8 {
        csv.push_str(&format!("{epoch},{},run-a\n", 9 - epoch));
    }
    assert_eq!(
        preview(&dir, "loss.csv", &csv),
        "**loss.csv** · plot data

3 columns · 8 rows

| column | min | max |
|---|---:|---:|
| epoch | 1 | 8 |
| loss | 1 | 8 |
| label | *text* | |

loss by epoch: `█▇▆▅▄▃▂▁`"
    );
}

#[test]
fn csv_sparkline_is_downsampled_to_40_points() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("y\n");
    for i in 0..1000 {
        csv.push_str(&format!("{}\n", i as f64 * 0.5));
    }
    let markdown = preview(&dir, "ramp.csv", &csv);
    let sparkline = markdown.rsplit('`').nth(1).unwrap();
    assert_eq!(sparkline.chars().count(), 40, "{markdown}");
    assert!(sparkline.starts_with('▁') && sparkline.ends_with('█'), "{sparkline}");
    assert!(markdown.contains("| y | 0 | 499.5 |"), "{markdown}");
    assert!(markdown.contains("1 column · 1000 rows"), "{markdown}");
}

#[test]
fn csv_quotes_semicolons_headerless_and_ragged_rows() {
    let dir = tempfile::tempdir().unwrap();
    let csv = "name;value\n\"a;b\";1,5\n\"say \"\"hi\"\"\";2\n";
    assert!(preview(&dir, "semi.csv", csv).contains("| name | *text* | |\n| value | *text* | |"));

    let headerless = "1,10\n2,20\n3,15\n";
    let markdown = preview(&dir, "raw.csv", headerless);
    assert!(markdown.contains("2 columns · 3 rows"), "{markdown}");
    assert!(markdown.contains("| column 1 | 1 | 3 |\n| column 2 | 10 | 20 |"), "{markdown}");

    let ragged = "a,b\n1,2\n3\n4,5,6\n";
    let markdown = preview(&dir, "ragged.csv", ragged);
    assert!(markdown.contains("2 rows do not have one cell per column"), "{markdown}");

    let crlf = "x,y\r\n1,2\r\n2,4\r\n";
    let markdown = preview(&dir, "crlf.csv", crlf);
    assert!(markdown.contains("| y | 2 | 4 |"), "{markdown}");
}

#[test]
fn malformed_and_empty_csv() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(preview(&dir, "open.csv", "a,b\n1,\"never closed\n2,3\n"), "**open.csv** · plot data\n\n⚠ malformed CSV: a quoted field on line 2 never closes");
    assert_eq!(preview(&dir, "blank.csv", "\n\n  \n"), "**blank.csv** · plot data\n\n⚠ empty file");
    let header_only = preview(&dir, "header.csv", "a,b\n");
    assert!(header_only.contains("2 columns · 0 rows"), "{header_only}");
    assert!(header_only.contains("| a | *empty* | |"), "{header_only}");
}

#[test]
fn csv_bigger_than_the_limit_is_previewed_from_its_head() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("step,reward\n");
    for step in 0..40_000 {
        csv.push_str(&format!("{step},{}\n", step % 7));
    }
    let markdown = preview(&dir, "rewards.csv", &csv);
    assert!(markdown.contains("2 columns · at least "), "{markdown}");
    assert!(markdown.contains("rows (only the start of the file was read)"), "{markdown}");
    assert!(markdown.contains("| reward | 0 | 6 |"), "{markdown}");
}

#[test]
fn plot_json_shapes() {
    let dir = tempfile::tempdir().unwrap();
    let plotly = r#"{"data": [{"x": [0, 1, 2, 3], "y": [1, 4, 9, 16], "name": "squares", "type": "scatter"}], "layout": {}}"#;
    assert_eq!(
        preview(&dir, "sq.plot.json", plotly),
        "**sq.plot.json** · plot data

2 columns · 4 rows

| column | min | max |
|---|---:|---:|
| squares x | 0 | 3 |
| squares y | 1 | 16 |

squares y by squares x: `▁▂▅█`"
    );

    let columns = r#"{"y": [3, 2, 1], "x": [10, 20, 30]}"#;
    let markdown = preview(&dir, "cols.plot.json", columns);
    assert!(markdown.contains("| x | 10 | 30 |\n| y | 1 | 3 |"), "{markdown}");
    assert!(markdown.ends_with("y by x: `█▅▁`"), "{markdown}");

    // rows keep the order the file writes their keys in
    let rows = r#"[{"step": 1, "energy": -1.1, "note": "start"}, {"step": 2, "energy": -1.13}]"#;
    let markdown = preview(&dir, "rows.plot.json", rows);
    assert!(markdown.contains("| step | 1 | 2 |\n| energy | -1.13 | -1.1 |\n| note | *text* | |"), "{markdown}");
    let under_data = r#"{"data": [{"t": 0, "v": 5}, {"t": 1, "v": 7}]}"#;
    assert!(preview(&dir, "d.plot.json", under_data).contains("| t | 0 | 1 |\n| v | 5 | 7 |"));

    let numbers = "[1, 5, 3]";
    assert!(preview(&dir, "n.plot.json", numbers).ends_with("y: `▁█▅`"));
}

#[test]
fn bad_plot_json() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        preview(&dir, "bad.plot.json", "{\"x\": [1, 2"),
        "**bad.plot.json** · plot data\n\n⚠ malformed JSON: EOF while parsing a list at line 1 column 11"
    );
    let markdown = preview(&dir, "none.plot.json", r#"{"title": "nothing"}"#);
    assert!(markdown.contains("⚠ no plot data found"), "{markdown}");
    let markdown = preview(&dir, "str.plot.json", r#""just a string""#);
    assert!(markdown.contains("⚠ no plot data found"), "{markdown}");
}

#[test]
fn plots_become_svg_images_when_the_client_renders_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "loss.csv", "epoch,loss\n1,0.9\n2,0.5\n3,0.2\n");
    let with_images = PreviewOptions { images: true, ..PreviewOptions::default() };
    let markdown = preview_file(&path, &with_images).markdown;
    let prefix = "![line chart of loss by epoch](data:image/svg+xml;base64,";
    let start = markdown.find(prefix).expect(&markdown) + prefix.len();
    let end = start + markdown[start..].find(')').expect(&markdown);
    let encoded = &markdown[start..end];
    let svg = decode_base64(encoded);
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""), "{svg}");
    assert!(svg.contains("<polyline"), "{svg}");
    assert!(svg.contains(">0.9</text>") && svg.contains(">0.2</text>"), "{svg}");
    // Clients that show only the alt text keep the curve as text under the image.
    let after = &markdown[end + 1..];
    assert!(after.starts_with("\n\nloss by epoch: `") && after.contains('▁') && after.contains('█'), "{markdown}");
}

fn decode_base64(text: &str) -> String {
    const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut count = 0;
    let mut bytes = Vec::new();
    for ch in text.chars().filter(|c| *c != '=') {
        bits = (bits << 6) | ALPHABET.find(ch).unwrap() as u32;
        count += 6;
        if count >= 8 {
            count -= 8;
            bytes.push((bits >> count) as u8);
        }
    }
    String::from_utf8(bytes).unwrap()
}

#[test]
fn scenes_list_objects_camera_and_lights() {
    let dir = tempfile::tempdir().unwrap();
    let scene = r##"{
        "objects": [
            {"type": "box", "name": "table", "position": [0, 0.5, 0]},
            {"type": "sphere", "name": "ball", "position": {"x": 1, "y": 1.25, "z": -2}},
            {"type": "DirectionalLight", "position": [5, 10, 5], "intensity": 0.8}
        ],
        "camera": {"type": "perspective", "position": [0, 2, 8], "lookAt": [0, 0, 0], "fov": 60},
        "lights": [{"type": "ambient", "intensity": 0.3, "color": "#ffffff"}]
    }"##;
    assert_eq!(
        preview(&dir, "room.scene.json", scene),
        "**room.scene.json** · 3D scene

2 objects · 2 lights · camera

**Objects**
- box \"table\", at (0, 0.5, 0)
- sphere \"ball\", at (1, 1.25, -2)

**Camera**: perspective, at (0, 2, 8), looking at (0, 0, 0), fov 60°

**Lights**
- DirectionalLight, at (5, 10, 5), intensity 0.8
- ambient, intensity 0.3, colour \\#ffffff"
    );
}

#[test]
fn scenes_are_capped_and_bad_scenes_get_messages() {
    let dir = tempfile::tempdir().unwrap();
    let objects: Vec<String> = (0..30).map(|i| format!(r#"{{"type": "cube", "name": "c{i}"}}"#)).collect();
    let markdown = preview(&dir, "many.scene.json", format!(r#"{{"objects": [{}]}}"#, objects.join(",")));
    assert!(markdown.contains("- cube \"c11\"\n- … 18 more"), "{markdown}");
    assert!(!markdown.contains("c12"), "{markdown}");

    assert_eq!(
        preview(&dir, "x.scene.json", "[]"),
        "**x.scene.json** · 3D scene\n\n⚠ expected a JSON object with `objects`, `camera` and `lights`".replace('`', "\\`")
    );
    assert_eq!(preview(&dir, "y.scene.json", r#"{"meta": 1}"#), "**y.scene.json** · 3D scene\n\n⚠ no objects, camera or lights found");
    assert!(preview(&dir, "z.scene.json", "{objects: []}").contains("⚠ malformed JSON: key must be a string"));
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    bytes.extend(width.to_be_bytes());
    bytes.extend(height.to_be_bytes());
    bytes.extend([8, 6, 0, 0, 0, 0, 0, 0, 0]);
    bytes
}

#[test]
fn images_report_pixel_size_and_their_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "plot.png", png(640, 480));
    let png_preview = preview_file(&path, &options());
    assert_eq!(png_preview.markdown, "**plot.png** · image\n\nPNG · 640 × 480 px");
    assert_eq!(png_preview.image_path.as_deref(), Some(path.as_path()));
    assert_eq!(
        png_preview.markdown_with_image("file:///v/plot.png"),
        "![plot.png, PNG · 640 × 480 px](<file:///v/plot.png>)\n\n**plot.png** · image\n\nPNG · 640 × 480 px"
    );

    let mut gif = b"GIF89a".to_vec();
    gif.extend(300u16.to_le_bytes());
    gif.extend(200u16.to_le_bytes());
    gif.extend([0; 6]);
    assert_eq!(preview(&dir, "a.gif", gif), "**a.gif** · image\n\nGIF · 300 × 200 px");

    let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
    jpeg.extend([0; 14]);
    jpeg.extend([0xFF, 0xC0, 0x00, 0x11, 0x08, 0x03, 0x20, 0x04, 0x00, 0x03]);
    jpeg.extend([0; 20]);
    assert_eq!(preview(&dir, "a.jpg", jpeg), "**a.jpg** · image\n\nJPEG · 1024 × 800 px");

    let svg = r#"<?xml version="1.0"?>
<svg xmlns="http://www.w3.org/2000/svg" width="64" height="32" viewBox="0 0 64 32"></svg>"#;
    assert_eq!(preview(&dir, "icon.svg", svg), "**icon.svg** · image\n\nSVG · 64 px × 32 px");
}

fn webp(chunk: &[u8; 4], payload: &[u8]) -> Vec<u8> {
    let mut bytes = b"RIFF\0\0\0\0WEBP".to_vec();
    bytes.extend(chunk);
    bytes.extend((payload.len() as u32).to_le_bytes());
    bytes.extend(payload);
    bytes
}

#[test]
fn webp_variants() {
    let dir = tempfile::tempdir().unwrap();
    // lossy: frame tag, start code, 14-bit width and height
    let mut lossy = vec![0x30, 0x01, 0x00, 0x9d, 0x01, 0x2a];
    lossy.extend(400u16.to_le_bytes());
    lossy.extend(300u16.to_le_bytes());
    assert_eq!(preview(&dir, "a.webp", webp(b"VP8 ", &lossy)), "**a.webp** · image\n\nWebP · 400 × 300 px");

    // lossless: 0x2f, then (width-1) | (height-1) << 14
    let bits: u32 = (100 - 1) | ((50 - 1) << 14);
    let mut lossless = vec![0x2f];
    lossless.extend(bits.to_le_bytes());
    lossless.extend([0; 5]);
    assert_eq!(preview(&dir, "b.webp", webp(b"VP8L", &lossless)), "**b.webp** · image\n\nWebP · 100 × 50 px");

    // extended: flags, then 24-bit (width-1) and (height-1)
    let mut extended = vec![0; 4];
    extended.extend(&(4000u32 - 1).to_le_bytes()[..3]);
    extended.extend(&(3000u32 - 1).to_le_bytes()[..3]);
    assert_eq!(preview(&dir, "c.webp", webp(b"VP8X", &extended)), "**c.webp** · image\n\nWebP · 4000 × 3000 px");
}

#[test]
fn unreadable_images_get_messages() {
    let dir = tempfile::tempdir().unwrap();
    let preview_png = preview(&dir, "fake.png", "not an image at all");
    assert_eq!(preview_png, "**fake.png** · image\n\n19 bytes · pixel size unknown (no image header it recognises)");
    assert_eq!(preview(&dir, "cut.png", &png(1, 1)[..20]), "**cut.png** · image\n\n20 bytes · pixel size unknown (no image header it recognises)");
    assert_eq!(preview(&dir, "notsvg.svg", "<html></html>"), "**notsvg.svg** · image\n\n⚠ not an SVG file (no \\`\\<svg\\>\\` element)");
    assert_eq!(preview(&dir, "nul.svg", b"<svg\0>"), "**nul.svg** · image\n\n⚠ not an SVG file (binary content)");
}

#[test]
fn markdown_shows_the_first_section_without_frontmatter() {
    let dir = tempfile::tempdir().unwrap();
    let text = "---\ntitle: Notes\n---\n\n# Results\n\nThe energy converged.\n\n```python\n# not a heading\n```\n\n## Details\n\nhidden\n";
    assert_eq!(preview(&dir, "notes.md", text), "**notes.md** · Markdown\n\n# Results\n\nThe energy converged.\n\n```python\n# not a heading\n```\n\n…");
    let long: String = (0..100).map(|n| format!("line {n}\n")).collect();
    let markdown = preview(&dir, "long.md", &long);
    assert!(markdown.ends_with("line 39\n\n…"), "{markdown}");

    // a fence still open at the cut is closed
    let open_fence = format!("# Code\n```\n{long}");
    let markdown = preview(&dir, "fence.md", &open_fence);
    assert!(markdown.ends_with("line 37\n```\n\n…"), "{markdown}");

    assert_eq!(preview(&dir, "only.md", "---\na: 1\n---\n\n"), "**only.md** · Markdown\n\n⚠ no content after the frontmatter");
    // frontmatter that never closes is shown as text, not swallowed
    assert!(preview(&dir, "unclosed.md", "---\na: 1\nbody\n").contains("a: 1"));
    let one_long_line = "word ".repeat(10_000);
    let markdown = preview(&dir, "wall.md", &one_long_line);
    assert_eq!(markdown.chars().count(), "**wall.md** · Markdown\n\n".chars().count() + 401);
}

#[test]
fn skill_files_show_a_card() {
    let dir = tempfile::tempdir().unwrap();
    let skill = "---\nname: quantum-optimization\ndescription: >\n  Builds VQE circuits\n  and picks an optimizer.\n---\n\n# Quantum optimization\n";
    assert_eq!(preview(&dir, "skills/quantum-optimization/SKILL.md", skill), "**quantum-optimization** · skill\n\nBuilds VQE circuits and picks an optimizer.");
    let quoted = "---\nname: 'a_b'\ndescription: \"Says: \\\"hi\\\"\"\n---\n";
    assert_eq!(preview(&dir, "q/SKILL.md", quoted), "**a\\_b** · skill\n\nSays: \"hi\"");
    // without a name the first section is shown
    assert_eq!(preview(&dir, "skills/x/notes.md", "# Notes\ntext\n"), "**notes.md** · skill\n\n# Notes\ntext");
    assert_eq!(preview(&dir, "skills/y/SKILL.md", "---\nname: y\n"), "**SKILL.md** · skill\n\n---\nname: y");
}

#[test]
fn skill_cards_from_the_index() {
    let card =
        SkillCard { name: "quantum-optimization".into(), description: "Builds *VQE* circuits.".into(), volume: Some("team".into()), used_by_sessions: Some(3) };
    assert_eq!(render_skill_card(&card), "**quantum-optimization** · skill · team volume · used by 3 sessions\n\nBuilds \\*VQE\\* circuits.");
    let bare = SkillCard { name: "x".into(), used_by_sessions: Some(1), ..SkillCard::default() };
    assert_eq!(render_skill_card(&bare), "**x** · skill · used by 1 session\n\n*no description*");
}

#[test]
fn links_are_resolved_before_anything_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let volume = dir.path().join("vol");
    write(&dir, "vol/artifacts/bell.circuit.json", r#"{"numQubits": 1, "gates": [{"type": "H", "target": 0}]}"#);
    write(&dir, "secret.csv", "a\n1\n");
    let session = Path::new("sessions/s.md");

    let inside = preview_link(&volume, session, "../artifacts/bell.circuit.json", &options());
    assert_eq!(inside.kind, ArtifactKind::QuantumCircuit);
    assert!(inside.markdown.contains("q0: ─H─"), "{}", inside.markdown);

    let outside = preview_link(&volume, session, "../../secret.csv", &options());
    assert_eq!(outside.markdown, "**../../secret.csv** · plot data\n\n⚠ link leaves the volume");
    assert_eq!(outside.image_path, None);

    let missing = preview_link(&volume, session, "../artifacts/nope.py#L3", &options());
    assert_eq!(missing.markdown, "**../artifacts/nope.py** · code (python)\n\n⚠ file not found: artifacts/nope.py");

    let url = preview_link(&volume, session, "https://example.com/x.png", &options());
    assert_eq!(url.markdown, "**https://example.com/x.png** · image\n\n⚠ not a file in the volume: https://example.com/x.png");
}

#[cfg(unix)]
#[test]
fn a_symlinked_artifact_pointing_outside_is_not_previewed() {
    let dir = tempfile::tempdir().unwrap();
    let volume = dir.path().join("vol");
    fs::create_dir_all(volume.join("artifacts")).unwrap();
    let secret = write(&dir, "secret.py", "API_KEY = 'do not show'\n");
    std::os::unix::fs::symlink(&secret, volume.join("artifacts/code.py")).unwrap();
    let preview = preview_link(&volume, Path::new("s.md"), "artifacts/code.py", &options());
    assert_eq!(preview.markdown, "**artifacts/code.py** · code (python)\n\n⚠ link leaves the volume");
}

#[test]
fn inline_artifacts_are_previewed_from_their_fence() {
    let artifact = parse_fence_artifact("python artifact=vqe.py").unwrap();
    assert_eq!(
        preview_inline(&artifact, "import numpy\nprint(1)\n", &options()).markdown,
        "**vqe.py** · code (python)\n\n2 lines\n\n```python\nimport numpy\nprint(1)\n```"
    );
    let plot = parse_fence_artifact("csv artifact=loss type=plot").unwrap();
    assert!(preview_inline(&plot, "x,y\n1,2\n2,3\n", &options()).markdown.ends_with("y by x: `▁█`"));
    let json_plot = parse_fence_artifact("json artifact=p type=plot").unwrap();
    assert!(preview_inline(&json_plot, r#"{"y":[1,2]}"#, &options()).markdown.ends_with("y: `▁█`"));

    let empty = preview_inline(&artifact, "  \n", &options());
    assert_eq!(empty.markdown, "**vqe.py** · code (python)\n\n⚠ empty");
    let small = PreviewOptions { images: false, max_bytes: 8 };
    let too_big = preview_inline(&artifact, "print('hello world')", &small);
    assert_eq!(too_big.markdown, "**vqe.py** · code (python)\n\n⚠ too large to preview (20 bytes, the limit is 8 bytes)");
}

#[test]
fn type_overrides_the_file_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "data.json", r#"{"x": [1, 2], "y": [2, 1]}"#);
    let preview = preview_file_as(&path, &ArtifactKind::Plot, &options());
    assert!(preview.markdown.starts_with("**data.json** · plot data\n\n2 columns · 2 rows"), "{}", preview.markdown);
}
