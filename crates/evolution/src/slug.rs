//! Skill names: the slug rules of docs/design.md §3.1 (lowercase letters, digits and
//! single hyphens, 1–64 chars, no leading or trailing hyphen).

pub const MAX_SKILL_NAME_LEN: usize = 64;

/// Whether `name` is a valid skill name.
pub fn is_valid_skill_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_SKILL_NAME_LEN
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.contains("--")
}

/// Turns free text ("Quantum Circuit  Design!") into a valid skill name
/// (`quantum-circuit-design`), cutting at a word boundary to fit 64 chars.
/// `None` when nothing usable is left (e.g. only punctuation or non-Latin script).
pub fn slugify(text: &str) -> Option<String> {
    let mut words: Vec<String> = Vec::new();
    let mut current = String::new();
    for c in text.chars() {
        let folded = fold_ascii(c);
        match folded {
            Some(ch) if ch.is_ascii_alphanumeric() => current.push(ch.to_ascii_lowercase()),
            _ => {
                if !current.is_empty() {
                    words.push(std::mem::take(&mut current));
                }
            }
        }
    }
    if !current.is_empty() {
        words.push(current);
    }
    let mut slug = String::new();
    for word in words {
        let extra = if slug.is_empty() { word.len() } else { word.len() + 1 };
        if slug.len() + extra > MAX_SKILL_NAME_LEN {
            if slug.is_empty() {
                slug.push_str(&word[..MAX_SKILL_NAME_LEN]);
            }
            break;
        }
        if !slug.is_empty() {
            slug.push('-');
        }
        slug.push_str(&word);
    }
    is_valid_skill_name(&slug).then_some(slug)
}

/// Folds common accented Latin letters to ASCII so "café" gives "cafe".
fn fold_ascii(c: char) -> Option<char> {
    if c.is_ascii() {
        return Some(c);
    }
    let folded = match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => 'a',
        'ç' | 'Ç' => 'c',
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => 'i',
        'ñ' | 'Ñ' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => 'o',
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => 'u',
        'ý' | 'ÿ' | 'Ý' => 'y',
        'ß' => 's',
        _ => return None,
    };
    Some(folded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_names() {
        assert!(is_valid_skill_name("quantum-circuit-design"));
        assert!(is_valid_skill_name("a"));
        assert!(is_valid_skill_name("sql2"));
        for bad in ["", "-a", "a-", "a--b", "A", "a_b", "a b", &"x".repeat(65)] {
            assert!(!is_valid_skill_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn slugify_cleans_text() {
        assert_eq!(slugify("Quantum Circuit  Design!").as_deref(), Some("quantum-circuit-design"));
        assert_eq!(slugify("--café_menu--").as_deref(), Some("cafe-menu"));
        assert_eq!(slugify("!!!"), None);
        assert_eq!(slugify("日本語"), None);
        let long = "word ".repeat(30);
        let slug = slugify(&long).unwrap();
        assert!(slug.len() <= 64 && is_valid_skill_name(&slug));
        let one_long_word = "x".repeat(100);
        assert_eq!(slugify(&one_long_word).unwrap().len(), 64);
    }
}
