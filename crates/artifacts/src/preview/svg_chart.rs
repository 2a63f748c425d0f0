//! A small line chart as an inline SVG `data:` URI, for clients that render Markdown
//! images in hovers. Base64 is done here to keep the crate free of dependencies.

use super::markdown_format::format_number;

const WIDTH: f64 = 360.0;
const HEIGHT: f64 = 140.0;
const PAD_LEFT: f64 = 44.0;
const PAD_RIGHT: f64 = 8.0;
const PAD_TOP: f64 = 8.0;
const PAD_BOTTOM: f64 = 20.0;
/// More points than pixels only makes the URI longer.
const MAX_POINTS: usize = 240;

/// A Markdown image of the points as a line chart; `None` with fewer than two points.
pub(crate) fn chart_markdown_image(alt: &str, points: &[(f64, f64)]) -> Option<String> {
    let svg = line_chart_svg(points)?;
    Some(format!("![{alt}](data:image/svg+xml;base64,{})", base64_encode(svg.as_bytes())))
}

pub(crate) fn line_chart_svg(points: &[(f64, f64)]) -> Option<String> {
    if points.len() < 2 {
        return None;
    }
    let points = downsample_points(points, MAX_POINTS);
    let (x_min, x_max) = bounds(points.iter().map(|p| p.0));
    let (y_min, y_max) = bounds(points.iter().map(|p| p.1));
    let plot_width = WIDTH - PAD_LEFT - PAD_RIGHT;
    let plot_height = HEIGHT - PAD_TOP - PAD_BOTTOM;
    let scale = |value: f64, min: f64, max: f64| {
        if max > min { (value - min) / (max - min) } else { 0.5 }
    };
    let mut polyline = String::with_capacity(points.len() * 14);
    for (x, y) in &points {
        let px = PAD_LEFT + scale(*x, x_min, x_max) * plot_width;
        let py = PAD_TOP + (1.0 - scale(*y, y_min, y_max)) * plot_height;
        polyline.push_str(&format!("{px:.1},{py:.1} "));
    }
    let axis_bottom = HEIGHT - PAD_BOTTOM;
    let label = |text: String| crate::xml::escape(&text);
    Some(format!(
        concat!(
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}">"##,
            r##"<rect width="{w}" height="{h}" fill="#ffffff"/>"##,
            r##"<path d="M{l} {t}V{b}H{r}" fill="none" stroke="#999999" stroke-width="1"/>"##,
            r##"<polyline fill="none" stroke="#2563eb" stroke-width="1.5" points="{points}"/>"##,
            r##"<g font-family="sans-serif" font-size="10" fill="#555555">"##,
            r##"<text x="{lt}" y="{ty}" text-anchor="end">{y_max}</text>"##,
            r##"<text x="{lt}" y="{b}" text-anchor="end">{y_min}</text>"##,
            r##"<text x="{l}" y="{xy}">{x_min}</text>"##,
            r##"<text x="{r}" y="{xy}" text-anchor="end">{x_max}</text>"##,
            r##"</g></svg>"##
        ),
        w = WIDTH,
        h = HEIGHT,
        l = PAD_LEFT,
        r = WIDTH - PAD_RIGHT,
        t = PAD_TOP,
        b = axis_bottom,
        lt = PAD_LEFT - 4.0,
        ty = PAD_TOP + 8.0,
        xy = HEIGHT - 6.0,
        points = polyline.trim_end(),
        y_max = label(format_number(y_max)),
        y_min = label(format_number(y_min)),
        x_min = label(format_number(x_min)),
        x_max = label(format_number(x_max)),
    ))
}

fn bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)))
}

/// Averages consecutive points into at most `max_points` buckets.
fn downsample_points(points: &[(f64, f64)], max_points: usize) -> Vec<(f64, f64)> {
    if points.len() <= max_points {
        return points.to_vec();
    }
    (0..max_points)
        .map(|bucket| {
            let start = bucket * points.len() / max_points;
            let end = ((bucket + 1) * points.len() / max_points).max(start + 1);
            let slice = points.get(start..end).unwrap_or_default();
            let n = slice.len() as f64;
            let (sx, sy) = slice.iter().fold((0.0, 0.0), |(sx, sy), p| (sx + p.0, sy + p.1));
            (sx / n, sy / n)
        })
        .collect()
}

/// Standard base64 (RFC 4648) with padding.
pub(crate) fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let byte = |i: usize| chunk.get(i).copied().map_or(0, u32::from);
        let triple = (byte(0) << 16) | (byte(1) << 8) | byte(2);
        // Six bits index the 64-letter alphabet, so `get` always finds one.
        let letter = |shift: u32| ALPHABET.get(((triple >> shift) & 63) as usize).map_or('=', |&b| char::from(b));
        out.push(letter(18));
        out.push(letter(12));
        out.push(if chunk.len() > 1 { letter(6) } else { '=' });
        out.push(if chunk.len() > 2 { letter(0) } else { '=' });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::base64_encode;

    proptest::proptest! {
        /// Against RFC 4648 done the long way: the bytes as a string of bits, cut into
        /// sixes, padded to whole quads.
        #[test]
        fn base64_matches_a_bit_string_encoder(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..40)) {
            let alphabet: Vec<char> = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".chars().collect();
            let mut bits: String = bytes.iter().map(|b| format!("{b:08b}")).collect();
            while !bits.len().is_multiple_of(6) {
                bits.push('0');
            }
            let mut expected: String = bits.as_bytes().chunks(6).map(|six| alphabet[usize::from_str_radix(std::str::from_utf8(six).unwrap(), 2).unwrap()]).collect();
            while !expected.len().is_multiple_of(4) {
                expected.push('=');
            }
            proptest::prop_assert_eq!(base64_encode(&bytes), expected);
        }
    }

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        let cases = [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy")];
        for (input, expected) in cases {
            assert_eq!(base64_encode(input.as_bytes()), expected, "{input:?}");
        }
        assert_eq!(base64_encode(&[0xff, 0xfe, 0x00]), "//4A");
    }
}
