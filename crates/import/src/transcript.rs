//! The agent-neutral shape both readers produce: ordered turns of text, tool calls with
//! their results, files written, and what each reply cost.

use serde::Serialize;
use time::OffsetDateTime;

/// Which agent wrote a transcript.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    ClaudeCode,
    Codex,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::ClaudeCode => "claude-code",
            Source::Codex => "codex",
        }
    }
}

/// Token counts as the provider reported them. `input` counts every prompt token,
/// cached or not; `cache_read` and `cache_write` say how many of them hit or filled
/// the prompt cache (priced differently).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Usage {
    pub input: u64,
    pub output: u64,
    pub cache_read: u64,
    pub cache_write: u64,
}

impl Usage {
    pub fn add(&mut self, other: Usage) {
        self.input = self.input.saturating_add(other.input);
        self.output = self.output.saturating_add(other.output);
        self.cache_read = self.cache_read.saturating_add(other.cache_read);
        self.cache_write = self.cache_write.saturating_add(other.cache_write);
    }

    pub fn is_empty(&self) -> bool {
        *self == Usage::default()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TurnRole {
    User,
    Assistant,
    /// Context the agent injected itself (a compaction summary).
    System,
}

/// One piece of a turn, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Text(String),
    /// A tool call and, once it arrived, its result.
    Tool {
        id: String,
        name: String,
        input: String,
        output: Option<String>,
        is_error: bool,
    },
    /// A file the agent created or changed: where, and the text it wrote (or the new
    /// text of an edit), which is rendered as a short preview.
    FileWrite {
        path: String,
        content: String,
        edit: bool,
    },
    /// An image the user pasted; its bytes are not imported.
    Image {
        media_type: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Turn {
    pub role: TurnRole,
    pub time: Option<OffsetDateTime>,
    pub model: Option<String>,
    pub parts: Vec<Part>,
    pub usage: Usage,
}

impl Turn {
    pub fn new(role: TurnRole, time: Option<OffsetDateTime>) -> Turn {
        Turn { role, time, model: None, parts: Vec::new(), usage: Usage::default() }
    }

    /// The turn's own words (no tool calls), joined.
    pub fn text(&self) -> String {
        let texts: Vec<&str> = self.parts.iter().filter_map(|p| if let Part::Text(t) = p { Some(t.trim()) } else { None }).filter(|t| !t.is_empty()).collect();
        texts.join("\n\n")
    }
}

/// What a reader met but did not turn into content, so the import can say so.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadStats {
    pub lines: usize,
    /// Lines that are not JSON objects.
    pub malformed: usize,
    /// Records of a type the reader does not know.
    pub unknown: usize,
    /// Thinking and reasoning blocks (including encrypted ones), left out on purpose.
    pub thinking: usize,
    /// Records of abandoned branches and subagent sidechains, off the main line.
    pub off_main_line: usize,
}

/// One agent transcript, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transcript {
    pub source: Source,
    /// The agent's own session id (a UUID for both agents).
    pub session_id: Option<String>,
    /// A title the agent stored (Claude Code's `summary` lines).
    pub title: Option<String>,
    /// The folder the agent worked in.
    pub project: Option<String>,
    pub model: Option<String>,
    pub started: Option<OffsetDateTime>,
    pub ended: Option<OffsetDateTime>,
    pub turns: Vec<Turn>,
    pub stats: ReadStats,
}

impl Transcript {
    pub fn new(source: Source) -> Transcript {
        Transcript {
            source,
            session_id: None,
            title: None,
            project: None,
            model: None,
            started: None,
            ended: None,
            turns: Vec::new(),
            stats: ReadStats::default(),
        }
    }

    pub fn usage(&self) -> Usage {
        let mut total = Usage::default();
        for t in &self.turns {
            total.add(t.usage);
        }
        total
    }

    /// The first thing the user asked, if anything.
    pub fn first_prompt(&self) -> Option<String> {
        self.turns.iter().filter(|t| t.role == TurnRole::User).map(Turn::text).find(|t| !t.trim().is_empty())
    }

    /// Whether there is anything worth a session: at least one user prompt.
    pub fn has_prompt(&self) -> bool {
        self.first_prompt().is_some()
    }

    /// Notes a timestamp: the first becomes `started`, the latest `ended`.
    pub(crate) fn saw_time(&mut self, t: Option<OffsetDateTime>) {
        let Some(t) = t else { return };
        if self.started.is_none_or(|s| t < s) {
            self.started = Some(t);
        }
        if self.ended.is_none_or(|e| t > e) {
            self.ended = Some(t);
        }
    }
}

/// An RFC 3339 timestamp, as both agents write them.
pub(crate) fn parse_time(value: Option<&serde_json::Value>) -> Option<OffsetDateTime> {
    let s = value?.as_str()?;
    OffsetDateTime::parse(s.trim(), &time::format_description::well_known::Rfc3339).ok()
}
