//! The relay's configuration: one typed TOML tree, strict (`deny_unknown_fields`), validated at start.
//! See `relay/README.md` for the reference.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use records::{LeagueId, MatchId, VenueId};
use serde::Deserialize;

use crate::merge::MergeConfig;

/// Config errors; each names the offending key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("reading {path}: {source}")]
    Read {
        /// File.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// TOML syntax or type error (the message names the key).
    #[error("parsing config: {0}")]
    Parse(#[from] toml::de::Error),
    /// A value is invalid.
    #[error("config key `{key}`: {reason}")]
    Invalid {
        /// Dotted key.
        key: String,
        /// Why.
        reason: String,
    },
}

fn invalid(key: impl Into<String>, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key: key.into(),
        reason: reason.into(),
    }
}

/// Certificates of the relay.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// PEM of the CA that signs node certificates (the only trust anchor for clients).
    pub ca: PathBuf,
    /// PEM certificate chain of the relay.
    pub cert: PathBuf,
    /// PEM private key of the relay.
    pub key: PathBuf,
}

/// Resource limits.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Concurrent connections (semaphore); beyond it a connection is closed with `TooManyConnections`.
    pub max_connections: usize,
    /// Concurrent bidirectional streams (lanes) a node may open.
    pub max_streams_per_connection: u32,
    /// Largest frame payload accepted; larger closes the connection with `FrameTooLarge`.
    pub max_frame_bytes: usize,
    /// Connection idle timeout.
    pub idle_timeout_ms: u64,
    /// Unacknowledged batches buffered per lane before the relay stops reading it (backpressure).
    pub inflight_batches_per_lane: usize,
    /// Bounded queue from all connections to the store (full = connections wait).
    pub core_queue: usize,
    /// QUIC receive window per stream, bytes.
    pub stream_receive_window: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_connections: 4096,
            max_streams_per_connection: 4,
            max_frame_bytes: 1 << 20,
            idle_timeout_ms: 5_000,
            inflight_batches_per_lane: 256,
            core_queue: 8192,
            stream_receive_window: 1 << 20,
        }
    }
}

/// Merge bounds.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct MergeSettings {
    /// A node silent this long stops holding its match's watermark.
    pub source_grace_ms: u64,
    /// How far behind the watermark content keys are remembered (venue time).
    pub dedupe_horizon_s: u64,
    /// Records buffered per match before the oldest are published regardless.
    pub max_pending_per_match: usize,
}

impl Default for MergeSettings {
    fn default() -> Self {
        let d = MergeConfig::default();
        Self {
            source_grace_ms: (d.source_grace_ns / 1_000_000) as u64,
            dedupe_horizon_s: (d.dedupe_horizon_ns / 1_000_000_000) as u64,
            max_pending_per_match: d.max_pending_per_match,
        }
    }
}

/// Durability of the relay's logs.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct Durability {
    /// fsync the ingest log before acknowledging (group commit: one fsync per batch of appends).
    /// `false` only for benchmarks on throwaway disks.
    pub fsync: bool,
    /// Segment size of the logs, bytes.
    pub segment_bytes: u64,
}

impl Default for Durability {
    fn default() -> Self {
        Self {
            fsync: true,
            segment_bytes: 64 << 20,
        }
    }
}

/// A venue and the matches its nodes may publish.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct VenueConfig {
    /// Venue id (as in node certificates).
    pub id: u32,
    /// Human name.
    #[serde(default)]
    pub name: String,
    /// Matches its nodes may publish.
    pub matches: Vec<u64>,
}

/// A league and its matches.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct LeagueConfig {
    /// League id.
    pub id: u32,
    /// Human name.
    #[serde(default)]
    pub name: String,
    /// Matches merged into this league's stream.
    pub matches: Vec<u64>,
}

/// The whole relay config.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RelayConfig {
    /// UDP address to listen on.
    pub listen: SocketAddr,
    /// Directory of the durable logs.
    pub log_dir: PathBuf,
    /// Certificates.
    pub tls: TlsConfig,
    /// Limits.
    #[serde(default)]
    pub limits: Limits,
    /// Merge bounds.
    #[serde(default)]
    pub merge: MergeSettings,
    /// Durability.
    #[serde(default)]
    pub durability: Durability,
    /// Venues.
    pub venues: Vec<VenueConfig>,
    /// Leagues.
    pub leagues: Vec<LeagueConfig>,
}

/// The validated config, with lookups.
#[derive(Debug, Clone)]
pub struct Validated {
    /// The parsed tree.
    pub config: RelayConfig,
    /// Venue → matches it may publish.
    pub venue_matches: HashMap<VenueId, HashSet<MatchId>>,
    /// League → matches.
    pub leagues: Vec<(LeagueId, Vec<MatchId>)>,
}

impl Validated {
    /// Merge settings in the merge's units.
    pub fn merge_config(&self) -> MergeConfig {
        let m = &self.config.merge;
        MergeConfig {
            source_grace_ns: (m.source_grace_ms as i64).saturating_mul(1_000_000),
            dedupe_horizon_ns: (m.dedupe_horizon_s as i64).saturating_mul(1_000_000_000),
            max_pending_per_match: m.max_pending_per_match,
        }
    }

    /// Idle timeout.
    pub fn idle_timeout(&self) -> Duration {
        Duration::from_millis(self.config.limits.idle_timeout_ms)
    }
}

impl RelayConfig {
    /// Parses TOML text.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        Ok(toml::from_str(text)?)
    }

    /// Reads and parses a file; relative paths inside resolve against the file's directory.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let mut c = Self::parse(&text)?;
        let base = path.parent().unwrap_or(Path::new("."));
        for p in [
            &mut c.log_dir,
            &mut c.tls.ca,
            &mut c.tls.cert,
            &mut c.tls.key,
        ] {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
        Ok(c)
    }

    /// Checks cross-field rules.
    pub fn validate(self) -> Result<Validated, ConfigError> {
        let l = &self.limits;
        for (key, v) in [
            ("limits.max_connections", l.max_connections as u64),
            (
                "limits.max_streams_per_connection",
                u64::from(l.max_streams_per_connection),
            ),
            ("limits.max_frame_bytes", l.max_frame_bytes as u64),
            ("limits.idle_timeout_ms", l.idle_timeout_ms),
            (
                "limits.inflight_batches_per_lane",
                l.inflight_batches_per_lane as u64,
            ),
            ("limits.core_queue", l.core_queue as u64),
            (
                "limits.stream_receive_window",
                u64::from(l.stream_receive_window),
            ),
            (
                "merge.max_pending_per_match",
                self.merge.max_pending_per_match as u64,
            ),
            ("durability.segment_bytes", self.durability.segment_bytes),
        ] {
            if v == 0 {
                return Err(invalid(key, "must be > 0"));
            }
        }
        if l.max_frame_bytes > records::wire::DEFAULT_MAX_FRAME_LEN {
            return Err(invalid(
                "limits.max_frame_bytes",
                format!("at most {}", records::wire::DEFAULT_MAX_FRAME_LEN),
            ));
        }
        let mut league_of: HashMap<MatchId, LeagueId> = HashMap::new();
        let mut leagues = Vec::new();
        let mut seen_leagues = HashSet::new();
        for (i, lg) in self.leagues.iter().enumerate() {
            if !seen_leagues.insert(lg.id) {
                return Err(invalid(
                    format!("leagues[{i}].id"),
                    format!("league {} listed twice", lg.id),
                ));
            }
            for &m in &lg.matches {
                if let Some(other) = league_of.insert(MatchId(m), LeagueId(lg.id)) {
                    return Err(invalid(
                        format!("leagues[{i}].matches"),
                        format!("match {m} is already in league {other}"),
                    ));
                }
            }
            leagues.push((
                LeagueId(lg.id),
                lg.matches.iter().map(|&m| MatchId(m)).collect(),
            ));
        }
        let mut venue_matches: HashMap<VenueId, HashSet<MatchId>> = HashMap::new();
        for (i, v) in self.venues.iter().enumerate() {
            if venue_matches.contains_key(&VenueId(v.id)) {
                return Err(invalid(
                    format!("venues[{i}].id"),
                    format!("venue {} listed twice", v.id),
                ));
            }
            let mut set = HashSet::new();
            for &m in &v.matches {
                if !league_of.contains_key(&MatchId(m)) {
                    return Err(invalid(
                        format!("venues[{i}].matches"),
                        format!("match {m} is in no league"),
                    ));
                }
                set.insert(MatchId(m));
            }
            venue_matches.insert(VenueId(v.id), set);
        }
        Ok(Validated {
            config: self,
            venue_matches,
            leagues,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
listen = "127.0.0.1:0"
log_dir = "logs"
[tls]
ca = "ca.pem"
cert = "relay.pem"
key = "relay.key"
[limits]
max_connections = 10
[[venues]]
id = 1
matches = [100]
[[leagues]]
id = 7
matches = [100, 200]
"#;

    #[test]
    fn parses_and_validates() {
        let v = RelayConfig::parse(GOOD).unwrap().validate().unwrap();
        assert_eq!(v.config.limits.max_connections, 10);
        assert_eq!(
            v.config.limits.max_frame_bytes,
            Limits::default().max_frame_bytes
        );
        assert!(v.venue_matches[&VenueId(1)].contains(&MatchId(100)));
        assert_eq!(
            v.leagues,
            vec![(LeagueId(7), vec![MatchId(100), MatchId(200)])]
        );
    }

    #[test]
    fn unknown_key_is_named() {
        let text = GOOD.replace("max_connections = 10", "max_conections = 10");
        let err = RelayConfig::parse(&text).unwrap_err().to_string();
        assert!(err.contains("max_conections"), "{err}");
    }

    #[test]
    fn invalid_values_name_the_key() {
        let text = GOOD.replace("max_connections = 10", "max_connections = 0");
        let err = RelayConfig::parse(&text)
            .unwrap()
            .validate()
            .unwrap_err()
            .to_string();
        assert!(err.contains("limits.max_connections"), "{err}");
        let text = GOOD.replace("matches = [100]", "matches = [100, 300]");
        let err = RelayConfig::parse(&text)
            .unwrap()
            .validate()
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("venues[0].matches") && err.contains("300"),
            "{err}"
        );
        let text = GOOD.replace("matches = [100, 200]", "matches = [100, 100]");
        let err = RelayConfig::parse(&text)
            .unwrap()
            .validate()
            .unwrap_err()
            .to_string();
        assert!(err.contains("leagues[0].matches"), "{err}");
    }
}
