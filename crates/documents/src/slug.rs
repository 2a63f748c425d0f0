//! Skill-name rules shared by the linter, rename, migration and evolution: one check
//! (Unicode lowercase accepted, as the reference validator does) and one slug maker
//! (ASCII, accents folded: "café" → "cafe", cut at a word boundary).

/// Why a string is not a valid skill name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameProblem {
    Empty,
    TooLong(usize),
    BadChar(char),
    Uppercase,
    EdgeHyphen,
    DoubleHyphen,
}

impl std::fmt::Display for NameProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NameProblem::Empty => f.write_str("the name is empty"),
            NameProblem::TooLong(n) => write!(f, "the name has {n} characters; at most 64 are allowed"),
            NameProblem::BadChar(c) => write!(f, "the name may only hold lowercase letters, digits and hyphens, not {c:?}"),
            NameProblem::Uppercase => f.write_str("the name must be lowercase"),
            NameProblem::EdgeHyphen => f.write_str("the name must not start or end with a hyphen"),
            NameProblem::DoubleHyphen => f.write_str("the name must not contain two hyphens in a row"),
        }
    }
}

pub const MAX_NAME_CHARS: usize = 64;

/// Checks a skill name against the Agent Skills rules: 1–64 characters, lowercase
/// letters (Unicode lowercase is accepted, as the reference validator does), digits and
/// single hyphens, no hyphen at either end.
pub fn check_name(name: &str) -> Result<(), NameProblem> {
    if name.is_empty() {
        return Err(NameProblem::Empty);
    }
    let count = name.chars().count();
    if count > MAX_NAME_CHARS {
        return Err(NameProblem::TooLong(count));
    }
    for c in name.chars() {
        if c.is_uppercase() {
            return Err(NameProblem::Uppercase);
        }
        if !(c.is_alphanumeric() || c == '-') {
            return Err(NameProblem::BadChar(c));
        }
    }
    if name.starts_with('-') || name.ends_with('-') {
        return Err(NameProblem::EdgeHyphen);
    }
    if name.contains("--") {
        return Err(NameProblem::DoubleHyphen);
    }
    Ok(())
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
        if slug.len() + extra > MAX_NAME_CHARS {
            if slug.is_empty() {
                // The word is ASCII (folded above), so a char count is a byte count.
                slug.extend(word.chars().take(MAX_NAME_CHARS));
            }
            break;
        }
        if !slug.is_empty() {
            slug.push('-');
        }
        slug.push_str(&word);
    }
    check_name(&slug).is_ok().then_some(slug)
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
    fn names() {
        assert_eq!(check_name("pdf-tools"), Ok(()));
        assert_eq!(check_name("Pdf"), Err(NameProblem::Uppercase));
        assert_eq!(check_name("-a"), Err(NameProblem::EdgeHyphen));
        assert_eq!(check_name("a--b"), Err(NameProblem::DoubleHyphen));
        assert_eq!(check_name("a_b"), Err(NameProblem::BadChar('_')));
        assert_eq!(check_name(&"a".repeat(65)), Err(NameProblem::TooLong(65)));
        assert_eq!(check_name(""), Err(NameProblem::Empty));
    }

    #[test]
    fn slugs_are_valid_names() {
        assert_eq!(slugify("Quantum VQE: optimisation!").as_deref(), Some("quantum-vqe-optimisation"));
        assert_eq!(slugify("¿¿"), None);
        let long = slugify(&"ab ".repeat(40)).unwrap();
        assert!(check_name(&long).is_ok(), "{long}");
        assert_eq!(slugify("Quantum Circuit  Design!").as_deref(), Some("quantum-circuit-design"));
        assert_eq!(slugify("--café_menu--").as_deref(), Some("cafe-menu"));
        assert_eq!(slugify("!!!"), None);
        assert_eq!(slugify("日本語"), None);
        let words = slugify(&"word ".repeat(30)).unwrap();
        assert!(words.len() <= 64 && check_name(&words).is_ok() && !words.ends_with('-'), "{words}");
        assert_eq!(slugify(&"x".repeat(100)).unwrap().len(), 64);
    }

    proptest::proptest! {
        #[test]
        fn any_text_slugs_to_a_valid_name_or_nothing(text in "\\PC{0,120}") {
            if let Some(slug) = slugify(&text) {
                proptest::prop_assert!(check_name(&slug).is_ok(), "{slug:?}");
                proptest::prop_assert!(slug.is_ascii());
            }
        }
    }
}
