//! Rules for sessions (docs/design.md §3.2 and the diagnostics column of §4).

use super::common::{lint_frontmatter, yaml_scalar};
use super::skill::is_date_or_datetime;
use super::{DocContext, LinkCheck, LintEnv};
use crate::diagnostic::{Diagnostic, Edit, Fix};
use crate::profile::{self, ValueKind};
use crate::rules;
use crate::session::{Role, SessionDoc};
use crate::yaml::YamlValue;

pub fn lint_session(text: &str, ctx: &DocContext<'_>, env: &dyn LintEnv) -> Vec<Diagnostic> {
    let doc = SessionDoc::parse(text);
    lint_parsed_session(text, &doc, ctx, env)
}

/// [`lint_session`] on a document already parsed (the server parses once per keystroke).
pub fn lint_parsed_session(text: &str, doc: &SessionDoc, ctx: &DocContext<'_>, env: &dyn LintEnv) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let stem = ctx.path.file_stem().and_then(|s| s.to_str()).unwrap_or("session");
    let fm = &doc.frontmatter;
    match &fm.block {
        None => {
            let title = doc.first_prompt(text).map(|p| p.chars().take(60).collect::<String>()).unwrap_or_else(|| stem.to_string());
            let insert = format!("---\ntitle: {}\nid: {}\nstatus: uncommitted\ncommit: null\n---\n\n", yaml_scalar(&title), yaml_scalar(stem));
            let end = text.find('\n').unwrap_or(text.len());
            out.push(
                Diagnostic::new(&rules::FRONTMATTER_MISSING, 0..end, "a session starts with a `---` frontmatter block (title, id, status)")
                    .with_fix(Fix::edit("Add frontmatter", vec![Edit::insert(0, insert)]).preferred()),
            );
        }
        Some(_) => {
            lint_frontmatter(text, fm, &mut out);
            if fm.is_usable() {
                lint_keys(text, doc, ctx, stem, env, &mut out);
            }
        }
    }
    lint_turns(text, doc, &mut out);
    lint_unclosed_fences(text, doc, &mut out);
    lint_links(doc, ctx, env, &mut out);
    out
}

fn lint_keys(_text: &str, doc: &SessionDoc, _ctx: &DocContext<'_>, stem: &str, env: &dyn LintEnv, out: &mut Vec<Diagnostic>) {
    for (key, value) in doc.frontmatter.entries() {
        let Some(name) = key.as_str() else { continue };
        let Some(spec) = profile::session_key(name) else {
            out.push(Diagnostic::new(&rules::SESSION_UNKNOWN_KEY, key.span.clone(), format!("`{name}` is not a session key")));
            continue;
        };
        let bad = |msg: String| Diagnostic::new(&rules::SESSION_KEY_TYPE, value.span.clone(), msg);
        match (spec.kind, name) {
            (_, "commit") => {
                let ok = value.is_null() || value.as_str().is_some_and(|s| (4..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_hexdigit()));
                if !ok {
                    out.push(bad(format!("`commit` must be a commit SHA or null, not `{}`", value.as_str().unwrap_or(value.type_name()))));
                }
            }
            (ValueKind::Enum(allowed), _) => {
                let s = value.as_str().unwrap_or_default();
                if !allowed.contains(&s) {
                    out.push(bad(format!("`{name}` must be one of {}, not `{s}`", allowed.join(", "))));
                }
            }
            (ValueKind::DateTime, _) => {
                let s = value.as_str().unwrap_or_default();
                if !is_date_or_datetime(s) {
                    out.push(bad(format!("`{name}` must be an RFC 3339 time such as `2026-11-23T22:01:02Z`, not `{s}`")));
                }
            }
            (ValueKind::StringList, _) => match &value.value {
                YamlValue::Seq(items) => {
                    for item in items.iter().filter(|i| i.as_str().is_none()) {
                        out.push(Diagnostic::new(
                            &rules::SESSION_KEY_TYPE,
                            item.span.clone(),
                            format!("items of `{name}` must be strings, not {}", item.type_name()),
                        ));
                    }
                }
                YamlValue::Scalar { .. } if value.is_null() => {}
                _ => out.push(bad(format!("`{name}` must be a list such as `[a, b]`, not {}", value.type_name()))),
            },
            (ValueKind::String, _) if value.as_str().is_none() || value.is_null() => {
                out.push(bad(format!("`{name}` must be a string, not {}", value.type_name())));
            }
            _ => {}
        }
        if name == "id"
            && let Some(id) = value.as_str()
            && id != stem
        {
            out.push(
                Diagnostic::new(&rules::SESSION_ID_MISMATCH, value.span.clone(), format!("the id `{id}` differs from the file name `{stem}`"))
                    .with_fix(Fix::edit(format!("Change the id to `{stem}`"), vec![Edit::replace(value.span.clone(), yaml_scalar(stem))]).preferred()),
            );
        }
    }
    for (skill, range) in doc.pinned_skills() {
        if env.skills_named(skill).is_empty() {
            out.push(Diagnostic::new(&rules::SESSION_UNKNOWN_SKILL, range, format!("no volume has a skill named `{skill}`")));
        }
    }
}

fn lint_turns(text: &str, doc: &SessionDoc, out: &mut Vec<Diagnostic>) {
    if doc.turns.is_empty() {
        let at = doc.frontmatter.block.as_ref().map_or(0..0, |b| b.open.clone());
        out.push(Diagnostic::new(&rules::SESSION_NO_TURNS, at, "the session has no turns yet").with_fix(Fix::edit(
            "Add a user turn",
            vec![Edit::insert(text.len(), format!("{}<!-- turn: user -->\n", if text.ends_with('\n') || text.is_empty() { "" } else { "\n" }))],
        )));
    } else if let Some(pre) = text.get(doc.preamble.clone())
        && !pre.trim().is_empty()
    {
        let start = doc.preamble.start + (pre.len() - pre.trim_start().len());
        let end = doc.preamble.start + pre.trim_end().len();
        out.push(
            Diagnostic::new(&rules::SESSION_TEXT_BEFORE_FIRST_TURN, start..end, "this text comes before the first turn marker and belongs to no turn")
                .with_fix(Fix::edit("Make it a user turn", vec![Edit::insert(start, "<!-- turn: user -->\n")])),
        );
    }
    let last = doc.turns.len().saturating_sub(1);
    for (i, turn) in doc.turns.iter().enumerate() {
        match turn.role {
            None => {
                let mut d = Diagnostic::new(
                    &rules::SESSION_UNKNOWN_ROLE,
                    turn.role_range.clone(),
                    format!("unknown role `{}`: a turn is `user`, `assistant` or `system`", turn.role_text),
                );
                let best = closest_role(&turn.role_text);
                for role in [Role::User, Role::Assistant, Role::System] {
                    let mut fix = Fix::edit(format!("Change the role to `{}`", role.as_str()), vec![Edit::replace(turn.role_range.clone(), role.as_str())]);
                    fix.preferred = role == best;
                    d = d.with_fix(fix);
                }
                out.push(d);
            }
            Some(Role::User) if i != last && turn.is_blank(text) => {
                out.push(Diagnostic::new(&rules::SESSION_EMPTY_USER_TURN, turn.marker.clone(), "this user turn is empty"));
            }
            _ => {}
        }
    }
    for range in &doc.malformed_markers {
        out.push(Diagnostic::new(
            &rules::SESSION_MALFORMED_MARKER,
            range.clone(),
            "this line looks like a turn marker but is not one; write `<!-- turn: user -->` (role, then optional key=value pairs)",
        ));
    }
}

/// A fence left open (a reply cut mid code block) swallows every later turn marker.
/// The fix closes it right before the first line that would be a marker.
fn lint_unclosed_fences(text: &str, doc: &SessionDoc, out: &mut Vec<Diagnostic>) {
    for fence in doc.fences.iter().filter(|f| !f.closed) {
        let opening = text.get(fence.range.start..fence.info_range.start).unwrap_or_default();
        let closer = opening.trim_start_matches(' ');
        let mut at = text.len();
        let mut pos = fence.content.start;
        for line in text.get(fence.content.clone()).unwrap_or_default().split_inclusive('\n') {
            if line.starts_with("<!-- turn") && crate::session::parse_marker(line).is_some() {
                at = pos;
                break;
            }
            pos += line.len();
        }
        let lead = if at == 0 || text.as_bytes().get(..at).is_some_and(|b| b.ends_with(b"\n")) { "" } else { "\n" };
        let tail = if at == text.len() { "\n" } else { "\n\n" };
        out.push(
            Diagnostic::new(
                &rules::SESSION_UNCLOSED_FENCE,
                fence.range.start..fence.info_range.end,
                "this code fence is never closed: the turn markers after it read as code",
            )
            .with_fix(Fix::edit("Close the code fence", vec![Edit::insert(at, format!("{lead}{closer}{tail}"))]).preferred()),
        );
    }
}

fn lint_links(doc: &SessionDoc, ctx: &DocContext<'_>, env: &dyn LintEnv, out: &mut Vec<Diagnostic>) {
    let targets: Vec<&str> = doc.links.iter().map(|l| l.target.as_str()).collect();
    for (link, check) in doc.links.iter().zip(env.check_links(ctx.path, &targets)) {
        match check {
            LinkCheck::Missing(msg) => out.push(Diagnostic::new(&rules::SESSION_BROKEN_ARTIFACT, link.target_range.clone(), msg)),
            LinkCheck::OutsideVolume(msg) => out.push(Diagnostic::new(&rules::SESSION_LINK_OUTSIDE_VOLUME, link.target_range.clone(), msg)),
            LinkCheck::Ok | LinkCheck::NotLocal => {}
        }
    }
}

fn closest_role(text: &str) -> Role {
    let lower = text.to_lowercase();
    [Role::User, Role::Assistant, Role::System].into_iter().min_by_key(|r| edit_distance(&lower, r.as_str())).unwrap_or(Role::User)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        // One row of the Wagner–Fischer table: `diag` is prev[j], `up` prev[j + 1] and
        // `left` cur[j], walked with iterators so no index can be out of range.
        let mut cur = Vec::with_capacity(b.len() + 1);
        let mut left = i + 1;
        cur.push(left);
        for ((cb, &diag), &up) in b.iter().zip(&prev).zip(prev.iter().skip(1)) {
            left = (diag + usize::from(ca != *cb)).min(up + 1).min(left + 1);
            cur.push(left);
        }
        prev = cur;
    }
    prev.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod edit_distance_tests {
    use super::edit_distance;
    use proptest::prelude::*;
    use std::collections::HashMap;

    /// The textbook recursion over suffixes, memoised: shares nothing with the row walk.
    fn oracle(a: &[char], b: &[char], memo: &mut HashMap<(usize, usize), usize>) -> usize {
        if a.is_empty() || b.is_empty() {
            return a.len().max(b.len());
        }
        if let Some(&d) = memo.get(&(a.len(), b.len())) {
            return d;
        }
        let cost = usize::from(a[0] != b[0]);
        let d = (oracle(&a[1..], &b[1..], memo) + cost).min(oracle(&a[1..], b, memo) + 1).min(oracle(a, &b[1..], memo) + 1);
        memo.insert((a.len(), b.len()), d);
        d
    }

    proptest! {
        #[test]
        fn matches_the_recursive_definition(a in "[usraé😀]{0,12}", b in "[usraé😀]{0,12}") {
            let (ac, bc): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
            prop_assert_eq!(edit_distance(&a, &b), oracle(&ac, &bc, &mut HashMap::new()));
        }
    }
}
