//! `application/x-www-form-urlencoded`, which GitHub's OAuth endpoints speak natively.
//! Small enough to write here rather than enable reqwest's `form` feature for the
//! whole workspace.

/// Encodes pairs as `a=b&c=d`, percent-encoding everything but RFC 3986 unreserved bytes.
pub(crate) fn encode(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (i, (key, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        push_encoded(&mut out, key);
        out.push('=');
        push_encoded(&mut out, value);
    }
    out
}

fn push_encoded(out: &mut String, s: &str) {
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

/// Decodes `a=b&c=d`; `+` is a space; malformed escapes are kept literally.
#[cfg_attr(not(feature = "testing"), allow(dead_code))]
pub(crate) fn decode(body: &str) -> Vec<(String, String)> {
    body.split('&')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            (decode_component(k), decode_component(v))
        })
        .collect()
}

fn decode_component(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok()) {
                Some(b) => {
                    out.push(b);
                    i += 3;
                    continue;
                }
                None => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_reserved_characters() {
        let body = encode(&[("grant_type", "urn:ietf:params:oauth:grant-type:device_code"), ("x y", "a&b=c%")]);
        assert_eq!(body, "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&x%20y=a%26b%3Dc%25");
        assert_eq!(
            decode(&body),
            [("grant_type".to_string(), "urn:ietf:params:oauth:grant-type:device_code".to_string()), ("x y".to_string(), "a&b=c%".to_string())]
        );
    }

    #[test]
    fn decodes_plus_and_tolerates_broken_escapes() {
        assert_eq!(decode("a=b+c&d=%zz&e=%4"), [("a".into(), "b c".into()), ("d".into(), "%zz".into()), ("e".into(), "%4".into())]);
        assert_eq!(decode("flag"), [("flag".to_string(), String::new())]);
    }
}
