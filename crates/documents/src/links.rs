//! The one Markdown link extractor, for skills and sessions alike: pulldown-cmark finds
//! inline, reference and image links (respecting code spans and fences) in one linear
//! pass, where a hand scanner walking back to each `[` was quadratic on long lines.

use std::ops::Range;

/// A link found in a Markdown region: its destination, where that destination is written,
/// and the whole link's source range (document bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundLink {
    pub target: String,
    pub target_range: Range<usize>,
    pub range: Range<usize>,
}

/// Every link and image in `text[region]`.
pub fn extract(text: &str, region: Range<usize>) -> Vec<FoundLink> {
    use pulldown_cmark::{Event, Parser, Tag};
    let Some(body) = text.get(region.clone()) else { return Vec::new() };
    let mut out = Vec::new();
    for (event, range) in Parser::new(body).into_offset_iter() {
        if let Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) = event {
            let abs = region.start + range.start..region.start + range.end;
            let src = body.get(range.clone()).unwrap_or_default();
            // The destination's own range: its last occurrence inside the link's source
            // (a destination written with escapes or entities has none: the whole link).
            let target_range = src.rfind(dest_url.as_ref()).map_or(abs.clone(), |i| abs.start + i..abs.start + i + dest_url.len());
            out.push(FoundLink { target: dest_url.into_string(), target_range, range: abs });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_images_and_code_spans() {
        let text = "x [a](one.md) `[b](two.md)` ![i](img.png) [r][d]\n\n[d]: <three four.md>\n";
        let links = extract(text, 0..text.len());
        let targets: Vec<&str> = links.iter().map(|l| l.target.as_str()).collect();
        assert_eq!(targets, ["one.md", "img.png", "three four.md"]);
        for l in &links[..2] {
            assert_eq!(&text[l.target_range.clone()], l.target);
        }
        assert_eq!(&text[links[0].range.clone()], "[a](one.md)");
    }
}
