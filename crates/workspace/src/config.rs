//! `llmos.toml`: every key has a default; unknown keys and bad values are diagnostics,
//! never a refusal to start.
//!
//! The file is parsed once into spanned TOML (so each diagnostic points at its key or
//! value) and walked into a typed [`Config`].

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use llmos_documents::{Diagnostic, Profile, Severity, VolumeKind, rules};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::duration::parse_duration;

pub const FILE_NAME: &str = "llmos.toml";
/// Default floors of the evolution trigger evaluation (`[evolution] min_trigger_*`).
pub const DEFAULT_MIN_TRIGGER_PRECISION: f64 = 0.5;
pub const DEFAULT_MIN_TRIGGER_RECALL: f64 = 0.5;

#[derive(Debug, Clone)]
pub struct Config {
    /// The workspace root (the folder holding `llmos.toml`).
    pub root: PathBuf,
    pub profile: Profile,
    pub volumes: Vec<VolumeConfig>,
    pub llm: Option<LlmSettings>,
    pub evolution: EvolutionSettings,
    pub github: GithubSettings,
    pub chat: ChatSettings,
    /// Severity overrides by rule id; `None` turns a rule off.
    pub rules: HashMap<String, Option<Severity>>,
    /// Files larger than this are not analysed.
    pub max_file_size: u64,
    /// `[prices."MODEL"]`: USD per million tokens, to turn recorded usage into cost.
    pub prices: std::collections::BTreeMap<String, llmos_documents::usage::Price>,
}

#[derive(Debug, Clone)]
pub struct VolumeConfig {
    pub kind: VolumeKind,
    pub path: PathBuf,
    pub remote: Option<String>,
    pub writable: bool,
    pub branch: Option<String>,
}

#[derive(Debug, Clone)]
pub struct LlmSettings {
    pub provider: String,
    pub model: Option<String>,
    pub base_url: Option<String>,
    pub api_key_env: Option<String>,
    pub max_tokens: Option<u32>,
    pub timeout: Option<Duration>,
}

#[derive(Debug, Clone)]
pub struct EvolutionSettings {
    pub detector: String,
    /// `install = ["claude-code", "agents"]`: where new evolved skills are installed
    /// for other agents (as `llmos install` does, into the user's home).
    pub install: Vec<String>,
    /// The trigger evaluation's floors: below either, a pattern's skill is written as a
    /// proposal (`SKILL.proposed.md`) instead of a skill.
    pub min_trigger_precision: f64,
    pub min_trigger_recall: f64,
    pub jobs: Vec<EvolutionJob>,
}

#[derive(Debug, Clone)]
pub struct EvolutionJob {
    pub volume: VolumeKind,
    /// `None`: the job is off.
    pub every: Option<Duration>,
    pub min_occurrences: usize,
    pub min_confidence: f64,
    pub generate_min_confidence: f64,
    /// Where `[evolution.<volume>]` sits in the file, for code lenses.
    pub header: Option<Range<usize>>,
}

#[derive(Debug, Clone)]
pub struct GithubSettings {
    pub api_url: String,
    pub git_url: String,
    /// Where the device-flow endpoints live; `None`: `git_url` (right for github.com).
    pub oauth_url: Option<String>,
    pub token_env: Option<String>,
    pub client_id: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ChatSettings {
    /// Token budget for automatically added skills.
    pub context_tokens: usize,
}

impl EvolutionJob {
    fn default_for(volume: VolumeKind) -> Self {
        let (every, occ, conf) = match volume {
            VolumeKind::User => (Some(Duration::from_secs(86_400)), 2, 0.7),
            VolumeKind::Team => (Some(Duration::from_secs(7 * 86_400)), 3, 0.75),
            VolumeKind::System => (None, 5, 0.85),
        };
        Self { volume, every, min_occurrences: occ, min_confidence: conf, generate_min_confidence: 0.85, header: None }
    }
}

impl Config {
    /// The configuration of a workspace with no `llmos.toml`.
    pub fn default_for(root: &Path) -> Self {
        // Paths must not depend on the process's current folder later on (git treats a
        // relative path as relative to the repository, not to us).
        let root = std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf());
        let root = root.as_path();
        Self {
            root: root.to_path_buf(),
            profile: Profile::Llmos,
            volumes: VolumeKind::ALL
                .iter()
                .map(|&kind| VolumeConfig {
                    kind,
                    path: root.join("volumes").join(kind.as_str()),
                    remote: None,
                    writable: kind != VolumeKind::System,
                    branch: None,
                })
                .collect(),
            llm: None,
            evolution: EvolutionSettings {
                detector: "local".into(),
                install: Vec::new(),
                min_trigger_precision: DEFAULT_MIN_TRIGGER_PRECISION,
                min_trigger_recall: DEFAULT_MIN_TRIGGER_RECALL,
                jobs: VolumeKind::ALL.iter().map(|&v| EvolutionJob::default_for(v)).collect(),
            },
            github: GithubSettings {
                api_url: "https://api.github.com".into(),
                git_url: "https://github.com".into(),
                oauth_url: None,
                token_env: None,
                client_id: None,
            },
            chat: ChatSettings { context_tokens: 4000 },
            rules: HashMap::new(),
            max_file_size: 16 * 1024 * 1024,
            prices: std::collections::BTreeMap::new(),
        }
    }

    /// Reads `root/llmos.toml` when present. A missing file gives the defaults; an
    /// unreadable or invalid one gives the defaults plus diagnostics.
    pub fn load(root: &Path) -> (Self, Vec<Diagnostic>) {
        match crate::bounded::read_text(&root.join(FILE_NAME), crate::bounded::DEFAULT_MAX_BYTES) {
            Ok(text) => Self::parse(&text, root),
            Err(e) if e.is_not_found() => (Self::default_for(root), Vec::new()),
            Err(e) => (Self::default_for(root), vec![Diagnostic::new(&rules::CONFIG_SYNTAX, 0..0, format!("cannot read llmos.toml: {e}"))]),
        }
    }

    pub fn parse(text: &str, root: &Path) -> (Self, Vec<Diagnostic>) {
        let mut cfg = Self::default_for(root);
        let mut diags = Vec::new();
        let table = match DeTable::parse(text) {
            Ok(t) => t,
            Err(e) => {
                let range = e.span().unwrap_or(0..0);
                diags.push(Diagnostic::new(&rules::CONFIG_SYNTAX, range, format!("TOML syntax error: {}", e.message())));
                return (cfg, diags);
            }
        };
        let mut w = Walker { diags: &mut diags };
        for (key, value) in table.get_ref() {
            match key.get_ref().as_ref() {
                "profile" => {
                    if let Some(s) = w.string(key, value) {
                        match Profile::parse(s) {
                            Some(p) => cfg.profile = p,
                            None => w.bad(value, format!("`profile` must be llmos, agentskills or claude-code, not `{s}`")),
                        }
                    }
                }
                "max_file_size" => {
                    if let Some(n) = w.int(key, value) {
                        cfg.max_file_size = n as u64;
                    }
                }
                "volumes" => w.table(key, value, |w, k, v| {
                    let Some(kind) = VolumeKind::parse(k.get_ref()) else {
                        w.unknown(k, "volumes");
                        return;
                    };
                    let vol = cfg.volumes.iter_mut().find(|x| x.kind == kind).expect("all three volumes exist");
                    w.table(k, v, |w, k2, v2| match k2.get_ref().as_ref() {
                        "path" => {
                            if let Some(p) = w.string(k2, v2) {
                                vol.path = cfg.root.join(p);
                            }
                        }
                        "remote" => {
                            if let Some(r) = w.string(k2, v2) {
                                if is_remote(r) {
                                    vol.remote = Some(r.to_string());
                                } else {
                                    w.diag(&rules::CONFIG_BAD_URL, v2.span(), format!("`{r}` is not a remote: use `github:OWNER/REPO` or a git URL (https://, ssh://, git://, file://, user@host:path or a path)"));
                                }
                            }
                        }
                        "writable" => {
                            if let Some(b) = w.bool(k2, v2) {
                                vol.writable = b;
                            }
                        }
                        "branch" => vol.branch = w.string(k2, v2).map(str::to_string),
                        _ => w.unknown(k2, &format!("volumes.{k}")),
                    });
                }),
                "llm" => {
                    let mut llm = LlmSettings { provider: String::new(), model: None, base_url: None, api_key_env: None, max_tokens: None, timeout: None };
                    w.table(key, value, |w, k, v| match k.get_ref().as_ref() {
                        "provider" => {
                            if let Some(s) = w.string(k, v) {
                                if matches!(s, "anthropic" | "openai") {
                                    llm.provider = s.to_string();
                                } else {
                                    w.bad(v, format!("`provider` must be `anthropic` or `openai` (OpenAI-compatible servers use `openai` with `base_url`), not `{s}`"));
                                }
                            }
                        }
                        "model" => llm.model = w.string(k, v).map(str::to_string),
                        "base_url" => {
                            if let Some(s) = w.string(k, v) {
                                if is_http_url(s) {
                                    llm.base_url = Some(s.trim_end_matches('/').to_string());
                                } else {
                                    w.diag(&rules::CONFIG_BAD_URL, v.span(), format!("`base_url` must be an http:// or https:// URL, not `{s}`"));
                                }
                            }
                        }
                        "api_key_env" => {
                            if let Some(s) = w.string(k, v) {
                                if looks_like_secret(s) {
                                    w.bad(v, "`api_key_env` is the *name* of an environment variable holding the key (e.g. ANTHROPIC_API_KEY); never put the key itself in llmos.toml".to_string());
                                } else {
                                    llm.api_key_env = Some(s.to_string());
                                }
                            }
                        }
                        "max_tokens" => llm.max_tokens = w.int(k, v).map(|n| n.min(u32::MAX as i64) as u32),
                        "timeout" => llm.timeout = w.duration(k, v, false).flatten(),
                        _ => w.unknown(k, "llm"),
                    });
                    if !llm.provider.is_empty() {
                        cfg.llm = Some(llm);
                    } else if value.get_ref().is_table() {
                        w.diag(&rules::CONFIG_BAD_VALUE, key.span(), "`[llm]` needs `provider = \"anthropic\"` or `\"openai\"`".to_string());
                    }
                }
                "evolution" => w.table(key, value, |w, k, v| {
                    if k.get_ref().as_ref() == "detector" {
                        if let Some(s) = w.string(k, v) {
                            if matches!(s, "local" | "llm" | "hybrid") {
                                cfg.evolution.detector = s.to_string();
                            } else {
                                w.bad(v, format!("`detector` must be local, llm or hybrid, not `{s}`"));
                            }
                        }
                        return;
                    }
                    if k.get_ref().as_ref() == "install" {
                        let items: Option<Vec<&str>> = v.get_ref().as_array().and_then(|a| a.iter().map(|i| i.get_ref().as_str()).collect());
                        match items {
                            Some(items) if items.iter().all(|i| matches!(*i, "claude-code" | "agents")) => {
                                cfg.evolution.install = items.into_iter().map(str::to_string).collect();
                            }
                            _ => w.bad(v, "`install` is a list of targets: [\"claude-code\", \"agents\"]".to_string()),
                        }
                        return;
                    }
                    if matches!(k.get_ref().as_ref(), "min_trigger_precision" | "min_trigger_recall") {
                        if let Some(x) = w.fraction(k, v) {
                            if k.get_ref() == "min_trigger_precision" {
                                cfg.evolution.min_trigger_precision = x;
                            } else {
                                cfg.evolution.min_trigger_recall = x;
                            }
                        }
                        return;
                    }
                    let Some(kind) = VolumeKind::parse(k.get_ref()) else {
                        w.unknown(k, "evolution");
                        return;
                    };
                    let job = cfg.evolution.jobs.iter_mut().find(|j| j.volume == kind).expect("a job per volume");
                    job.header = Some(header_range(text, k.span()));
                    w.table(k, v, |w, k2, v2| match k2.get_ref().as_ref() {
                        "every" => {
                            if let Some(d) = w.duration(k2, v2, true) {
                                job.every = d;
                            }
                        }
                        "min_occurrences" => {
                            if let Some(n) = w.int(k2, v2) {
                                job.min_occurrences = n.max(1) as usize;
                            }
                        }
                        "min_confidence" => {
                            if let Some(x) = w.fraction(k2, v2) {
                                job.min_confidence = x;
                            }
                        }
                        "generate_min_confidence" => {
                            if let Some(x) = w.fraction(k2, v2) {
                                job.generate_min_confidence = x;
                            }
                        }
                        _ => w.unknown(k2, &format!("evolution.{k}")),
                    });
                }),
                "github" => w.table(key, value, |w, k, v| match k.get_ref().as_ref() {
                    "api_url" | "git_url" | "oauth_url" => {
                        if let Some(s) = w.string(k, v) {
                            if is_http_url(s) || (k.get_ref() == "git_url" && s.starts_with("git://")) {
                                let s = s.trim_end_matches('/').to_string();
                                match k.get_ref().as_ref() {
                                    "api_url" => cfg.github.api_url = s,
                                    "git_url" => cfg.github.git_url = s,
                                    _ => cfg.github.oauth_url = Some(s),
                                }
                            } else {
                                w.diag(&rules::CONFIG_BAD_URL, v.span(), format!("`{}` must be an http:// or https:// URL, not `{s}`", k.get_ref()));
                            }
                        }
                    }
                    "token_env" => cfg.github.token_env = w.string(k, v).map(str::to_string),
                    "client_id" => cfg.github.client_id = w.string(k, v).map(str::to_string),
                    _ => w.unknown(k, "github"),
                }),
                "chat" => w.table(key, value, |w, k, v| match k.get_ref().as_ref() {
                    "context_tokens" => {
                        if let Some(n) = w.int(k, v) {
                            cfg.chat.context_tokens = n.max(0) as usize;
                        }
                    }
                    _ => w.unknown(k, "chat"),
                }),
                "rules" => w.table(key, value, |w, k, v| {
                    let id = k.get_ref().as_ref();
                    if rules::by_id(id).is_none() {
                        w.diag(&rules::CONFIG_UNKNOWN_KEY, k.span(), format!("there is no rule `{id}`"));
                        return;
                    }
                    if let Some(s) = w.string(k, v) {
                        match s {
                            "off" | "none" => {
                                cfg.rules.insert(id.to_string(), None);
                            }
                            s => match Severity::parse(s) {
                                Some(sev) => {
                                    cfg.rules.insert(id.to_string(), Some(sev));
                                }
                                None => w.bad(v, format!("a rule's severity is error, warning, info, hint or off, not `{s}`")),
                            },
                        }
                    }
                }),
                "prices" => w.table(key, value, |w, model, v| {
                    let mut price = llmos_documents::usage::Price::default();
                    let mut has = (false, false);
                    w.table(model, v, |w, k2, v2| {
                        let Some(x) = w.price(k2, v2) else { return };
                        match k2.get_ref().as_ref() {
                            "input" => {
                                price.input = x;
                                has.0 = true;
                            }
                            "output" => {
                                price.output = x;
                                has.1 = true;
                            }
                            "cache_read" => price.cache_read = Some(x),
                            "cache_write" => price.cache_write = Some(x),
                            _ => w.unknown(k2, &format!("prices.{}", model.get_ref())),
                        }
                    });
                    if has.0 && has.1 {
                        cfg.prices.insert(model.get_ref().to_string(), price);
                    } else {
                        w.diag(&rules::CONFIG_BAD_VALUE, model.span(), format!("a price needs `input` and `output` (USD per million tokens) for `{}`", model.get_ref()));
                    }
                }),
                _ => w.unknown(key, ""),
            }
        }
        (cfg, diags)
    }

    /// The price of `model`: its own entry, or the longest entry it starts with
    /// (`claude-sonnet-4-5` prices `claude-sonnet-4-5-20250929`).
    pub fn price(&self, model: &str) -> Option<llmos_documents::usage::Price> {
        if let Some(p) = self.prices.get(model) {
            return Some(*p);
        }
        self.prices.iter().filter(|(name, _)| !name.is_empty() && model.starts_with(name.as_str())).max_by_key(|(name, _)| name.len()).map(|(_, p)| *p)
    }

    pub fn volume(&self, kind: VolumeKind) -> &VolumeConfig {
        self.volumes.iter().find(|v| v.kind == kind).expect("all three volumes exist")
    }

    pub fn job(&self, kind: VolumeKind) -> &EvolutionJob {
        self.evolution.jobs.iter().find(|j| j.volume == kind).expect("a job per volume")
    }

    /// Applies `[rules]` overrides; drops diagnostics of rules turned off.
    pub fn apply_severities(&self, diags: Vec<Diagnostic>) -> Vec<Diagnostic> {
        if self.rules.is_empty() {
            return diags;
        }
        diags
            .into_iter()
            .filter_map(|mut d| match self.rules.get(d.rule) {
                Some(None) => None,
                Some(Some(sev)) => {
                    d.severity = *sev;
                    Some(d)
                }
                None => Some(d),
            })
            .collect()
    }

    /// The volume holding `path`, if any (the most specific one when volumes nest).
    pub fn volume_of(&self, path: &Path) -> Option<&VolumeConfig> {
        self.volumes.iter().filter(|v| path.starts_with(&v.path)).max_by_key(|v| v.path.components().count())
    }
}

fn header_range(text: &str, key_span: Range<usize>) -> Range<usize> {
    llmos_documents::line_bounds::line_start(text, key_span.start)..llmos_documents::line_bounds::line_end(text, key_span.end)
}

pub fn is_http_url(s: &str) -> bool {
    let rest = s.strip_prefix("https://").or_else(|| s.strip_prefix("http://"));
    rest.is_some_and(|r| !r.is_empty() && !r.starts_with('/') && !r.contains(char::is_whitespace))
}

pub fn is_remote(s: &str) -> bool {
    if let Some(rest) = s.strip_prefix("github:") {
        let mut parts = rest.split('/');
        let ok = |p: Option<&str>| p.is_some_and(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)));
        return ok(parts.next()) && ok(parts.next()) && parts.next().is_none();
    }
    if s.contains(char::is_whitespace) || s.is_empty() {
        return false;
    }
    ["https://", "http://", "ssh://", "git://", "file://"].iter().any(|p| s.starts_with(p) && s.len() > p.len())
        || s.contains('@') && s.contains(':')
        || s.starts_with('/')
        || s.starts_with("./")
        || s.starts_with("../")
}

/// Catches a pasted API key where a variable name belongs.
fn looks_like_secret(s: &str) -> bool {
    s.starts_with("sk-") || s.starts_with("ghp_") || s.starts_with("github_pat_") || (s.len() > 40 && !s.contains('_'))
}

struct Walker<'d> {
    diags: &'d mut Vec<Diagnostic>,
}

type Key<'i> = Spanned<std::borrow::Cow<'i, str>>;
type Val<'i> = Spanned<DeValue<'i>>;

impl Walker<'_> {
    fn diag(&mut self, rule: &'static rules::Rule, span: Range<usize>, msg: String) {
        self.diags.push(Diagnostic::new(rule, span, msg));
    }

    fn bad(&mut self, value: &Val<'_>, msg: String) {
        self.diag(&rules::CONFIG_BAD_VALUE, value.span(), msg);
    }

    fn unknown(&mut self, key: &Key<'_>, table: &str) {
        let place = if table.is_empty() { "at the top level".to_string() } else { format!("in [{table}]") };
        self.diag(&rules::CONFIG_UNKNOWN_KEY, key.span(), format!("`{}` is not a key llmos knows {place}", key.get_ref()));
    }

    fn expect(&mut self, key: &Key<'_>, value: &Val<'_>, what: &str) {
        self.bad(value, format!("`{}` must be {what}, not {}", key.get_ref(), value.get_ref().type_str()));
    }

    fn string<'v>(&mut self, key: &Key<'_>, value: &'v Val<'_>) -> Option<&'v str> {
        let s = value.get_ref().as_str();
        if s.is_none() {
            self.expect(key, value, "a string");
        }
        s
    }

    fn bool(&mut self, key: &Key<'_>, value: &Val<'_>) -> Option<bool> {
        let b = value.get_ref().as_bool();
        if b.is_none() {
            self.expect(key, value, "true or false");
        }
        b
    }

    fn int(&mut self, key: &Key<'_>, value: &Val<'_>) -> Option<i64> {
        match value.get_ref().as_integer().and_then(|i| i64::from_str_radix(&i.as_str().replace('_', ""), i.radix()).ok()) {
            Some(n) if n >= 0 => Some(n),
            Some(_) => {
                self.expect(key, value, "a number ≥ 0");
                None
            }
            None => {
                self.expect(key, value, "a whole number");
                None
            }
        }
    }

    /// A price: a number of USD per million tokens, not negative.
    fn price(&mut self, key: &Key<'_>, value: &Val<'_>) -> Option<f64> {
        let v = value.get_ref();
        let x =
            v.as_float().and_then(|f| f.as_str().replace('_', "").parse::<f64>().ok()).or_else(|| v.as_integer().and_then(|i| i.as_str().parse::<f64>().ok()));
        match x {
            Some(x) if x.is_finite() && x >= 0.0 => Some(x),
            _ => {
                self.expect(key, value, "a number of USD per million tokens");
                None
            }
        }
    }

    fn fraction(&mut self, key: &Key<'_>, value: &Val<'_>) -> Option<f64> {
        let v = value.get_ref();
        let x =
            v.as_float().and_then(|f| f.as_str().replace('_', "").parse::<f64>().ok()).or_else(|| v.as_integer().and_then(|i| i.as_str().parse::<f64>().ok()));
        match x {
            Some(x) if (0.0..=1.0).contains(&x) => Some(x),
            _ => {
                self.expect(key, value, "a number between 0 and 1");
                None
            }
        }
    }

    /// `Some(None)` for `off` when allowed.
    fn duration(&mut self, key: &Key<'_>, value: &Val<'_>, allow_off: bool) -> Option<Option<Duration>> {
        let s = value.get_ref().as_str();
        let Some(s) = s else {
            self.expect(key, value, "a duration string such as \"24h\"");
            return None;
        };
        if allow_off && matches!(s, "off" | "never" | "") {
            return Some(None);
        }
        match parse_duration(s) {
            Ok(d) if d.is_zero() => {
                self.diag(
                    &rules::CONFIG_BAD_DURATION,
                    value.span(),
                    format!("`{}` must be longer than zero{}", key.get_ref(), if allow_off { " (use \"off\" to disable)" } else { "" }),
                );
                None
            }
            Ok(d) => Some(Some(d)),
            Err(msg) => {
                self.diag(&rules::CONFIG_BAD_DURATION, value.span(), msg.to_string());
                None
            }
        }
    }

    fn table<'i>(&mut self, key: &Key<'_>, value: &Val<'i>, mut each: impl FnMut(&mut Self, &Key<'i>, &Val<'i>)) {
        match value.get_ref().as_table() {
            Some(t) => {
                for (k, v) in t {
                    each(self, k, v);
                }
            }
            None => self.expect(key, value, "a table"),
        }
    }
}

/// What is under a cursor in `llmos.toml`, found from the spans the parser records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigAt {
    /// A table's name (in its `[header]` or as a dotted key): `volumes.user`.
    Table { table: String, range: Range<usize> },
    /// A key or its value: the table it is in (`""` at the top), the key, the key's span.
    Key { table: String, key: String, range: Range<usize> },
}

/// The table or key at byte `offset` of `llmos.toml`, from the parsed file's spans;
/// `None` on whitespace and comments, and while the file does not parse (its syntax
/// diagnostic says why).
pub fn config_at(text: &str, offset: usize) -> Option<ConfigAt> {
    let table = DeTable::parse(text).ok()?;
    find_at(table.get_ref(), "", offset)
}

fn find_at(table: &DeTable<'_>, path: &str, offset: usize) -> Option<ConfigAt> {
    let inside = |span: &Range<usize>| span.start <= offset && offset < span.end.max(span.start + 1);
    for (key, value) in table {
        let name = key.get_ref().as_ref();
        let full = if path.is_empty() { name.to_string() } else { format!("{path}.{name}") };
        if let Some(sub) = value.get_ref().as_table() {
            if inside(&key.span()) {
                return Some(ConfigAt::Table { table: full, range: key.span() });
            }
            if let Some(found) = find_at(sub, &full, offset) {
                return Some(found);
            }
        } else if inside(&key.span()) || inside(&value.span()) {
            return Some(ConfigAt::Key { table: path.to_string(), key: name.to_string(), range: key.span() });
        }
    }
    None
}

/// The table whose keys a new line at `line_start` would belong to: the last `[header]`
/// above it. Completion asks this of text that is being typed and may not parse yet, so
/// it reads the lines rather than the parsed file.
pub fn table_before(text: &str, line_start: usize) -> String {
    text.get(..line_start)
        .unwrap_or(text)
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('[') && !l.starts_with("[["))
        .map(|l| l.split('#').next().unwrap_or(l).trim().trim_matches(|c| c == '[' || c == ']' || c == ' ').to_string())
        .unwrap_or_default()
}

/// Every key of `llmos.toml` with its table and documentation, for hover and completion.
/// `volumes.*` and `evolution.*` stand for each volume's table.
pub static CONFIG_KEYS: &[(&str, &str, &str)] = &[
    ("", "profile", "Which skill frontmatter keys are allowed: `llmos` (default), `agentskills` (strict standard) or `claude-code`."),
    ("", "max_file_size", "Files larger than this many bytes are not analysed (default 16 MiB)."),
    ("volumes.*", "path", "The volume's folder, relative to the workspace (default `volumes/<name>`)."),
    ("volumes.*", "remote", "The volume's git remote: `github:OWNER/REPO` or any git URL."),
    ("volumes.*", "writable", "Whether llmos may write the volume (the system volume is read-only by default)."),
    ("volumes.*", "branch", "The branch to sync (default: the remote's default branch, else `main`)."),
    ("llm", "provider", "`anthropic` (Messages API) or `openai` (Chat Completions: OpenAI, OpenRouter, Ollama, llama.cpp, vLLM, LM Studio)."),
    ("llm", "model", "The model to use; a session's `model:` overrides it."),
    ("llm", "base_url", "The provider's base URL (default `https://api.anthropic.com` or `https://api.openai.com/v1`)."),
    ("llm", "api_key_env", "The NAME of the environment variable holding the API key (never the key). `\"\"` sends no key."),
    ("llm", "max_tokens", "The most tokens a reply may have (default 4096)."),
    ("llm", "timeout", "How long to wait for the provider and between streamed events, e.g. `\"120s\"`."),
    ("evolution", "detector", "`local` (offline, default), `llm` or `hybrid` (local clusters named by the LLM)."),
    (
        "evolution",
        "min_trigger_precision",
        "The trigger evaluation's precision floor, 0–1 (default 0.5): of the held-out prompts the skill ranker picks the new skill for, this share must belong to the pattern; below it the skill is only proposed.",
    ),
    (
        "evolution",
        "min_trigger_recall",
        "The trigger evaluation's recall floor, 0–1 (default 0.5): this share of the pattern's held-out prompts must pick the new skill; below it the skill is only proposed.",
    ),
    ("evolution.*", "every", "How often the volume's evolution job runs: `\"24h\"`, `\"7d\"` or `\"off\"`."),
    ("evolution.*", "min_occurrences", "A pattern needs at least this many sessions (user 2, team 3, system 5)."),
    ("evolution.*", "min_confidence", "A pattern needs at least this confidence, 0–1 (user 0.7, team 0.75, system 0.85)."),
    ("evolution.*", "generate_min_confidence", "A skill is written for patterns at least this confident (default 0.85)."),
    ("github", "api_url", "GitHub's REST API (default `https://api.github.com`; GitHub Enterprise: `https://HOST/api/v3`)."),
    ("github", "git_url", "Where `github:OWNER/REPO` remotes point: `{git_url}/OWNER/REPO.git` (default `https://github.com`)."),
    ("github", "oauth_url", "Where the device-flow login endpoints live (default: `git_url`)."),
    ("github", "token_env", "The environment variable holding a GitHub token (default `GITHUB_TOKEN`, then `GH_TOKEN`)."),
    ("github", "client_id", "The OAuth app's client id used by `llmos login`."),
    (
        "evolution",
        "install",
        "Where new evolved skills are installed for other agents: `[\"claude-code\", \"agents\"]` (`~/.claude/skills`, `~/.agents/skills`).",
    ),
    ("chat", "context_tokens", "Token budget for skills added to a chat by relevance (default 4000)."),
    ("prices.*", "input", "USD per million input tokens of this model (`[prices.\"MODEL\"]`); with `output`, recorded usage is shown as cost."),
    ("prices.*", "output", "USD per million output tokens of this model."),
    ("prices.*", "cache_read", "USD per million prompt tokens read from the cache (default: the input price)."),
    ("prices.*", "cache_write", "USD per million prompt tokens written to the cache (default: the input price)."),
];

/// The tables of `llmos.toml`.
pub static CONFIG_TABLES: &[&str] =
    &["volumes.user", "volumes.team", "volumes.system", "llm", "evolution", "evolution.user", "evolution.team", "evolution.system", "github", "chat", "rules"];

/// The documentation of `key` inside `table` (`volumes.user` matches `volumes.*`).
pub fn config_key_doc(table: &str, key: &str) -> Option<&'static str> {
    let generic = match table.split_once('.') {
        Some((head, _)) => format!("{head}.*"),
        None => table.to_string(),
    };
    CONFIG_KEYS.iter().find(|(t, k, _)| *k == key && (*t == table || *t == generic)).map(|(_, _, d)| *d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> (Config, Vec<Diagnostic>) {
        Config::parse(text, Path::new("/ws"))
    }

    #[test]
    fn price_table() {
        let (cfg, diags) = parse(
            "[prices.\"claude-sonnet-4-5\"]\ninput = 3\noutput = 15.0\ncache_read = 0.3\n[prices.half]\ninput = 1\n[prices.neg]\ninput = -1\noutput = 1\ncolour = 2\n",
        );
        let p = cfg.prices.get("claude-sonnet-4-5").unwrap();
        assert_eq!((p.input, p.output, p.cache_read, p.cache_write), (3.0, 15.0, Some(0.3), None));
        assert!(!cfg.prices.contains_key("half") && !cfg.prices.contains_key("neg"));
        let messages: Vec<&str> = diags.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(messages.len(), 4, "{messages:?}");
        assert!(messages.iter().any(|m| m.contains("needs `input` and `output`") && m.contains("half")), "{messages:?}");
        assert!(messages.iter().any(|m| m.contains("USD per million")), "{messages:?}");
        assert!(messages.iter().any(|m| m.contains("`colour` is not a key")), "{messages:?}");
    }

    #[test]
    fn defaults_without_file() {
        let (cfg, diags) = parse("");
        assert!(diags.is_empty());
        assert_eq!(cfg.volume(VolumeKind::User).path, Path::new("/ws/volumes/user"));
        assert!(!cfg.volume(VolumeKind::System).writable);
        assert_eq!(cfg.job(VolumeKind::Team).every, Some(Duration::from_secs(7 * 86_400)));
        assert_eq!(cfg.job(VolumeKind::System).every, None);
    }

    #[test]
    fn full_file() {
        let text = "profile = \"agentskills\"\n[volumes.team]\nremote = \"github:acme/team\"\n[llm]\nprovider = \"openai\"\nbase_url = \"http://127.0.0.1:8080/v1/\"\ntimeout = \"30s\"\n[evolution.user]\nevery = \"12h\"\nmin_confidence = 0.8\n[rules]\n\"skill/description-when\" = \"off\"\n";
        let (cfg, diags) = parse(text);
        assert!(diags.is_empty(), "{diags:#?}");
        assert_eq!(cfg.profile, Profile::Agentskills);
        assert_eq!(cfg.volume(VolumeKind::Team).remote.as_deref(), Some("github:acme/team"));
        let llm = cfg.llm.clone().unwrap();
        assert_eq!(llm.base_url.as_deref(), Some("http://127.0.0.1:8080/v1"));
        assert_eq!(llm.timeout, Some(Duration::from_secs(30)));
        assert_eq!(cfg.job(VolumeKind::User).every, Some(Duration::from_secs(12 * 3600)));
        let header = cfg.job(VolumeKind::User).header.clone().unwrap();
        assert_eq!(&text[header], "[evolution.user]");
        assert_eq!(cfg.rules.get("skill/description-when"), Some(&None));
    }

    #[test]
    fn bad_values_point_at_their_span() {
        let text = "colour = 1\n[evolution.user]\nevery = \"soon\"\n[llm]\nprovider = \"anthropic\"\nbase_url = \"ftp://x\"\napi_key_env = \"sk-ant-abcdef\"\n[volumes.user]\nremote = \"not a url\"\n[rules]\n\"no/such\" = \"off\"\n";
        let (_, diags) = parse(text);
        let got: Vec<(&str, &str)> = diags.iter().map(|d| (d.rule, &text[d.range.clone()])).collect();
        assert_eq!(
            got,
            [
                ("config/unknown-key", "colour"),
                ("config/bad-duration", "\"soon\""),
                ("config/bad-url", "\"ftp://x\""),
                ("config/bad-value", "\"sk-ant-abcdef\""),
                ("config/bad-url", "\"not a url\""),
                ("config/unknown-key", "\"no/such\""),
            ]
        );
        // the key itself never appears in a message
        assert!(diags.iter().all(|d| !d.message.contains("sk-ant-abcdef")));
    }

    #[test]
    fn syntax_error_has_a_position() {
        let (cfg, diags) = parse("[llm\nprovider = 1\n");
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].rule, "config/syntax");
        assert!(diags[0].range.start < 8, "{:?}", diags[0].range);
        assert!(cfg.llm.is_none());
    }

    #[test]
    fn config_at_finds_tables_keys_and_values_by_span() {
        let text = "profile = \"llmos\"\n\n[llm]\nprovider = \"openai\" # comment\n\n[volumes.user]\nremote = \"github:a/b\"\n";
        let at = |needle: &str, delta: usize| config_at(text, text.find(needle).map(|i| i + delta).unwrap_or(usize::MAX));
        assert!(matches!(at("profile", 2), Some(ConfigAt::Key { ref table, ref key, .. }) if table.is_empty() && key == "profile"));
        assert!(matches!(at("\"openai\"", 3), Some(ConfigAt::Key { ref table, ref key, .. }) if table == "llm" && key == "provider"));
        assert!(matches!(at("[llm]", 2), Some(ConfigAt::Table { ref table, .. }) if table == "llm"));
        assert!(matches!(at("user]", 1), Some(ConfigAt::Table { ref table, .. }) if table == "volumes.user"));
        assert!(
            matches!(at("remote", 0), Some(ConfigAt::Key { ref table, ref key, range }) if table == "volumes.user" && key == "remote" && &text[range.clone()] == "remote")
        );
        assert_eq!(at("# comment", 3), None);
        assert_eq!(config_at("[llm\nprovider = 1", 6), None, "a file that does not parse has no spans");
    }

    #[test]
    fn table_before_reads_the_last_header() {
        let text = "[llm]\nmodel = \"x\"\n[evolution.user] # jobs\n\n";
        assert_eq!(table_before(text, 0), "");
        assert_eq!(table_before(text, text.find("model").unwrap_or(0)), "llm");
        assert_eq!(table_before(text, text.len()), "evolution.user");
    }
}
