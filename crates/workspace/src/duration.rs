//! Durations in `llmos.toml` and on the command line: the one grammar of
//! [`llmos_documents::duration`] (`30s`, `15m`, `24h`, `7d`, `2w`, `1h30m`), and the
//! compact countdown form the scheduler shows (`3h 12m`).

pub use llmos_documents::duration::{DurationError, format_countdown as format_duration, parse_duration};
