//! The request sent for a session: what llmos is, the pinned skills in full, the most
//! relevant other skills by name and description (user > team > system, within a token
//! budget), then the turns in order.

use std::collections::HashSet;

use llmos_documents::{Role, SessionDoc, SkillDoc};
use llmos_llm::{ChatMessage, ChatRequest};
use llmos_workspace::{Config, Index, SkillEntry};

pub const SYSTEM_PROMPT: &str = "You are the assistant of llmos, a workbench where a person chats with you inside a Markdown session file in their editor. \
Sessions and reusable skills live in git volumes; skills describe proven ways to do recurring work. \
Follow a skill when it applies. When you produce a file the person may want to keep, put it in a fenced code block whose info string names it, e.g. ```python artifact=circuit.py. \
Answer in Markdown.";

/// Scores a skill against the conversation with the ranker the evolution's trigger
/// evaluation also uses (`llmos_evolution::trigger`), so what it measures is what the chat does.
fn relevance(skill: &SkillEntry, conversation: &HashSet<String>) -> usize {
    llmos_evolution::trigger::relevance(&skill.name, &skill.description, &skill.keywords, conversation)
}

pub fn build_request(config: &Config, index: &Index, doc: &SessionDoc, text: &str) -> ChatRequest {
    let mut system = SYSTEM_PROMPT.to_string();
    let pinned: Vec<String> = doc.pinned_skills().into_iter().map(|(s, _)| s.to_string()).collect();
    for name in &pinned {
        let Some(skill) = index.resolve_skill(name) else { continue };
        let body = llmos_workspace::bounded::read_text(&skill.path, llmos_workspace::bounded::DEFAULT_MAX_BYTES).unwrap_or_default();
        let parsed = SkillDoc::parse(&body);
        system.push_str(&format!(
            "\n\n# Skill: {} ({} volume, pinned)\n{}\n\n{}",
            skill.name,
            skill.volume,
            skill.description,
            body.get(parsed.body.clone()).unwrap_or_default().trim()
        ));
    }
    // System turns in the transcript add to the system prompt.
    for t in doc.turns.iter().filter(|t| t.role == Some(Role::System)) {
        system.push_str("\n\n");
        system.push_str(t.text(text).trim());
    }
    let conversation = llmos_evolution::trigger::words(&doc.user_prompts(text).join(" "));
    let mut seen: HashSet<&str> = pinned.iter().map(String::as_str).collect();
    let mut candidates: Vec<(usize, &SkillEntry)> = Vec::new();
    let mut all: Vec<&SkillEntry> = index.skills().collect();
    all.sort_by_key(|s| (s.volume.precedence(), s.name.clone()));
    for s in all {
        if !seen.insert(s.name.as_str()) {
            continue; // a higher-precedence skill of this name was taken already
        }
        let score = relevance(s, &conversation);
        if score > 0 {
            candidates.push((score, s));
        }
    }
    candidates.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.volume.precedence().cmp(&b.1.volume.precedence())).then(a.1.name.cmp(&b.1.name)));
    let mut budget = config.chat.context_tokens * 4;
    let mut listed = String::new();
    for (_, s) in candidates {
        let line = format!("- {} ({}): {}\n", s.name, s.volume, s.description);
        if line.len() > budget {
            break;
        }
        budget -= line.len();
        listed.push_str(&line);
    }
    if !listed.is_empty() {
        system.push_str("\n\n# Other skills that may help (ask for one by name)\n");
        system.push_str(&listed);
    }
    let messages = doc
        .turns
        .iter()
        .filter(|t| !t.is_blank(text))
        .filter_map(|t| match t.role {
            Some(Role::User) => Some(ChatMessage { role: llmos_llm::Role::User, content: t.text(text).trim().to_string() }),
            Some(Role::Assistant) => Some(ChatMessage { role: llmos_llm::Role::Assistant, content: t.text(text).trim().to_string() }),
            _ => None,
        })
        .collect();
    ChatRequest { system, messages, model: None, max_tokens: None }
}
