//! Image previews: the pixel size read from the file's header, never the whole image.
//! Raster formats go through the `imagesize` crate; SVG, which it does not read, is
//! handled here from the root element's attributes.

use super::markdown_format::{clip_line, escape_inline};
use std::io::{self, BufRead, Seek};

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

/// Reads the size of a raster image from its header (seeking past JPEG segments rather
/// than reading them). `None` when the format is not recognised or the header is corrupt
/// or cut short; `Err` only when the file cannot be read.
pub(crate) fn raster_size<R: BufRead + Seek>(reader: &mut R) -> io::Result<Option<ImageSize>> {
    let unknown = |err: imagesize::ImageError| match err {
        imagesize::ImageError::IoError(e) if e.kind() != io::ErrorKind::UnexpectedEof => Err(e),
        _ => Ok(None),
    };
    let kind = match imagesize::reader_type(&mut *reader) {
        Ok(kind) => kind,
        Err(err) => return unknown(err),
    };
    reader.rewind()?;
    let size = match imagesize::reader_size(&mut *reader) {
        Ok(size) => size,
        Err(err) => return unknown(err),
    };
    let format = match kind {
        imagesize::ImageType::Png => "PNG",
        imagesize::ImageType::Jpeg => "JPEG",
        imagesize::ImageType::Gif => "GIF",
        imagesize::ImageType::Webp => "WebP",
        imagesize::ImageType::Bmp => "BMP",
        imagesize::ImageType::Tiff => "TIFF",
        imagesize::ImageType::Ico => "ICO",
        imagesize::ImageType::Heif(_) => "HEIF",
        imagesize::ImageType::Jxl => "JPEG XL",
        imagesize::ImageType::Qoi => "QOI",
        _ => "image",
    };
    Ok(Some(ImageSize::Pixels { format, width: size.width as u64, height: size.height as u64 }))
}

/// The size an SVG declares in its root element: `width`/`height`, else the viewBox.
pub(crate) fn svg_size(text: &str) -> Option<ImageSize> {
    let start = find_svg_tag(text)?;
    // The root element up to its first `>` (or the end of a cut-off file).
    let tag = text.get(start..).map_or("", |rest| rest.split('>').next().unwrap_or(rest));
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
    text.match_indices("<svg").map(|(start, _)| start).find(|&start| {
        let next = text.get(start + 4..).and_then(|rest| rest.chars().next());
        next.is_none_or(|c| c.is_whitespace() || c == '>' || c == '/')
    })
}

/// A plain pixel number gets "px"; anything else (`100%`, `12em`) is shown as written.
fn show_length(value: &str) -> String {
    let value = value.trim();
    let number = value.strip_suffix("px").unwrap_or(value);
    if number.parse::<f64>().is_ok() { format!("{number} px") } else { escape_inline(&clip_line(value, 16)) }
}

fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    for (start, _) in tag.match_indices(name) {
        let preceded_by_space = tag.get(..start).and_then(|before| before.chars().next_back()).is_some_and(char::is_whitespace);
        let after = tag.get(start + name.len()..).unwrap_or_default().trim_start();
        let Some(rest) = after.strip_prefix('=').filter(|_| preceded_by_space) else { continue };
        let rest = rest.trim_start();
        let quote = rest.chars().next()?;
        let Some(value) = rest.strip_prefix(['"', '\'']) else { continue };
        return value.find(quote).and_then(|end| value.get(..end));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    proptest::proptest! {
        /// An attribute written into a tag among multi-byte noise is found with its
        /// value, whatever the quote; names glued to other text are not attributes.
        #[test]
        fn attributes_are_found_among_multibyte_text(
            before in "[a-z é😀=\"']{0,12}",
            value in "[a-z0-9 é😀%.]{0,8}",
            double in proptest::bool::ANY,
            after in "[a-z é😀=\"'>]{0,12}",
        ) {
            let quote = if double { '"' } else { '\'' };
            let tag = format!("<svg {before} width={quote}{value}{quote} {after}");
            if !before.contains("width") {
                proptest::prop_assert_eq!(attribute(&tag, "width"), Some(value.as_str()));
            }
            // Glued to the text before it, `width` is part of another name.
            let glued = format!("<svg {}xwidth=\"{value}\"", before.replace('w', ""));
            proptest::prop_assert_eq!(attribute(&glued, "width"), None);
        }
    }

    #[test]
    fn jpeg_size_skips_segments() {
        let mut jpeg = vec![0xFF, 0xD8];
        jpeg.extend([0xFF, 0xE1, 0x00, 0x06, 1, 2, 3, 4]); // APP1 with 4 bytes of payload
        jpeg.extend([0xFF, 0xC2, 0x00, 0x11, 8, 0x01, 0xE0, 0x02, 0x80]); // SOF2 480×640
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
