//! The evolution engine's core: from session records to patterns, skills and a
//! report (docs/design.md §5).
//!
//! This crate sees plain values only. Reading git history into
//! [`SessionRecord`]s, calling an LLM provider, linting and writing skills, and
//! scheduling runs belong to the callers; here are the pure parts:
//! - [`detect_local`]: offline, deterministic, near-linear pattern detection;
//! - [`Thresholds`]: which patterns are kept and which become skills;
//! - [`llm`]: prompts and strict answer parsing for `llm` and `hybrid` detection;
//! - [`distill`]: what a skill says, from the member sessions;
//! - [`trigger`]: would the chat's skill ranker pick the skill (held-out evaluation);
//! - [`render_skill`] / [`update_skill`] / [`generation_state`]: SKILL.md text;
//! - [`render_report`] / [`render_occurrences_svg`]: the run's report;
//! - [`synthetic::generate_history`]: generated histories for benchmarks.

// Histories, sessions and model answers are data we do not control: no byte-index
// slicing or unchecked indexing outside tests (graph code allows it per function).
#![cfg_attr(not(test), deny(clippy::string_slice, clippy::indexing_slicing))]

mod concepts;
pub mod distill;
mod features;
mod graph;
pub mod llm;
mod local;
mod record;
mod report;
mod skill;
mod slug;
pub mod synthetic;
mod thresholds;
pub mod trigger;
pub mod writer;

pub use distill::{Material, distill};
pub use llm::{
    DetectError, LlmPattern, PatternNaming, batches, build_detection_prompt, build_naming_prompt, merge_batch_patterns, parse_detection_response,
    parse_naming_response, pattern_from_llm,
};
pub use local::{COHESION_CEILING, COHESION_FLOOR, LocalConfig, confidence, detect_local, detect_local_with};
pub use record::{Pattern, SessionRecord};
pub use report::{EvolutionResult, LlmEval, SkillAction, SkillOutcome, render_occurrences_svg, render_report};
pub use skill::{GENERATED_HASH_KEY, GenerationState, generation_state, render_distilled, render_distilled_with, render_skill, update_skill};
pub use slug::{MAX_SKILL_NAME_LEN, is_valid_skill_name, slugify};
pub use thresholds::{TEAM_BOOST_MAX, TEAM_BOOST_PER_EXTRA_AUTHOR, Thresholds, VolumeKind};
pub use trigger::{SkillCard, TriggerEval};
