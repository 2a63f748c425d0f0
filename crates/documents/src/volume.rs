//! The three volume kinds and their lookup precedence.

use serde::{Deserialize, Serialize};

/// A volume's role. Lookup precedence is user > team > system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VolumeKind {
    User,
    Team,
    System,
}

impl VolumeKind {
    pub const ALL: [VolumeKind; 3] = [VolumeKind::User, VolumeKind::Team, VolumeKind::System];

    pub fn as_str(self) -> &'static str {
        match self {
            VolumeKind::User => "user",
            VolumeKind::Team => "team",
            VolumeKind::System => "system",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "user" => Some(VolumeKind::User),
            "team" => Some(VolumeKind::Team),
            "system" => Some(VolumeKind::System),
            _ => None,
        }
    }

    /// Lower wins: a user skill shadows a team skill of the same name.
    pub fn precedence(self) -> u8 {
        self as u8
    }

    /// The volume a skill is promoted to from this one.
    pub fn next(self) -> Option<VolumeKind> {
        match self {
            VolumeKind::User => Some(VolumeKind::Team),
            VolumeKind::Team => Some(VolumeKind::System),
            VolumeKind::System => None,
        }
    }
}

impl std::fmt::Display for VolumeKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
