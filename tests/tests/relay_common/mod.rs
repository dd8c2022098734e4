//! Shared checks of the fault tests: what the edge nodes journaled vs what the relay published.

#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use edge_node::uplink::synthetic::SyntheticMatch;
use records::{LeagueId, MatchId, NodeId, StreamId, VenueId};
use relay::store::{read_league, ContentKey};
use touchline_tests::procs::Event;

/// Event-every of the edge CLI default.
pub const EVENT_EVERY: u64 = 125;

/// The synthetic match an `edge-node uplink` replays.
pub fn synth(venue: u32, node: u32, match_id: u64, rate_hz: u32) -> SyntheticMatch {
    SyntheticMatch {
        venue: VenueId(venue),
        match_id: MatchId(match_id),
        node: NodeId(node),
        stream: StreamId(0),
        rate_hz: rate_hz.max(1),
        objects: 23,
        event_every: EVENT_EVERY,
    }
}

/// Sequence numbers a node journaled (from its events).
pub fn journaled(events: &[Event]) -> Vec<u64> {
    events
        .iter()
        .filter(|e| e.ev == "journal")
        .filter_map(|e| e.get("seq"))
        .map(|s| s as u64)
        .collect()
}

/// Outcome of comparing the league log with what was journaled.
#[derive(Debug, Default)]
pub struct Delivery {
    /// Distinct records expected.
    pub expected: usize,
    /// Records in the league log.
    pub published: usize,
    /// Expected but never published.
    pub lost: usize,
    /// Published more than once.
    pub duplicated: usize,
    /// Published but never journaled.
    pub unexpected: usize,
    /// Per-match venue time went backwards.
    pub order_violations: usize,
    /// Published with the late flag.
    pub late: usize,
    /// League offsets not dense.
    pub offset_gaps: usize,
}

/// Compares league `league` in `log_dir` with `journaled` = (synthetic match, journaled seqs) per node.
pub fn check(
    log_dir: &Path,
    league: u32,
    journaled: &[(SyntheticMatch, Vec<u64>)],
) -> anyhow::Result<Delivery> {
    let mut expected: HashMap<(u64, ContentKey), ()> = HashMap::new();
    for (s, seqs) in journaled {
        for &seq in seqs {
            for r in s.batch(seq).records {
                expected.insert((s.match_id.0, ContentKey::of(&r)), ());
            }
        }
    }
    let log = read_league(log_dir, LeagueId(league))?;
    let mut d = Delivery {
        expected: expected.len(),
        published: log.len(),
        ..Delivery::default()
    };
    let mut seen: HashMap<(u64, ContentKey), usize> = HashMap::new();
    let mut last_time: BTreeMap<u64, i64> = BTreeMap::new();
    for (i, e) in log.iter().enumerate() {
        if e.offset != i as u64 {
            d.offset_gaps += 1;
        }
        let key = (e.match_id.0, ContentKey::of(&e.record));
        *seen.entry(key.clone()).or_default() += 1;
        if !expected.contains_key(&key) {
            d.unexpected += 1;
        }
        if e.late {
            d.late += 1;
        }
        let t = e.record.venue_time().nanos();
        let last = last_time.entry(e.match_id.0).or_insert(i64::MIN);
        if t < *last {
            d.order_violations += 1;
        }
        *last = (*last).max(t);
    }
    d.duplicated = seen.values().map(|&n| n.saturating_sub(1)).sum();
    d.lost = expected.keys().filter(|k| !seen.contains_key(*k)).count();
    Ok(d)
}

/// Whether timing goals are asserted (`TOUCHLINE_STRICT_TIMING=1`); by default they are printed only.
pub fn strict_timing() -> bool {
    std::env::var("TOUCHLINE_STRICT_TIMING").is_ok_and(|v| v == "1")
}
