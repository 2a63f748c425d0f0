//! The index of every skill and session in the workspace's volumes.
//!
//! Built in parallel at start-up and updated one file at a time afterwards (editor
//! changes, file watching). Entries are summaries; the texts stay on disk or in the
//! editor's buffers.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use llmos_artifacts::LinkResolver;
use llmos_documents::lint::{LinkCheck, LintEnv, SkillLocation, expected_skill_name};
use llmos_documents::{SessionDoc, SkillDoc, VolumeKind};
use rayon::prelude::*;

use crate::config::Config;
use crate::kind::{DocKind, classify};

#[derive(Debug, Clone, PartialEq)]
pub struct SkillEntry {
    /// The declared name, or the folder/file name when none is declared.
    pub name: String,
    pub description: String,
    /// Claude Code's `when_to_use` (empty when absent): part of what its listing shows.
    pub when_to_use: String,
    pub keywords: Vec<String>,
    pub volume: VolumeKind,
    pub path: PathBuf,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SessionEntry {
    pub title: String,
    pub id: String,
    pub volume: VolumeKind,
    pub path: PathBuf,
    pub pinned: Vec<String>,
    /// Names of skills the session links to (`[x](../skills/x/SKILL.md)`).
    pub linked_skills: Vec<String>,
    pub first_prompt: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Index {
    skills: BTreeMap<PathBuf, SkillEntry>,
    sessions: BTreeMap<PathBuf, SessionEntry>,
    /// Skill volumes and paths by name, names in order (prefix completion walks a
    /// range), each list highest precedence first: lint rules ask this for every pinned
    /// skill, and looking each path up again in `skills` showed in `llmos check` profiles.
    by_name: BTreeMap<String, Vec<(VolumeKind, PathBuf)>>,
    /// Sessions that pin or link each skill name, kept up to date on every change so
    /// hovers and lenses do not scan every session.
    users: HashMap<String, BTreeSet<PathBuf>>,
}

/// Where a file sits: its volume and path relative to the volume root.
pub fn locate<'c>(config: &'c Config, path: &Path) -> Option<(&'c crate::config::VolumeConfig, PathBuf)> {
    let vol = config.volume_of(path)?;
    let rel = path.strip_prefix(&vol.path).ok()?.to_path_buf();
    Some((vol, rel))
}

impl Index {
    /// Walks every volume and parses all skills and sessions on all cores.
    pub fn build(config: &Config) -> Self {
        Self::build_from(config, &walk_volumes(config))
    }

    /// [`Index::build`] over files already listed by [`walk_volumes`] (`llmos check` lists
    /// once and indexes only the skills, the one thing lint rules look up across files).
    pub fn build_from(config: &Config, files: &[VolumeFile]) -> Self {
        let max = config.max_file_size;
        let parsed: Vec<Parsed> = files
            .par_iter()
            .filter_map(|(volume, path, kind)| {
                let text = match crate::bounded::read_listed(path, max) {
                    Ok(bytes) => String::from_utf8(bytes).ok(),
                    Err(e) if e.is_not_found() => return None,
                    Err(_) => None,
                };
                Some(parse_entry(*volume, path, *kind, text.as_deref().unwrap_or("")))
            })
            .collect();
        // The maps are built in bulk (sorted runs from the walk), not entry by entry: with
        // 200,000 path keys, one insert at a time was the longest serial part of start-up.
        let mut index = Index::default();
        let (mut skills, mut sessions) = (Vec::new(), Vec::new());
        for p in parsed {
            match p {
                Parsed::Skill(entry) => {
                    index.name_skill(&entry);
                    skills.push((entry.path.clone(), entry));
                }
                Parsed::Session(entry) => {
                    index.note_users(&entry);
                    sessions.push((entry.path.clone(), entry));
                }
            }
        }
        index.skills = skills.into_iter().collect();
        index.sessions = sessions.into_iter().collect();
        index
    }

    fn name_skill(&mut self, entry: &SkillEntry) {
        let named = self.by_name.entry(entry.name.clone()).or_default();
        let key = (entry.volume.precedence(), entry.path.as_path());
        let at = named.partition_point(|(v, p)| (v.precedence(), p.as_path()) < key);
        named.insert(at, (entry.volume, entry.path.clone()));
    }

    fn note_users(&mut self, entry: &SessionEntry) {
        for name in entry.pinned.iter().chain(&entry.linked_skills) {
            self.users.entry(name.clone()).or_default().insert(entry.path.clone());
        }
    }

    fn insert(&mut self, parsed: Parsed) {
        match parsed {
            Parsed::Skill(entry) => {
                self.name_skill(&entry);
                self.skills.insert(entry.path.clone(), entry);
            }
            Parsed::Session(entry) => {
                self.note_users(&entry);
                self.sessions.insert(entry.path.clone(), entry);
            }
        }
    }

    /// Re-reads one document from its current text (buffer or disk). Returns whether the
    /// set of skill names changed, which other documents' diagnostics depend on.
    pub fn update(&mut self, config: &Config, path: &Path, text: &str) -> bool {
        let Some((vol, rel)) = locate(config, path) else { return false };
        let Some(kind) = classify(&rel).filter(|k| *k != DocKind::Config) else { return false };
        let before = self.skills.get(path).map(|s| s.name.clone());
        self.remove(path);
        let parsed = parse_entry(vol.kind, path, kind, text);
        self.insert(parsed);
        let after = self.skills.get(path).map(|s| s.name.clone());
        before != after
    }

    /// [`Index::update`] for a session already parsed.
    pub fn update_session(&mut self, config: &Config, path: &Path, doc: &SessionDoc, text: &str) {
        let Some((vol, _)) = locate(config, path) else { return };
        let volume = vol.kind;
        self.remove(path);
        self.insert(Parsed::Session(session_entry(volume, path, doc, text)));
    }

    /// Forgets a document (deleted on disk). Returns whether a skill name went away.
    pub fn remove(&mut self, path: &Path) -> bool {
        if let Some(old) = self.sessions.remove(path) {
            for name in old.pinned.iter().chain(&old.linked_skills) {
                if let Some(set) = self.users.get_mut(name) {
                    set.remove(path);
                    if set.is_empty() {
                        self.users.remove(name);
                    }
                }
            }
        }
        if let Some(old) = self.skills.remove(path) {
            if let Some(paths) = self.by_name.get_mut(&old.name) {
                paths.retain(|(_, p)| p != path);
                if paths.is_empty() {
                    self.by_name.remove(&old.name);
                }
            }
            return true;
        }
        false
    }

    /// Forgets every document under a folder (a deleted or renamed skill folder).
    pub fn remove_under(&mut self, dir: &Path) -> bool {
        let gone: Vec<PathBuf> = self.skills.keys().chain(self.sessions.keys()).filter(|p| p.starts_with(dir)).cloned().collect();
        let mut changed = false;
        for p in gone {
            changed |= self.remove(&p);
        }
        changed
    }

    pub fn skills(&self) -> impl Iterator<Item = &SkillEntry> {
        self.skills.values()
    }

    pub fn sessions(&self) -> impl Iterator<Item = &SessionEntry> {
        self.sessions.values()
    }

    pub fn skill_at(&self, path: &Path) -> Option<&SkillEntry> {
        self.skills.get(path)
    }

    pub fn session_at(&self, path: &Path) -> Option<&SessionEntry> {
        self.sessions.get(path)
    }

    pub fn skill_count(&self) -> usize {
        self.skills.len()
    }

    pub fn session_count(&self) -> usize {
        self.sessions.len()
    }

    /// Every skill with this name, highest precedence first.
    pub fn skills_named(&self, name: &str) -> Vec<&SkillEntry> {
        self.by_name.get(name).into_iter().flatten().filter_map(|(_, p)| self.skills.get(p)).collect()
    }

    /// Where each skill with this name lives, highest precedence first, without looking
    /// the entries up.
    pub fn skill_locations(&self, name: &str) -> impl Iterator<Item = (VolumeKind, &Path)> {
        self.by_name.get(name).into_iter().flatten().map(|(v, p)| (*v, p.as_path()))
    }

    /// The skill a name resolves to: user > team > system.
    pub fn resolve_skill(&self, name: &str) -> Option<&SkillEntry> {
        self.skills_named(name).into_iter().next()
    }

    /// Sessions that pin or link the skill `name`, across volumes.
    pub fn sessions_using(&self, name: &str) -> Vec<&SessionEntry> {
        self.users.get(name).into_iter().flatten().filter_map(|p| self.sessions.get(p)).collect()
    }

    /// How many sessions pin or link the skill `name`.
    pub fn usage_count(&self, name: &str) -> usize {
        self.users.get(name).map_or(0, BTreeSet::len)
    }

    /// The first indexed session in `dir` whose file name starts with `prefix` (a sync
    /// twin `<id>.local-<sha>.md`), without listing the folder.
    pub fn session_file_with_prefix(&self, dir: &Path, prefix: &str) -> Option<String> {
        let from = dir.join(prefix);
        self.sessions
            .range::<Path, _>((std::ops::Bound::Included(from.as_path()), std::ops::Bound::Unbounded))
            .map(|(p, _)| p)
            // Names sharing the prefix sort right after it: look no further than them.
            .map_while(|p| p.file_name()?.to_str().filter(|n| p.parent() == Some(dir) && n.starts_with(prefix)))
            .next()
            .map(str::to_string)
    }

    /// Distinct skill names starting with `prefix`, in order, resolved by precedence.
    pub fn skills_with_prefix<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = &'a SkillEntry> + 'a {
        self.by_name
            .range::<str, _>((std::ops::Bound::Included(prefix), std::ops::Bound::Unbounded))
            .take_while(move |(n, _)| n.starts_with(prefix))
            .filter_map(|(n, _)| self.resolve_skill(n))
    }
}

enum Parsed {
    Skill(SkillEntry),
    Session(SessionEntry),
}

fn parse_entry(volume: VolumeKind, path: &Path, kind: DocKind, text: &str) -> Parsed {
    match kind {
        DocKind::Session => {
            // Only links to skills are kept (`linked_skills`), and a destination can only
            // name `skills` literally or through an entity (`&#115;kills`).
            let doc = SessionDoc::parse_with_links_where(text, |region| region.contains("skills") || region.contains('&'));
            Parsed::Session(session_entry(volume, path, &doc, text))
        }
        _ => {
            let doc = SkillDoc::parse(text);
            let name = doc.name().filter(|n| !n.is_empty()).map(str::to_string).or_else(|| expected_skill_name(path)).unwrap_or_default();
            Parsed::Skill(SkillEntry {
                name,
                description: doc.description().unwrap_or_default().to_string(),
                when_to_use: doc.frontmatter.str_value("when_to_use").unwrap_or_default().to_string(),
                keywords: doc.keywords().into_iter().map(str::to_string).collect(),
                volume,
                path: path.to_path_buf(),
            })
        }
    }
}

fn session_entry(volume: VolumeKind, path: &Path, doc: &SessionDoc, text: &str) -> SessionEntry {
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_string();
    let mut linked_skills: Vec<String> = doc.links.iter().filter(|l| l.target.contains("skills")).filter_map(|l| linked_skill_name(path, &l.target)).collect();
    linked_skills.sort();
    linked_skills.dedup();
    SessionEntry {
        title: doc.title().map(str::to_string).unwrap_or_else(|| stem.clone()),
        id: doc.id().map(str::to_string).unwrap_or(stem),
        volume,
        path: path.to_path_buf(),
        pinned: doc.pinned_skills().into_iter().map(|(s, _)| s.to_string()).collect(),
        linked_skills,
        first_prompt: doc.first_prompt(text),
    }
}

/// The skill name a session link points at, judged lexically (`../skills/x/SKILL.md`,
/// `../skills/x.md`, `../skills/x/`).
pub fn linked_skill_name(session_path: &Path, target: &str) -> Option<String> {
    let target = target.split(['#', '?']).next()?;
    let dir = session_path.parent()?;
    let mut parts: Vec<String> = Vec::new();
    for c in dir.join(target).components() {
        match c {
            Component::ParentDir => {
                parts.pop();
            }
            Component::Normal(s) => parts.push(s.to_str()?.to_string()),
            _ => {}
        }
    }
    let pos = parts.iter().rposition(|p| p == "skills")?;
    match parts.get(pos + 1..)? {
        [dir, file] if file == "SKILL.md" => Some(dir.clone()),
        [dir] if !dir.ends_with(".md") => Some(dir.clone()),
        [file] => file.strip_suffix(".md").map(str::to_string),
        _ => None,
    }
}

/// One skill or session file found in a volume.
pub type VolumeFile = (VolumeKind, PathBuf, DocKind);

/// Every skill and session file of every volume, from one walk of each volume's
/// `skills/` and `sessions/` folders, in walk order.
pub fn walk_volumes(config: &Config) -> Vec<VolumeFile> {
    let mut files = Vec::new();
    for vol in &config.volumes {
        collect(&vol.path, vol.kind, &mut files);
    }
    files
}

fn collect(root: &Path, volume: VolumeKind, out: &mut Vec<VolumeFile>) {
    for (sub, depth) in [("skills", 2), ("sessions", 1)] {
        // Names in order: the listing then comes out in path order, one sorted run per
        // folder kind, which makes sorting reports and filling the index cheap. Skill
        // folders are listed in parallel: 100,000 of them are 100,000 `getdents` calls.
        let files = sorted_files(&root.join(sub), depth);
        out.extend(files.into_iter().filter_map(|path| {
            let kind = classify(path.strip_prefix(root).ok()?)?;
            Some((volume, path, kind))
        }));
    }
}

/// The regular files under `dir` down to `depth` levels, each folder's entries sorted by
/// name, a folder's files right where the folder sorts (a depth-first walk). Symlinks
/// are neither followed nor listed; unreadable folders are skipped.
fn sorted_files(dir: &Path, depth: usize) -> Vec<PathBuf> {
    let Ok(listing) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut entries: Vec<(std::ffi::OsString, std::fs::FileType)> =
        listing.filter_map(Result::ok).filter_map(|e| Some((e.file_name(), e.file_type().ok()?))).collect();
    entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let per_entry = |(name, kind): &(std::ffi::OsString, std::fs::FileType)| -> Vec<PathBuf> {
        let path = dir.join(name);
        if kind.is_file() {
            vec![path]
        } else if kind.is_dir() && depth > 1 {
            sorted_files(&path, depth - 1)
        } else {
            Vec::new()
        }
    };
    if depth > 1 { entries.par_iter().map(per_entry).collect::<Vec<_>>().into_iter().flatten().collect() } else { entries.iter().flat_map(per_entry).collect() }
}

/// Link checks remembered between keystrokes: resolving a link touches the file system,
/// and a 1 MB transcript holds hundreds of them. Entries are dropped when files change
/// (file watching) and, for editors that do not report changes, after a few seconds.
/// It also keeps one [`LinkResolver`] per volume (the canonical root and the folders
/// known to be real), dropped with the entries.
#[derive(Debug)]
pub struct LinkCache {
    inner: std::sync::Mutex<CachedLinks>,
    resolvers: std::sync::RwLock<HashMap<PathBuf, Arc<LinkResolver>>>,
    /// Whether answers are kept per (folder, target); not when each link is asked once.
    remember: bool,
}

/// When the oldest entry was made, and document folder → target → result (two levels,
/// so a hit is looked up by reference: a 1 MB transcript asks for ~800 links a keystroke).
type CachedLinks = (Option<std::time::Instant>, HashMap<PathBuf, HashMap<String, LinkCheck>>);

impl Default for LinkCache {
    fn default() -> Self {
        Self { inner: Default::default(), resolvers: Default::default(), remember: true }
    }
}

impl LinkCache {
    const TTL: std::time::Duration = std::time::Duration::from_secs(5);

    /// For one pass over many files (`llmos check`): the resolvers are shared, answers
    /// are not kept, since each session's links are its own.
    pub fn for_one_pass() -> Self {
        Self { remember: false, ..Self::default() }
    }

    pub fn clear(&self) {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        g.1.clear();
        g.0 = None;
        self.resolvers.write().unwrap_or_else(|e| e.into_inner()).clear();
    }

    /// The resolver of the volume at `root`, made on first use.
    fn resolver(&self, root: &Path) -> Arc<LinkResolver> {
        if let Some(r) = self.resolvers.read().unwrap_or_else(|e| e.into_inner()).get(root) {
            return r.clone();
        }
        let mut map = self.resolvers.write().unwrap_or_else(|e| e.into_inner());
        map.entry(root.to_path_buf()).or_insert_with(|| Arc::new(LinkResolver::new(root))).clone()
    }

    /// Remembered answers for many targets of one folder: the lock taken and the
    /// folder looked up once for the hits, the misses checked outside the lock.
    fn get_many(&self, dir: &Path, targets: &[&str], check: impl Fn(&[&str]) -> Vec<LinkCheck>) -> Vec<LinkCheck> {
        if !self.remember {
            return check(targets);
        }
        let mut found: Vec<Option<LinkCheck>> = {
            let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            self.expire(&mut g);
            match g.1.get(dir) {
                Some(known) => targets.iter().map(|t| known.get(*t).cloned()).collect(),
                None => vec![None; targets.len()],
            }
        };
        let missing: Vec<usize> = found.iter().enumerate().filter(|(_, f)| f.is_none()).map(|(i, _)| i).collect();
        let asked: Vec<&str> = missing.iter().filter_map(|&i| targets.get(i).copied()).collect();
        let misses: Vec<(usize, LinkCheck)> = missing.into_iter().zip(check(&asked)).collect();
        if !misses.is_empty() {
            let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            g.0.get_or_insert_with(std::time::Instant::now);
            let known = g.1.entry(dir.to_path_buf()).or_default();
            for (i, result) in &misses {
                if let Some(target) = targets.get(*i) {
                    known.insert(target.to_string(), result.clone());
                }
            }
        }
        for (i, result) in misses {
            if let Some(slot) = found.get_mut(i) {
                *slot = Some(result);
            }
        }
        found.into_iter().map(|f| f.unwrap_or(LinkCheck::Ok)).collect()
    }

    /// Forgets everything once the oldest answer is older than the TTL.
    fn expire(&self, g: &mut CachedLinks) {
        if g.0.is_some_and(|t| t.elapsed() > Self::TTL) {
            g.1.clear();
            g.0 = None;
            // Folders known to be real may have changed too.
            self.resolvers.write().unwrap_or_else(|e| e.into_inner()).clear();
        }
    }
}

/// The cross-file facts the lint rules need, answered from the index and the disk.
pub struct WorkspaceEnv<'a> {
    pub config: &'a Config,
    pub index: &'a Index,
    /// Remembered link checks and resolvers; `None` checks every link afresh.
    pub links: Option<&'a LinkCache>,
}

impl LintEnv for WorkspaceEnv<'_> {
    fn skills_named(&self, name: &str) -> Vec<SkillLocation> {
        self.index.skill_locations(name).map(|(volume, path)| SkillLocation { volume, path: path.to_path_buf() }).collect()
    }

    fn check_link(&self, doc_path: &Path, target: &str) -> LinkCheck {
        // One path for one link and many: the batch, with a batch of one.
        self.check_links(doc_path, &[target]).pop().unwrap_or(LinkCheck::Ok)
    }

    fn check_links(&self, doc_path: &Path, targets: &[&str]) -> Vec<LinkCheck> {
        let volume = self.config.volume_of(doc_path).map(|v| v.path.as_path());
        match (self.links, doc_path.parent(), volume) {
            (Some(cache), Some(dir), Some(root)) => {
                let resolver = cache.resolver(root);
                cache.get_many(dir, targets, |misses| {
                    resolver.resolve_all(doc_path, misses).into_iter().zip(misses).map(|(resolved, target)| link_check(resolved, target)).collect()
                })
            }
            (_, _, Some(root)) => targets.iter().map(|t| check_link_in(root, doc_path, t)).collect(),
            (_, Some(dir), None) => targets.iter().map(|t| check_link_in(dir, doc_path, t)).collect(),
            (_, None, None) => vec![LinkCheck::Ok; targets.len()],
        }
    }
}

/// Resolves a link against a volume root and says what became of it.
pub fn check_link_in(volume_root: &Path, doc_path: &Path, target: &str) -> LinkCheck {
    link_check(llmos_artifacts::resolve_link(volume_root, doc_path, target), target)
}

fn link_check(resolved: Result<PathBuf, llmos_artifacts::LinkError>, target: &str) -> LinkCheck {
    use llmos_artifacts::LinkError;
    match resolved {
        Ok(_) => LinkCheck::Ok,
        Err(LinkError::NotLocal { .. } | LinkError::Empty) => LinkCheck::NotLocal,
        Err(e @ LinkError::OutsideVolume) => LinkCheck::OutsideVolume(format!("{e}: `{target}` is not read")),
        Err(LinkError::IsDirectory { .. }) => LinkCheck::Ok,
        Err(e) => LinkCheck::Missing(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]

        /// Checking a document's links at once, through the cache (cold, then warm), says
        /// for each link what resolving it alone against the volume says.
        #[test]
        fn links_checked_at_once_match_links_checked_alone(picks in proptest::collection::vec(0usize..TARGETS.len(), 0..24)) {
            let dir = tempfile::tempdir().expect("tempdir");
            let root = dir.path();
            std::fs::write(root.join(crate::config::FILE_NAME), "").expect("config");
            let sessions = root.join("volumes/user/sessions");
            std::fs::create_dir_all(sessions.join("sub")).expect("mkdir");
            std::fs::create_dir_all(root.join("volumes/user/artifacts")).expect("mkdir");
            std::fs::write(root.join("volumes/user/artifacts/a.csv"), "x").expect("write");
            std::fs::write(sessions.join("sub/b.md"), "x").expect("write");
            std::fs::write(root.join("outside.md"), "x").expect("write");
            let (config, _) = Config::load(root);
            let doc = sessions.join("s.md");
            let targets: Vec<&str> = picks.iter().map(|&i| TARGETS[i]).collect();
            let alone: Vec<LinkCheck> = targets.iter().map(|t| check_link_in(&config.volume(VolumeKind::User).path, &doc, t)).collect();
            let cache = LinkCache::default();
            let env = WorkspaceEnv { config: &config, index: &Index::default(), links: Some(&cache) };
            proptest::prop_assert_eq!(&env.check_links(&doc, &targets), &alone, "cold cache");
            proptest::prop_assert_eq!(&env.check_links(&doc, &targets), &alone, "warm cache");
            let one_pass = LinkCache::for_one_pass();
            let env = WorkspaceEnv { config: &config, index: &Index::default(), links: Some(&one_pass) };
            proptest::prop_assert_eq!(&env.check_links(&doc, &targets), &alone, "one pass");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(32))]

        /// The parallel listing gives what walkdir (depth-first, names sorted, no symlinks
        /// followed) gives, in the same order.
        #[test]
        fn listing_matches_walkdir(
            paths in proptest::collection::vec(proptest::collection::vec(proptest::sample::select(vec!["a", "B", "c.md", "SKILL.md", "é", "z z", "_"]), 1..4), 0..30),
            depth in 1usize..3,
        ) {
            let dir = tempfile::tempdir().expect("tempdir");
            let base = dir.path().join("skills");
            std::fs::create_dir_all(&base).expect("mkdir");
            for parts in &paths {
                let path = parts.iter().fold(base.clone(), |p, part| p.join(part));
                // A name already made as a file cannot be a folder too: skip such clashes.
                if let Some(parent) = path.parent() && std::fs::create_dir_all(parent).is_ok() && !path.exists() {
                    let _ = std::fs::write(&path, "x");
                }
            }
            #[cfg(unix)]
            {
                let _ = std::os::unix::fs::symlink(&base, base.join("loop"));
                let _ = std::os::unix::fs::symlink(dir.path().join("nowhere"), base.join("dangling.md"));
            }
            let expected: Vec<PathBuf> = walkdir::WalkDir::new(&base)
                .max_depth(depth)
                .follow_links(false)
                .sort_by_file_name()
                .into_iter()
                .filter_map(Result::ok)
                .filter(|e| e.file_type().is_file())
                .map(|e| e.path().to_path_buf())
                .collect();
            proptest::prop_assert_eq!(sorted_files(&base, depth), expected);
        }
    }

    const TARGETS: &[&str] = &[
        "../artifacts/a.csv",
        "../artifacts/missing.csv",
        "sub/b.md",
        "sub/../sub/b.md",
        "sub",
        "../../../outside.md",
        "https://example.com/x",
        "",
        "#anchor",
        "../artifacts/a.csv#part",
        "/etc/passwd",
    ];

    #[test]
    fn skill_links_from_sessions() {
        let s = Path::new("/w/volumes/user/sessions/a.md");
        assert_eq!(linked_skill_name(s, "../skills/vqe/SKILL.md").as_deref(), Some("vqe"));
        assert_eq!(linked_skill_name(s, "../skills/flat.md").as_deref(), Some("flat"));
        assert_eq!(linked_skill_name(s, "../artifacts/x.py"), None);
    }

    /// The index skips the Markdown parse where no skill link can be, and still finds
    /// every one a full parse finds, entities included.
    #[test]
    fn skipping_link_free_text_keeps_every_skill_link() {
        let path = Path::new("/w/volumes/user/sessions/s.md");
        let text = "---\ntitle: T\n---\n<!-- turn: user -->\nsee [a](../skills/a/SKILL.md) and [x](../artifacts/x.py)\n\
                    <!-- turn: assistant -->\n[b](../sk&#105;lls/b/SKILL.md) [r][d]\n\n[d]: ../skills/c.md\n\
                    ```\n[no](../skills/no/SKILL.md)\n```\n<!-- turn: user -->\nplain words only\n";
        let Parsed::Session(entry) = parse_entry(VolumeKind::User, path, DocKind::Session, text) else { panic!("a session") };
        let full = session_entry(VolumeKind::User, path, &SessionDoc::parse(text), text);
        assert_eq!(entry, full);
        assert_eq!(entry.linked_skills, ["a", "b", "c"]);
    }
}
