//! Rules for skills (docs/design.md §3.1).

use std::path::Path;

use super::common::{entry_lines, lint_frontmatter, yaml_scalar};
use super::{DocContext, LinkCheck, LintEnv};
use crate::diagnostic::{Diagnostic, Edit, Fix, Rename};
use crate::listing;
use crate::portable;
use crate::profile::{self, KeyGroup, Profile, ValueKind};
use crate::skill::SkillDoc;
use crate::slug::{self, check_name};
use crate::yaml::{YamlNode, YamlValue};
use crate::{Severity, rules};

const MAX_DESCRIPTION: usize = 1024;
const MAX_COMPATIBILITY: usize = 500;
const MAX_BODY_LINES: usize = 500;
const MAX_BODY_TOKENS: usize = 5000;

/// The name a skill at `path` must have: the folder of a `SKILL.md`, else the file stem.
pub fn expected_skill_name(path: &Path) -> Option<String> {
    let file = path.file_name()?.to_str()?;
    if file == "SKILL.md" { path.parent()?.file_name()?.to_str().map(str::to_string) } else { path.file_stem()?.to_str().map(str::to_string) }
}

pub fn lint_skill(text: &str, ctx: &DocContext<'_>, env: &dyn LintEnv) -> Vec<Diagnostic> {
    let doc = SkillDoc::parse(text);
    let mut out = Vec::new();
    let expected = expected_skill_name(ctx.path);
    let fm = &doc.frontmatter;
    let Some(block) = &fm.block else {
        let name = expected.clone().and_then(|n| slug::slugify(&n)).unwrap_or_else(|| "my-skill".into());
        let insert = format!("---\nname: {name}\ndescription: Describe what this skill does and when to use it.\n---\n\n");
        let end = text.find('\n').unwrap_or(text.len());
        out.push(
            Diagnostic::new(&rules::FRONTMATTER_MISSING, 0..end, "a skill must start with a `---` frontmatter block holding `name` and `description`")
                .with_fix(Fix::edit("Add frontmatter", vec![Edit::insert(0, insert)]).preferred()),
        );
        return out;
    };
    lint_frontmatter(text, fm, &mut out);
    if !fm.is_usable() {
        return out;
    }
    let open_line = block.open.clone();
    let insert_at = block.yaml.start;

    // name
    match fm.get("name") {
        None => {
            let mut d = Diagnostic::new(&rules::SKILL_NAME_MISSING, open_line.clone(), "the skill has no `name`");
            if let Some(n) = expected.as_deref().and_then(slug::slugify) {
                d = d.with_fix(Fix::edit(format!("Add `name: {n}`"), vec![Edit::insert(insert_at, format!("name: {n}\n"))]).preferred());
            }
            out.push(d);
        }
        Some((_, value)) => lint_name(text, value, ctx, expected.as_deref(), env, &mut out),
    }

    // description
    match fm.get("description") {
        None => out.push(
            Diagnostic::new(&rules::SKILL_DESCRIPTION_MISSING, open_line.clone(), "the skill has no `description`: say what it does and when to use it")
                .with_fix(Fix::edit(
                    "Add a `description`",
                    vec![Edit::insert(
                        insert_at + fm.get("name").map_or(0, |(k, v)| entry_lines(text, k, v).end - insert_at),
                        "description: Describe what this skill does and when to use it.\n",
                    )],
                )),
        ),
        Some((key, value)) => {
            lint_description(value, key, &mut out);
            if ctx.profile == Profile::ClaudeCode {
                lint_listing_cut(fm, value, &mut out);
                // Claude Code's `when_to_use` says when; the description need not.
                if fm.str_value("when_to_use").is_some_and(|w| !w.trim().is_empty()) {
                    out.retain(|d| d.rule != rules::SKILL_DESCRIPTION_WHEN.id);
                }
            }
        }
    }

    // every key: known for the profile, right type
    for (key, value) in fm.entries() {
        let Some(name) = key.as_str() else { continue };
        match profile::skill_key(name) {
            Some(spec) if ctx.profile.allows(spec.group) => {
                check_type(text, name, spec.kind, value, &mut out);
                if spec.group == KeyGroup::Llmos && portable::PROVENANCE_KEYS.contains(&name) && name != "keywords" {
                    let mut d = Diagnostic::new(
                        &rules::SKILL_NOT_PORTABLE,
                        key.span.clone(),
                        format!(
                            "`{name}` at the top level makes the skill unusable by other agents; llmos reads it under `metadata` as `{}`",
                            portable::metadata_key(name)
                        ),
                    );
                    if let Some(fix) = move_under_metadata(text, fm.entries(), key, value, name) {
                        d = d.with_fix(fix);
                    }
                    if let Some(fix) = make_portable_fix(text) {
                        d = d.with_fix(fix);
                    }
                    out.push(d);
                }
            }
            spec => out.push(unknown_key(text, fm.entries(), key, value, name, spec.map(|s| s.group), ctx.profile)),
        }
    }

    lint_body(text, &doc, ctx, env, &mut out);
    out
}

fn lint_name(text: &str, value: &YamlNode, ctx: &DocContext<'_>, expected: Option<&str>, env: &dyn LintEnv, out: &mut Vec<Diagnostic>) {
    let Some(name) = value.as_str().filter(|_| !value.is_null()) else {
        out.push(Diagnostic::new(&rules::SKILL_NAME_FORMAT, value.span.clone(), format!("`name` must be a string, not {}", value.type_name())));
        return;
    };
    let range = value_range(text, value);
    if let Err(problem) = check_name(name) {
        let mut d = Diagnostic::new(&rules::SKILL_NAME_FORMAT, range.clone(), format!("invalid skill name `{name}`: {problem}"));
        if let Some(fixed) = slug::slugify(name) {
            d = d.with_fix(Fix::edit(format!("Change the name to `{fixed}`"), vec![Edit::replace(value.span.clone(), fixed)]).preferred());
        }
        out.push(d);
        return;
    }
    if let Some(expected) = expected
        && expected != name
    {
        let what = if ctx.path.file_name().is_some_and(|f| f == "SKILL.md") { "folder" } else { "file" };
        let mut d = Diagnostic::new(&rules::SKILL_NAME_MISMATCH, range.clone(), format!("the name `{name}` differs from its {what} name `{expected}`"));
        if check_name(expected).is_ok() {
            d = d.with_fix(Fix::edit(format!("Change the name to `{expected}`"), vec![Edit::replace(value.span.clone(), expected.to_string())]).preferred());
        }
        let rename = if what == "folder" {
            ctx.path.parent().and_then(|dir| dir.parent().map(|p| (dir.to_path_buf(), p.join(name))))
        } else {
            ctx.path.parent().map(|p| (ctx.path.to_path_buf(), p.join(format!("{name}.md"))))
        };
        if let Some((from, to)) = rename {
            d = d.with_fix(Fix { title: format!("Rename the {what} to `{name}`"), edits: Vec::new(), rename: Some(Rename { from, to }), preferred: false });
        }
        out.push(d);
    }
    // duplicates and shadowing
    let Some(volume) = ctx.volume else { return };
    for other in env.skills_named(name) {
        if other.path == ctx.path {
            continue;
        }
        if other.volume == volume {
            out.push(Diagnostic::new(
                &rules::SKILL_DUPLICATE,
                range.clone(),
                format!("another {} skill is also named `{name}`: {}", volume, other.path.display()),
            ));
        } else if other.volume.precedence() > volume.precedence() {
            out.push(Diagnostic::new(
                &rules::SKILL_SHADOWED,
                range.clone(),
                format!("this {volume} skill shadows the {} skill `{name}` ({})", other.volume, other.path.display()),
            ));
        } else {
            out.push(Diagnostic::new(
                &rules::SKILL_SHADOWED,
                range.clone(),
                format!("this skill is shadowed by the {} skill `{name}` ({}); that one is used", other.volume, other.path.display()),
            ));
        }
    }
}

fn lint_description(value: &YamlNode, key: &YamlNode, out: &mut Vec<Diagnostic>) {
    let Some(desc) = value.as_str().filter(|_| !value.is_null()) else {
        out.push(Diagnostic::new(
            &rules::SKILL_DESCRIPTION_MISSING,
            key.span.start..value.span.end.max(key.span.end),
            format!("`description` must be a non-empty string, not {}", value.type_name()),
        ));
        return;
    };
    if desc.trim().is_empty() {
        out.push(Diagnostic::new(
            &rules::SKILL_DESCRIPTION_MISSING,
            key.span.start..value.span.end.max(key.span.end),
            "`description` is empty: say what the skill does and when to use it",
        ));
        return;
    }
    let chars = desc.chars().count();
    if chars > MAX_DESCRIPTION {
        out.push(Diagnostic::new(
            &rules::SKILL_DESCRIPTION_TOO_LONG,
            value.span.clone(),
            format!("the description has {chars} characters; at most {MAX_DESCRIPTION} are allowed"),
        ));
    }
    let lower = desc.to_lowercase();
    let says_when = ["when", "use for", "use this", "use it", "for ", "whenever", "if you", "if the"].iter().any(|w| lower.contains(w));
    if !says_when {
        out.push(Diagnostic::new(
            &rules::SKILL_DESCRIPTION_WHEN,
            value.span.clone(),
            "the description does not say when to use the skill; add \"Use when …\" so agents know when to load it",
        ));
    }
}

/// Claude Code cuts `description` + `when_to_use` at 1,536 characters in its listing.
fn lint_listing_cut(fm: &crate::frontmatter::Frontmatter, description: &YamlNode, out: &mut Vec<Diagnostic>) {
    let desc = description.as_str().unwrap_or_default();
    let when = fm.str_value("when_to_use").unwrap_or_default();
    let text = listing::listing_text(desc, when, Profile::ClaudeCode);
    let n = text.chars().count();
    if n > listing::CLAUDE_CODE_LISTING_CUT {
        let lost: String = text.chars().skip(listing::CLAUDE_CODE_LISTING_CUT).take(40).collect();
        let span = fm.get("when_to_use").filter(|_| !when.is_empty()).map_or(description.span.clone(), |(_, v)| v.span.clone());
        out.push(Diagnostic::new(
            &rules::SKILL_LISTING_CUT,
            span,
            format!(
                "description + when_to_use have {n} characters; Claude Code's skill listing shows the first {} and cuts the rest (from \"{lost}…\")",
                listing::CLAUDE_CODE_LISTING_CUT
            ),
        ));
    }
}

fn check_type(text: &str, key: &str, kind: ValueKind, value: &YamlNode, out: &mut Vec<Diagnostic>) {
    if matches!(key, "name" | "description") {
        return;
    }
    let bad =
        |expected: &str| Diagnostic::new(&rules::SKILL_KEY_TYPE, value_range(text, value), format!("`{key}` must be {expected}, not {}", value.type_name()));
    match kind {
        ValueKind::String => {
            if value.as_str().is_none() || value.is_null() {
                out.push(bad("a string"));
            } else if key == "compatibility" && value.as_str().is_some_and(|s| s.chars().count() > MAX_COMPATIBILITY) {
                let n = value.as_str().map_or(0, |s| s.chars().count());
                out.push(Diagnostic::new(
                    &rules::SKILL_COMPATIBILITY_TOO_LONG,
                    value.span.clone(),
                    format!("`compatibility` has {n} characters; at most {MAX_COMPATIBILITY} are allowed"),
                ));
            }
        }
        ValueKind::StringList => match &value.value {
            YamlValue::Seq(items) => {
                for item in items {
                    if item.as_str().is_none() || item.is_null() {
                        out.push(Diagnostic::new(
                            &rules::SKILL_KEY_TYPE,
                            item.span.clone(),
                            format!("items of `{key}` must be strings, not {}", item.type_name()),
                        ));
                    }
                }
            }
            _ => out.push(bad("a list of strings")),
        },
        ValueKind::StringOrList => {
            if value.string_items().is_none() || value.is_null() {
                out.push(bad("a string or a list of strings"));
            }
        }
        ValueKind::StringMap => match &value.value {
            YamlValue::Map(entries) => {
                for (k, v) in entries {
                    if v.as_str().is_none() || k.as_str().is_none() {
                        out.push(Diagnostic::new(
                            &rules::SKILL_KEY_TYPE,
                            v.span.clone(),
                            format!("`{key}` maps strings to strings; this value is {}", v.type_name()),
                        ));
                    }
                }
            }
            _ => out.push(bad("a mapping of strings to strings")),
        },
        ValueKind::Number01 => match value.as_f64() {
            Some(x) if (0.0..=1.0).contains(&x) => {}
            Some(x) => out.push(Diagnostic::new(&rules::SKILL_KEY_TYPE, value.span.clone(), format!("`{key}` must be between 0 and 1, not {x}"))),
            None => out.push(bad("a number between 0 and 1")),
        },
        ValueKind::Count => match value.as_f64() {
            Some(x) if x >= 0.0 && x.fract() == 0.0 => {}
            _ => out.push(bad("a whole number ≥ 0")),
        },
        ValueKind::Semver => {
            let s = value.as_str().unwrap_or_default();
            if !is_semver(s) || value.is_null() {
                out.push(Diagnostic::new(&rules::SKILL_KEY_TYPE, value.span.clone(), format!("`{key}` must be a semantic version such as `1.0.0`, not `{s}`")));
            }
        }
        ValueKind::DateTime => {
            let s = value.as_str().unwrap_or_default();
            if !is_date_or_datetime(s) {
                out.push(Diagnostic::new(
                    &rules::SKILL_KEY_TYPE,
                    value.span.clone(),
                    format!("`{key}` must be a date (`2026-11-23`) or RFC 3339 time, not `{s}`"),
                ));
            }
        }
        ValueKind::Bool => {
            if value.as_bool().is_none() {
                out.push(bad("true or false"));
            }
        }
        ValueKind::Enum(allowed) => {
            let s = value.as_str().unwrap_or_default();
            if !allowed.contains(&s) {
                out.push(Diagnostic::new(&rules::SKILL_KEY_TYPE, value.span.clone(), format!("`{key}` must be one of {}, not `{s}`", allowed.join(", "))));
            }
        }
        ValueKind::Any => {}
    }
}

fn unknown_key(
    text: &str,
    entries: &[(YamlNode, YamlNode)],
    key: &YamlNode,
    value: &YamlNode,
    name: &str,
    group: Option<KeyGroup>,
    profile: Profile,
) -> Diagnostic {
    let why = match group {
        Some(KeyGroup::ClaudeCode) => " (it is a Claude Code key; use the `claude-code` profile)",
        Some(KeyGroup::Llmos | KeyGroup::Legacy) => " (it is an llmos key; use the `llmos` profile)",
        _ => "",
    };
    let mut d = Diagnostic::new(&rules::SKILL_UNKNOWN_KEY, key.span.clone(), format!("`{name}` is not a key of the `{}` profile{why}", profile.as_str()));
    if profile == Profile::Agentskills {
        d.severity = Severity::Error;
    }
    if let Some(fix) = move_under_metadata(text, entries, key, value, name) {
        d = d.with_fix(fix);
    }
    if profile == Profile::Agentskills
        && let Some(fix) = make_portable_fix(text)
    {
        d = d.with_fix(fix);
    }
    d
}

/// One edit rewriting the frontmatter with every non-standard key under `metadata`.
fn make_portable_fix(text: &str) -> Option<Fix> {
    let portable = portable::make_portable(text)?;
    if portable == text {
        return None;
    }
    // Replace only the part that changed, so the edit stays small for the client.
    let prefix = text.bytes().zip(portable.bytes()).take_while(|(a, b)| a == b).count();
    let prefix = (0..=prefix).rev().find(|&i| text.is_char_boundary(i) && portable.is_char_boundary(i)).unwrap_or(0);
    let suffix = text.get(prefix..)?.bytes().rev().zip(portable.get(prefix..)?.bytes().rev()).take_while(|(a, b)| a == b).count();
    let suffix = (0..=suffix).rev().find(|&n| text.is_char_boundary(text.len() - n) && portable.is_char_boundary(portable.len() - n)).unwrap_or(0);
    let range = prefix..text.len() - suffix;
    let new_text = portable.get(prefix..portable.len() - suffix)?.to_string();
    Some(Fix::edit("Move every non-standard key under `metadata` (portable Agent Skill)", vec![Edit::replace(range, new_text)]))
}

/// Moves `key: value` under `metadata:` (creating it when absent). Only scalar values fit,
/// since metadata maps strings to strings.
fn move_under_metadata(text: &str, entries: &[(YamlNode, YamlNode)], key: &YamlNode, value: &YamlNode, name: &str) -> Option<Fix> {
    let value_text = match &value.value {
        YamlValue::Scalar { .. } | YamlValue::Seq(_) => portable::metadata_value(name, value)?,
        _ => return None,
    };
    // llmos's own provenance moves with an `llmos-` prefix (`source` → `llmos-source`).
    let target = portable::metadata_key(name);
    let name = target.as_str();
    let remove = entry_lines(text, key, value);
    let line = format!("  {name}: {}\n", yaml_scalar(&value_text));
    let mut edits = vec![Edit::replace(remove.clone(), "")];
    match entries.iter().find(|(k, _)| k.as_str() == Some("metadata")) {
        Some((mk, mv)) => {
            let map = mv.as_map()?;
            let at = match map.last() {
                Some((lk, lv)) => entry_lines(text, lk, lv).end,
                None => entry_lines(text, mk, mv).end,
            };
            if map.is_empty() {
                // `metadata: {}` or `metadata:` with nothing: rewrite the whole entry.
                let whole = entry_lines(text, mk, mv);
                edits.push(Edit::replace(whole, format!("metadata:\n{line}")));
            } else {
                let indent = map.first().map_or(2, |(k, _)| k.span.start.saturating_sub(crate::line_bounds::line_start(text, k.span.start)));
                edits.push(Edit::insert(at, format!("{}{name}: {}\n", " ".repeat(indent), yaml_scalar(&value_text))));
            }
        }
        None => {
            let last = entries.last()?;
            let at = entry_lines(text, &last.0, &last.1).end;
            edits.push(Edit::insert(at, format!("metadata:\n{line}")));
        }
    }
    // Edits must not overlap: an insert at the removed range's end is fine for LSP clients.
    edits.sort_by_key(|e| e.range.start);
    Some(Fix::edit(format!("Move `{name}` under `metadata`"), edits).preferred())
}

fn lint_body(text: &str, doc: &SkillDoc, ctx: &DocContext<'_>, env: &dyn LintEnv, out: &mut Vec<Diagnostic>) {
    let body = text.get(doc.body.clone()).unwrap_or_default();
    let lines = memchr::memchr_iter(b'\n', body.as_bytes()).count() + usize::from(!body.is_empty() && !body.ends_with('\n'));
    let tokens = body.len() / 4;
    if lines > MAX_BODY_LINES || tokens > MAX_BODY_TOKENS {
        let start = if lines > MAX_BODY_LINES {
            memchr::memchr_iter(b'\n', body.as_bytes()).nth(MAX_BODY_LINES - 1).map_or(doc.body.start, |i| doc.body.start + i + 1)
        } else {
            doc.body.start
        };
        let end = crate::line_bounds::line_end(text, start);
        out.push(Diagnostic::new(
            &rules::SKILL_BODY_TOO_LONG,
            start..end,
            format!("the body has {lines} lines and about {tokens} tokens (advice: at most {MAX_BODY_LINES} lines, about {MAX_BODY_TOKENS} tokens); move detail into files under references/"),
        ));
    }
    let links = doc.links(text);
    let targets: Vec<&str> = links.iter().map(|l| l.target.as_str()).collect();
    let checks = env.check_links(ctx.path, &targets);
    for (link, check) in links.into_iter().zip(checks) {
        match check {
            LinkCheck::Missing(msg) => out.push(Diagnostic::new(&rules::SKILL_BROKEN_LINK, link.target_range, msg)),
            LinkCheck::OutsideVolume(msg) => out.push(Diagnostic::new(&rules::SKILL_BROKEN_LINK, link.target_range, msg)),
            LinkCheck::Ok | LinkCheck::NotLocal => {}
        }
    }
}

/// The span of a value, widened to include surrounding quotes for messages.
fn value_range(_text: &str, value: &YamlNode) -> std::ops::Range<usize> {
    value.span.clone()
}

/// Semantic Versioning 2.0.0 as the `semver` crate reads it: `1.0.0`, `1.2.3-rc.1+build`;
/// not `v1.0`, `1.0.0-` (empty pre-release) or `1.0.0-01` (leading zero).
pub(crate) fn is_semver(s: &str) -> bool {
    semver::Version::parse(s).is_ok()
}

/// A calendar date (`2026-11-23`), an RFC 3339 date-time (`2026-11-23T22:01:02Z`) or a
/// date-time without zone (`2026-11-23 22:01`, seconds and fraction optional). Real
/// calendar dates only: `2026-02-30` is refused.
pub(crate) fn is_date_or_datetime(s: &str) -> bool {
    use time::format_description::well_known::Rfc3339;
    use time::macros::format_description;
    let local = format_description!(version = 2, "[year]-[month]-[day][first [T][t][ ]][hour]:[minute][optional [:[second][optional [.[subsecond]]]]]");
    time::Date::parse(s, format_description!("[year]-[month]-[day]")).is_ok()
        || time::OffsetDateTime::parse(s, &Rfc3339).is_ok()
        || time::PrimitiveDateTime::parse(s, local).is_ok()
}

#[cfg(test)]
mod value_format_tests {
    use super::{is_date_or_datetime, is_semver};
    use proptest::prelude::*;

    /// The calendar, computed here without the `time` crate.
    fn real_date(y: i32, m: u32, d: u32) -> bool {
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        let days = match m {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return false,
        };
        (1..=days).contains(&d)
    }

    #[test]
    fn versions_and_dates_by_example() {
        for ok in ["1.0.0", "0.1.2", "1.2.3-rc.1", "1.2.3-rc.1+build.5", "10.20.30"] {
            assert!(is_semver(ok), "{ok}");
        }
        for bad in ["1.0", "v1.0.0", "1.0.0-", "1.0.0-01", "01.0.0", "1.0.0é", ""] {
            assert!(!is_semver(bad), "{bad}");
        }
        for ok in ["2026-11-23", "2026-11-23T22:01:02Z", "2026-11-23T22:01:02.5+01:00", "2026-11-23 22:01", "2026-11-23t22:01:02"] {
            assert!(is_date_or_datetime(ok), "{ok}");
        }
        for bad in ["2026-11-23é", "2026-11-23—noon", "2026-02-30", "2026-13-01", "23.11.2026", "2026-11-23T", "2026-11-23Tééé", "é"] {
            assert!(!is_date_or_datetime(bad), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn dates_accepted_exactly_when_the_calendar_has_them(y in 1000i32..3000, m in 0u32..14, d in 0u32..33) {
            let text = format!("{y:04}-{m:02}-{d:02}");
            prop_assert_eq!(is_date_or_datetime(&text), real_date(y, m, d));
        }

        #[test]
        fn any_text_is_answered_without_panicking(s in "\\PC{0,24}") {
            let _ = is_date_or_datetime(&s);
            let _ = is_semver(&s);
        }
    }
}
