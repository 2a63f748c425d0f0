//! Skill-name rules shared by the linter, rename, migration and evolution.

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

/// Turns any text into a valid skill name (ASCII slug), or `None` when nothing usable is left.
pub fn slugify(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut pending_hyphen = false;
    for c in text.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() {
            if pending_hyphen && !out.is_empty() {
                out.push('-');
            }
            pending_hyphen = false;
            out.push(c);
        } else {
            pending_hyphen = true;
        }
    }
    if out.len() > MAX_NAME_CHARS {
        out.truncate(MAX_NAME_CHARS);
        while out.ends_with('-') {
            out.pop();
        }
    }
    (!out.is_empty()).then_some(out)
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
    }
}
