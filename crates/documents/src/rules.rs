//! The rule catalogue: every rule's stable id, default severity and one-line doc.
//!
//! Rules are data so that `llmos.toml` can change a severity, diagnostics can carry the id
//! as their `code`, and `llmos check --format json` prints the same ids.

use crate::Severity;

#[derive(Debug)]
pub struct Rule {
    pub id: &'static str,
    pub severity: Severity,
    pub doc: &'static str,
}

macro_rules! rules {
    ($($ident:ident = $id:literal, $sev:ident, $doc:literal;)*) => {
        $(pub static $ident: Rule = Rule { id: $id, severity: Severity::$sev, doc: $doc };)*
        /// Every rule, in documentation order.
        pub static ALL: &[&Rule] = &[$(&$ident),*];
    };
}

rules! {
    FILE_NOT_UTF8 = "file/not-utf8", Error, "The file is not valid UTF-8 text.";
    FILE_BINARY = "file/binary", Error, "The file holds binary data (NUL bytes) where Markdown is expected.";
    FILE_TOO_LARGE = "file/too-large", Warning, "The file is larger than llmos reads (see `max_file_size`); it was not analysed.";
    FILE_NOT_REGULAR = "file/not-regular", Error, "The path is a FIFO, device, socket or directory, or leads outside its volume; llmos only reads regular files inside the workspace.";

    FRONTMATTER_MISSING = "frontmatter/missing", Error, "A skill or session must start with a `---` YAML frontmatter block.";
    FRONTMATTER_UNCLOSED = "frontmatter/unclosed", Error, "The frontmatter block opened with `---` is never closed by a `---` line.";
    FRONTMATTER_SYNTAX = "frontmatter/yaml-syntax", Error, "The frontmatter is not valid YAML.";
    FRONTMATTER_NOT_MAPPING = "frontmatter/not-a-mapping", Error, "The frontmatter must be a YAML mapping of keys to values.";
    FRONTMATTER_DUPLICATE_KEY = "frontmatter/duplicate-key", Error, "A frontmatter key appears twice; YAML keeps only one of them.";

    SKILL_NAME_MISSING = "skill/name-missing", Error, "A skill needs a `name`.";
    SKILL_NAME_FORMAT = "skill/name-format", Error, "A skill name is 1–64 lowercase letters, digits and single hyphens, with no hyphen at either end.";
    SKILL_NAME_MISMATCH = "skill/name-mismatch", Error, "A skill's `name` must equal its folder name (or the file stem of a flat skill).";
    SKILL_DESCRIPTION_MISSING = "skill/description-missing", Error, "A skill needs a non-empty `description`.";
    SKILL_DESCRIPTION_TOO_LONG = "skill/description-too-long", Error, "A skill description is at most 1024 characters.";
    SKILL_DESCRIPTION_WHEN = "skill/description-when", Hint, "A good description says when to use the skill (\"Use when …\").";
    SKILL_UNKNOWN_KEY = "skill/unknown-key", Warning, "A frontmatter key the selected profile does not define.";
    SKILL_LISTING_CUT = "skill/listing-cut", Warning, "Claude Code shows only the first 1,536 characters of `description` + `when_to_use` in its skill listing; the rest never reaches the model.";
    SKILL_NOT_PORTABLE = "skill/not-portable", Warning, "llmos provenance (`source`, `confidence`, `commits` …) at the top level: other agents accept only the six standard keys; move it under `metadata` (as `llmos-source` …).";
    SKILL_KEY_TYPE = "skill/key-type", Error, "A frontmatter value has the wrong type or is out of range.";
    SKILL_COMPATIBILITY_TOO_LONG = "skill/compatibility-too-long", Error, "`compatibility` is at most 500 characters.";
    SKILL_BODY_TOO_LONG = "skill/body-too-long", Warning, "Skill bodies over 500 lines or about 5000 tokens load slowly into context; split them into references.";
    SKILL_DUPLICATE = "skill/duplicate", Error, "Two skills in the same volume have the same name.";
    SKILL_SHADOWED = "skill/shadowed", Info, "A skill of the same name in a lower-precedence volume is hidden by this one.";
    SKILL_BROKEN_LINK = "skill/broken-link", Warning, "A relative link in a skill points to a file that does not exist or leaves the volume.";

    SESSION_UNKNOWN_KEY = "session/unknown-key", Warning, "A session frontmatter key llmos does not define.";
    SESSION_KEY_TYPE = "session/key-type", Error, "A session frontmatter value has the wrong type or an unknown value.";
    SESSION_UNKNOWN_ROLE = "session/unknown-role", Error, "A turn marker names a role other than user, assistant or system.";
    SESSION_MALFORMED_MARKER = "session/malformed-marker", Warning, "A line that looks like a turn marker but is not one.";
    SESSION_UNCLOSED_FENCE = "session/unclosed-fence", Warning, "A code fence is never closed, so every turn marker after it reads as code and the session cannot be sent; close it before the next turn.";
    SESSION_EMPTY_USER_TURN = "session/empty-user-turn", Warning, "A user turn with no text before another turn follows.";
    SESSION_TEXT_BEFORE_FIRST_TURN = "session/text-before-first-turn", Warning, "Text between the frontmatter and the first turn marker belongs to no turn.";
    SESSION_NO_TURNS = "session/no-turns", Info, "The session has no turn markers yet.";
    SESSION_BROKEN_ARTIFACT = "session/broken-artifact", Error, "An artifact link points to a file that does not exist.";
    SESSION_LINK_OUTSIDE_VOLUME = "session/link-outside-volume", Error, "A link leaves the volume (`..`, an absolute path or a symlink out); llmos never reads it.";
    SESSION_UNKNOWN_SKILL = "session/unknown-skill", Warning, "A skill pinned in `skills:` exists in no volume.";
    SESSION_CHANGED_SINCE_COMMIT = "session/changed-since-commit", Info, "The session differs from its last commit.";
    SESSION_ID_MISMATCH = "session/id-mismatch", Warning, "The session `id` differs from its file name.";
    SESSION_SYNC_CONFLICT = "session/sync-conflict", Warning, "Sync found this session changed on both sides and kept both versions (`<id>.md` from the remote, `<id>.local-<sha>.md` yours); merge them and delete one.";

    CONFIG_SYNTAX = "config/syntax", Error, "`llmos.toml` is not valid TOML.";
    CONFIG_UNKNOWN_KEY = "config/unknown-key", Warning, "A key `llmos.toml` does not define.";
    CONFIG_BAD_VALUE = "config/bad-value", Error, "A value in `llmos.toml` has the wrong type or an unknown value.";
    CONFIG_BAD_DURATION = "config/bad-duration", Error, "A duration such as `24h`, `7d`, `30m` or `off` was expected.";
    CONFIG_BAD_URL = "config/bad-url", Error, "A URL (http/https) or remote (`github:OWNER/REPO`, git URL) was expected.";
}

pub fn by_id(id: &str) -> Option<&'static Rule> {
    ALL.iter().copied().find(|r| r.id == id)
}

/// Where a rule's documentation lives (used as LSP `codeDescription`).
pub fn doc_url(id: &str) -> String {
    format!("https://github.com/llmos/llmos/blob/main/docs/rules.md#{}", id.replace('/', "-"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_are_unique_and_namespaced() {
        let mut seen = std::collections::HashSet::new();
        for r in super::ALL {
            assert!(seen.insert(r.id), "duplicate {}", r.id);
            assert!(r.id.contains('/'));
        }
    }
}

/// The Markdown reference of every rule (`docs/rules.md`), generated from the catalogue.
pub fn reference_markdown() -> String {
    let mut out = String::from(
        "# llmos rules\n\nEvery diagnostic carries its rule id as `code`. Change a rule's severity (or turn it off) in `llmos.toml`:\n\n```toml\n[rules]\n\"skill/description-when\" = \"off\"     # error | warning | info | hint | off\n```\n\n| rule | default | what it checks |\n|---|---|---|\n",
    );
    for r in ALL {
        out.push_str(&format!("| <a id=\"{}\"></a>`{}` | {} | {} |\n", r.id.replace('/', "-"), r.id, r.severity.as_str(), r.doc));
    }
    out
}

#[cfg(test)]
mod doc_tests {
    /// `docs/rules.md` is generated; regenerate it with `LLMOS_BLESS=1 cargo test -p llmos-documents`.
    #[test]
    fn rules_reference_is_up_to_date() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/rules.md");
        let want = super::reference_markdown();
        if std::env::var_os("LLMOS_BLESS").is_some() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &want).unwrap();
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(have == want, "docs/rules.md is out of date: run LLMOS_BLESS=1 cargo test -p llmos-documents");
    }
}
