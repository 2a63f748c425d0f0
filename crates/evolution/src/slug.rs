//! Skill names for evolved skills: the rules and the slug maker of
//! [`llmos_documents::slug`], so an evolved name is valid exactly when `llmos check`
//! says so.

pub use llmos_documents::slug::{MAX_NAME_CHARS as MAX_SKILL_NAME_LEN, slugify};

/// Whether `name` is a valid skill name (docs/design.md §3.1).
pub fn is_valid_skill_name(name: &str) -> bool {
    llmos_documents::slug::check_name(name).is_ok()
}
