//! Image previews: the pixel size read from the file's header (PNG, JPEG, GIF, WebP,
//! SVG), never the whole image.

use super::markdown_format::{clip_line, escape_inline};
use std::io::{self, Read, Seek, SeekFrom};

/// JPEG metadata (EXIF, ICC profiles) sits before the frame header; this many segments
/// is far more than real files have and bounds the work on a crafted one.
const MAX_JPEG_SEGMENTS: usize = 512;
/// Enough for the `<svg …>` start tag after an XML prolog, comments and a DOCTYPE.
pub(crate) const SVG_HEAD_BYTES: u64 = 16 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ImageSize {
    Pixels {
        format: &'static str,
        width: u64,
        height: u64,
    },
    /// SVG sizes are whatever its attributes say (`100%`, `12em`, a viewBox).
    Svg(String),
}

impl ImageSize {
    pub fn describe(&self) -> String {
        match self {
            ImageSize::Pixels { format, width, height } => format!("{format} · {width} × {height} px"),
            ImageSize::Svg(size) => format!("SVG · {size}"),
        }
    }
}

/// Reads the size of a raster image from its header, seeking past JPEG segments rather
/// than reading them. `None` when the format is not recognised or the header is cut short.
pub(crate) fn raster_size<R: Read + Seek>(reader: &mut R) -> io::Result<Option<ImageSize>> {
    let mut head = [0u8; 30];
    let read = read_up_to(reader, &mut head)?;
    let head = &head[..read];

    if head.starts_with(b"\x89PNG\r\n\x1a\n") && head.len() >= 24 && &head[12..16] == b"IHDR" {
        return Ok(Some(ImageSize::Pixels {
            format: "PNG",
            width: u32::from_be_bytes([head[16], head[17], head[18], head[19]]).into(),
            height: u32::from_be_bytes([head[20], head[21], head[22], head[23]]).into(),
        }));
    }
    if (head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a")) && head.len() >= 10 {
        return Ok(Some(ImageSize::Pixels {
            format: "GIF",
            width: u16::from_le_bytes([head[6], head[7]]).into(),
            height: u16::from_le_bytes([head[8], head[9]]).into(),
        }));
    }
    if head.starts_with(b"RIFF") && head.len() >= 30 && &head[8..12] == b"WEBP" {
        return Ok(webp_size(head));
    }
    if head.starts_with(&[0xFF, 0xD8]) {
        reader.seek(SeekFrom::Start(2))?;
        return jpeg_size(reader);
    }
    Ok(None)
}

fn webp_size(head: &[u8]) -> Option<ImageSize> {
    let (width, height) = match &head[12..16] {
        // Lossy: a key frame starts with a 3-byte tag and the start code 9d 01 2a.
        b"VP8 " if head[23..26] == [0x9d, 0x01, 0x2a] => {
            (u64::from(u16::from_le_bytes([head[26], head[27]]) & 0x3fff), u64::from(u16::from_le_bytes([head[28], head[29]]) & 0x3fff))
        }
        // Lossless: signature 0x2f, then 14 bits each of width-1 and height-1.
        b"VP8L" if head[20] == 0x2f => {
            let bits = u32::from_le_bytes([head[21], head[22], head[23], head[24]]);
            (u64::from(bits & 0x3fff) + 1, u64::from((bits >> 14) & 0x3fff) + 1)
        }
        // Extended: 24-bit canvas width-1 and height-1 after 4 bytes of flags.
        b"VP8X" => (u64::from(u32::from_le_bytes([head[24], head[25], head[26], 0])) + 1, u64::from(u32::from_le_bytes([head[27], head[28], head[29], 0])) + 1),
        _ => return None,
    };
    Some(ImageSize::Pixels { format: "WebP", width, height })
}

/// Walks JPEG segments until a start-of-frame marker, which holds the size.
fn jpeg_size<R: Read + Seek>(reader: &mut R) -> io::Result<Option<ImageSize>> {
    for _ in 0..MAX_JPEG_SEGMENTS {
        let mut byte = [0u8; 1];
        if read_up_to(reader, &mut byte)? == 0 || byte[0] != 0xFF {
            return Ok(None);
        }
        let mut marker = 0xFF;
        // Markers may be preceded by any number of 0xFF fill bytes.
        while marker == 0xFF {
            if read_up_to(reader, &mut byte)? == 0 {
                return Ok(None);
            }
            marker = byte[0];
        }
        match marker {
            0xD8 | 0x01 | 0xD0..=0xD7 => continue,
            0xD9 | 0xDA => return Ok(None),
            _ => {}
        }
        let mut length = [0u8; 2];
        if read_up_to(reader, &mut length)? < 2 {
            return Ok(None);
        }
        let length = u16::from_be_bytes(length);
        if length < 2 {
            return Ok(None);
        }
        let is_frame_header = matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
        if is_frame_header {
            let mut frame = [0u8; 5];
            if read_up_to(reader, &mut frame)? < 5 {
                return Ok(None);
            }
            return Ok(Some(ImageSize::Pixels {
                format: "JPEG",
                height: u16::from_be_bytes([frame[1], frame[2]]).into(),
                width: u16::from_be_bytes([frame[3], frame[4]]).into(),
            }));
        }
        reader.seek(SeekFrom::Current(i64::from(length) - 2))?;
    }
    Ok(None)
}

/// The size an SVG declares in its root element: `width`/`height`, else the viewBox.
pub(crate) fn svg_size(text: &str) -> Option<ImageSize> {
    let start = find_svg_tag(text)?;
    let tag_end = text[start..].find('>').map_or(text.len(), |end| start + end);
    let tag = &text[start..tag_end];
    let width = attribute(tag, "width");
    let height = attribute(tag, "height");
    let view_box = attribute(tag, "viewBox");
    let size = match (width, height, view_box) {
        (Some(w), Some(h), _) => format!("{} × {}", show_length(w), show_length(h)),
        (_, _, Some(view_box)) => {
            let parts: Vec<&str> = view_box.split(|c: char| c.is_whitespace() || c == ',').filter(|p| !p.is_empty()).collect();
            match parts.as_slice() {
                [_, _, w, h] => format!("{} × {} (viewBox)", escape_inline(w), escape_inline(h)),
                _ => return Some(ImageSize::Svg("no size given".to_string())),
            }
        }
        (Some(w), None, None) => format!("width {}", show_length(w)),
        (None, Some(h), None) => format!("height {}", show_length(h)),
        (None, None, None) => "no size given".to_string(),
    };
    Some(ImageSize::Svg(size))
}

fn find_svg_tag(text: &str) -> Option<usize> {
    let mut offset = 0;
    while let Some(found) = text[offset..].find("<svg") {
        let start = offset + found;
        let next = text[start + 4..].chars().next();
        if next.is_none_or(|c| c.is_whitespace() || c == '>' || c == '/') {
            return Some(start);
        }
        offset = start + 4;
    }
    None
}

/// A plain pixel number gets "px"; anything else (`100%`, `12em`) is shown as written.
fn show_length(value: &str) -> String {
    let value = value.trim();
    let number = value.strip_suffix("px").unwrap_or(value);
    if number.parse::<f64>().is_ok() { format!("{number} px") } else { escape_inline(&clip_line(value, 16)) }
}

fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let mut offset = 0;
    while let Some(found) = tag[offset..].find(name) {
        let start = offset + found;
        offset = start + name.len();
        let preceded_by_space = tag[..start].chars().next_back().is_some_and(char::is_whitespace);
        let rest = tag[offset..].trim_start();
        if !preceded_by_space || !rest.starts_with('=') {
            continue;
        }
        let rest = rest[1..].trim_start();
        let quote = rest.chars().next()?;
        if quote != '"' && quote != '\'' {
            continue;
        }
        let value = &rest[1..];
        return value.find(quote).map(|end| &value[..end]);
    }
    None
}

fn read_up_to<R: Read>(reader: &mut R, buffer: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match reader.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(read) => filled += read,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn jpeg_size_skips_segments_and_fill_bytes() {
        let mut jpeg = vec![0xFF, 0xD8];
        jpeg.extend([0xFF, 0xE1, 0x00, 0x06, 1, 2, 3, 4]); // APP1 with 4 bytes of payload
        jpeg.extend([0xFF, 0xFF, 0xC2, 0x00, 0x11, 8, 0x01, 0xE0, 0x02, 0x80]); // SOF2 480×640
        let size = raster_size(&mut Cursor::new(jpeg)).unwrap();
        assert_eq!(size, Some(ImageSize::Pixels { format: "JPEG", width: 640, height: 480 }));
    }

    #[test]
    fn jpeg_without_frame_header_has_no_size() {
        let jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0, 0, 0xFF, 0xD9];
        assert_eq!(raster_size(&mut Cursor::new(jpeg)).unwrap(), None);
        let truncated = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x40];
        assert_eq!(raster_size(&mut Cursor::new(truncated)).unwrap(), None);
        let bad_length = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x01];
        assert_eq!(raster_size(&mut Cursor::new(bad_length)).unwrap(), None);
    }

    #[test]
    fn svg_attributes_are_found_in_the_root_tag_only() {
        let svg = r#"<?xml version="1.0"?><!-- <svgfoo width="1"> --><svg xmlns="x" stroke-width="9" width="120" height="80px"><rect width="5"/></svg>"#;
        assert_eq!(svg_size(svg), Some(ImageSize::Svg("120 px × 80 px".into())));
        let view_box = r#"<svg viewBox="0 0 24 24"></svg>"#;
        assert_eq!(svg_size(view_box), Some(ImageSize::Svg("24 × 24 (viewBox)".into())));
        assert_eq!(svg_size("<html></html>"), None);
    }
}
