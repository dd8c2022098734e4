//! The relay's merge: pure logic, no I/O, time passed in.
//!
//! - **Batch dedupe**: per source `(node, stream)` a batch sequence number is accepted once; the
//!   contiguous prefix (`next_seq`) is what the relay tells a reconnecting node.
//! - **Record dedupe across redundant nodes**: records of one match with the same content key
//!   ([`MergeItem::content_key`], e.g. the same venue time for a position frame, the same event id and
//!   revision for a scoring event) are published once.
//! - **Ordering**: per match, records are published in venue-time order behind a watermark: the
//!   smallest *frontier* (latest venue time of the contiguous sequence prefix) over the match's live
//!   sources. A source whose backlog is still missing holds the match back, so a node that resumes
//!   "live edge first" does not reorder its own records. Bounds: a source silent for longer than
//!   `source_grace_ns` stops holding the watermark; more than `max_pending_per_match` buffered records
//!   force the oldest out. A record that then arrives behind what was already published is still
//!   published (never lost), flagged `late`.
//! - **League stream**: the matches of a league are merged in publication order; each published
//!   record gets the next league offset.
//!
//! Restart: build a new [`Merger`], call [`Merger::restore_published`] for every record in the
//! league logs and [`Merger::set_next_offset`], then re-ingest every batch of the durable ingest log
//! (before any [`Merger::poll`]); what was published is recognised by its content key.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::hash::Hash;

use records::{LeagueId, MatchId, NodeId, StreamId};

/// What the merge needs from a record.
pub trait MergeItem {
    /// Content key: equal keys within one match are the same record (from redundant nodes).
    type Key: Ord + Hash + Clone + std::fmt::Debug;
    /// Venue time (ns on the match clock).
    fn venue_time_ns(&self) -> i64;
    /// Content key.
    fn content_key(&self) -> Self::Key;
}

/// Merge bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MergeConfig {
    /// A source silent this long (wall ns) stops holding its matches' watermark.
    pub source_grace_ns: i64,
    /// Content keys are remembered this far (venue ns) behind the published watermark.
    pub dedupe_horizon_ns: i64,
    /// Buffered records per match beyond which the oldest are published regardless.
    pub max_pending_per_match: usize,
}

impl Default for MergeConfig {
    fn default() -> Self {
        Self {
            source_grace_ns: 5_000_000_000,
            dedupe_horizon_ns: 30 * 60 * 1_000_000_000,
            max_pending_per_match: 100_000,
        }
    }
}

/// A node's stream: the unit of sequence numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SourceKey {
    /// Node.
    pub node: NodeId,
    /// Stream of the node.
    pub stream: StreamId,
}

/// Merge errors (a batch the merge must not take).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MergeError {
    /// The match is in no league.
    #[error("match {0} is not configured in any league")]
    UnknownMatch(MatchId),
    /// A source's stream carried another match before.
    #[error("node {node} stream {stream} carries match {first}, not {now}", node = .src.node, stream = .src.stream)]
    StreamSwitchedMatch {
        /// The source.
        src: SourceKey,
        /// Match it carried first.
        first: MatchId,
        /// Match of this batch.
        now: MatchId,
    },
}

/// What [`Merger::ingest`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IngestOutcome {
    /// The batch sequence number was already accepted: nothing changed.
    DuplicateBatch,
    /// Accepted.
    Accepted {
        /// Records buffered (or published late).
        records: usize,
        /// Records dropped as duplicates of ones from redundant nodes (or already published).
        duplicate_records: usize,
        /// Records published out of order, behind the watermark.
        late_records: usize,
    },
}

/// A published record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published<I> {
    /// League.
    pub league: LeagueId,
    /// Offset in the league stream.
    pub offset: u64,
    /// Match.
    pub match_id: MatchId,
    /// Published behind the watermark (order within the match not kept for this one).
    pub late: bool,
    /// Where it came from.
    pub source: SourceKey,
    /// Batch sequence number it came in.
    pub seq: u64,
    /// The record.
    pub item: I,
}

#[derive(Debug, Clone)]
struct SourceProgress {
    match_id: MatchId,
    next_seq: u64,
    frontier_ns: Option<i64>,
    ahead: BTreeMap<u64, i64>,
    last_seen_ns: i64,
}

/// `source`'s progress; on first sight (at `now_ns`) it starts empty and is listed in its match's
/// `match_sources`.
fn progress_entry<'a>(
    sources: &'a mut HashMap<SourceKey, SourceProgress>,
    match_sources: &mut Vec<SourceKey>,
    source: SourceKey,
    m: MatchId,
    now_ns: i64,
) -> &'a mut SourceProgress {
    sources.entry(source).or_insert_with(|| {
        match_sources.push(source);
        SourceProgress {
            match_id: m,
            next_seq: 0,
            frontier_ns: None,
            ahead: BTreeMap::new(),
            last_seen_ns: now_ns,
        }
    })
}

#[derive(Debug)]
struct Pending<I> {
    source: SourceKey,
    seq: u64,
    item: I,
}

#[derive(Debug)]
struct MatchMerge<I: MergeItem> {
    league: LeagueId,
    sources: Vec<SourceKey>,
    pending: BTreeMap<(i64, u64), Pending<I>>,
    pending_keys: HashSet<I::Key>,
    published_keys: HashMap<I::Key, i64>,
    published_by_time: BTreeSet<(i64, I::Key)>,
    published_upto: Option<i64>,
    late: VecDeque<Pending<I>>,
}

impl<I: MergeItem> MatchMerge<I> {
    fn new(league: LeagueId) -> Self {
        Self {
            league,
            sources: Vec::new(),
            pending: BTreeMap::new(),
            pending_keys: HashSet::new(),
            published_keys: HashMap::new(),
            published_by_time: BTreeSet::new(),
            published_upto: None,
            late: VecDeque::new(),
        }
    }

    fn mark_published(&mut self, key: I::Key, t: i64) {
        self.published_by_time.insert((t, key.clone()));
        self.published_keys.insert(key, t);
        self.published_upto = Some(self.published_upto.map_or(t, |u| u.max(t)));
    }

    fn prune(&mut self, horizon_ns: i64) {
        let Some(upto) = self.published_upto else {
            return;
        };
        let cut = upto.saturating_sub(horizon_ns);
        while let Some((t, _)) = self.published_by_time.first() {
            if *t >= cut {
                break;
            }
            if let Some((_, key)) = self.published_by_time.pop_first() {
                self.published_keys.remove(&key);
            }
        }
    }
}

/// Counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MergeStats {
    /// Batches accepted.
    pub batches: u64,
    /// Duplicate batches ignored.
    pub duplicate_batches: u64,
    /// Records dropped as cross-node or replayed duplicates.
    pub duplicate_records: u64,
    /// Records published late.
    pub late_records: u64,
    /// Records published by force (pending bound).
    pub forced_records: u64,
    /// Records published.
    pub published: u64,
}

/// All matches and leagues of a relay.
#[derive(Debug)]
pub struct Merger<I: MergeItem> {
    cfg: MergeConfig,
    matches: HashMap<MatchId, MatchMerge<I>>,
    sources: HashMap<SourceKey, SourceProgress>,
    next_offset: HashMap<LeagueId, u64>,
    arrival: u64,
    stats: MergeStats,
}

impl<I: MergeItem> Merger<I> {
    /// A merger for `leagues` (league → its matches).
    pub fn new(
        cfg: MergeConfig,
        leagues: impl IntoIterator<Item = (LeagueId, Vec<MatchId>)>,
    ) -> Self {
        let mut matches = HashMap::new();
        let mut next_offset = HashMap::new();
        for (league, ms) in leagues {
            next_offset.insert(league, 0);
            for m in ms {
                matches.insert(m, MatchMerge::new(league));
            }
        }
        Self {
            cfg,
            matches,
            sources: HashMap::new(),
            next_offset,
            arrival: 0,
            stats: MergeStats::default(),
        }
    }

    /// Counters.
    pub fn stats(&self) -> MergeStats {
        self.stats
    }

    /// The league a match belongs to.
    pub fn league_of(&self, m: MatchId) -> Option<LeagueId> {
        self.matches.get(&m).map(|mm| mm.league)
    }

    /// First sequence number of `source` not yet accepted (all lower ones were).
    pub fn next_seq(&self, source: SourceKey) -> u64 {
        self.sources.get(&source).map_or(0, |s| s.next_seq)
    }

    /// Whether batch `seq` of `source` was accepted already.
    pub fn has_batch(&self, source: SourceKey, seq: u64) -> bool {
        self.sources
            .get(&source)
            .is_some_and(|s| seq < s.next_seq || s.ahead.contains_key(&seq))
    }

    /// Checks a batch would be taken (known match, source bound to it) without changing anything.
    pub fn check(&self, m: MatchId, source: SourceKey) -> Result<(), MergeError> {
        if !self.matches.contains_key(&m) {
            return Err(MergeError::UnknownMatch(m));
        }
        match self.sources.get(&source) {
            Some(s) if s.match_id != m => Err(MergeError::StreamSwitchedMatch {
                src: source,
                first: s.match_id,
                now: m,
            }),
            _ => Ok(()),
        }
    }

    /// Restart: continue league offsets at `next`.
    pub fn set_next_offset(&mut self, league: LeagueId, next: u64) {
        self.next_offset.insert(league, next);
    }

    /// Restart: a record published before (from the league log).
    pub fn restore_published(&mut self, m: MatchId, item: &I) {
        if let Some(mm) = self.matches.get_mut(&m) {
            mm.mark_published(item.content_key(), item.venue_time_ns());
        }
    }

    /// Takes batch `seq` of `source` for match `m`, holding `items` (in batch order) at wall time `now_ns`.
    pub fn ingest(
        &mut self,
        now_ns: i64,
        m: MatchId,
        source: SourceKey,
        seq: u64,
        items: Vec<I>,
    ) -> Result<IngestOutcome, MergeError> {
        self.check(m, source)?;
        let Some(mm) = self.matches.get_mut(&m) else {
            return Err(MergeError::UnknownMatch(m));
        };
        let progress = progress_entry(&mut self.sources, &mut mm.sources, source, m, now_ns);
        progress.last_seen_ns = progress.last_seen_ns.max(now_ns);
        if seq < progress.next_seq || progress.ahead.contains_key(&seq) {
            self.stats.duplicate_batches += 1;
            return Ok(IngestOutcome::DuplicateBatch);
        }
        let batch_max = items.iter().map(I::venue_time_ns).max();
        progress.ahead.insert(seq, batch_max.unwrap_or(i64::MIN));
        while let Some(t) = progress.ahead.remove(&progress.next_seq) {
            if t != i64::MIN {
                progress.frontier_ns = Some(progress.frontier_ns.map_or(t, |f| f.max(t)));
            }
            progress.next_seq += 1;
        }
        self.stats.batches += 1;
        let (mut records, mut dups, mut late) = (0, 0, 0);
        for item in items {
            let key = item.content_key();
            if mm.published_keys.contains_key(&key) || mm.pending_keys.contains(&key) {
                dups += 1;
                continue;
            }
            records += 1;
            let t = item.venue_time_ns();
            if mm.published_upto.is_some_and(|u| t < u) {
                late += 1;
                mm.mark_published(key, t);
                mm.late.push_back(Pending { source, seq, item });
            } else {
                mm.pending_keys.insert(key);
                self.arrival += 1;
                mm.pending
                    .insert((t, self.arrival), Pending { source, seq, item });
            }
        }
        self.stats.duplicate_records += dups as u64;
        self.stats.late_records += late as u64;
        Ok(IngestOutcome::Accepted {
            records,
            duplicate_records: dups,
            late_records: late,
        })
    }

    /// The watermark of a match at `now_ns`: `None` = hold everything, `Some(i64::MAX)` = no live source.
    fn watermark(&self, mm: &MatchMerge<I>, now_ns: i64) -> Option<i64> {
        let mut wm = i64::MAX;
        for s in &mm.sources {
            let Some(p) = self.sources.get(s) else {
                continue;
            };
            if now_ns.saturating_sub(p.last_seen_ns) > self.cfg.source_grace_ns {
                continue;
            }
            wm = wm.min(p.frontier_ns?);
        }
        Some(wm)
    }

    /// Publishes what the watermarks allow at wall time `now_ns`.
    pub fn poll(&mut self, now_ns: i64) -> Vec<Published<I>> {
        let mut out = Vec::new();
        let mut ids: Vec<MatchId> = self.matches.keys().copied().collect();
        ids.sort_unstable();
        for m in ids {
            let wm = self
                .matches
                .get(&m)
                .and_then(|mm| self.watermark(mm, now_ns));
            let Some(mm) = self.matches.get_mut(&m) else {
                continue;
            };
            let next = self.next_offset.entry(mm.league).or_insert(0);
            let mut publish = |mm: &MatchMerge<I>, p: Pending<I>, late: bool, out: &mut Vec<_>| {
                out.push(Published {
                    league: mm.league,
                    offset: *next,
                    match_id: m,
                    late,
                    source: p.source,
                    seq: p.seq,
                    item: p.item,
                });
                *next += 1;
            };
            while let Some(p) = mm.late.pop_front() {
                publish(mm, p, true, &mut out);
            }
            while let Some((&(t, arrival), _)) = mm.pending.first_key_value() {
                let forced = mm.pending.len() > self.cfg.max_pending_per_match;
                if !forced && wm.is_none_or(|w| t > w) {
                    break;
                }
                let Some(p) = mm.pending.remove(&(t, arrival)) else {
                    break;
                };
                if forced {
                    self.stats.forced_records += 1;
                }
                let key = p.item.content_key();
                mm.pending_keys.remove(&key);
                mm.mark_published(key, t);
                publish(mm, p, false, &mut out);
            }
            mm.prune(self.cfg.dedupe_horizon_ns);
        }
        self.stats.published += out.len() as u64;
        out
    }

    /// Publishes everything buffered, in order (shutdown, or all sources known finished).
    pub fn flush(&mut self) -> Vec<Published<I>> {
        self.poll(i64::MAX)
    }

    /// Records buffered, over all matches.
    pub fn pending(&self) -> usize {
        self.matches.values().map(|m| m.pending.len()).sum()
    }

    /// Latest venue time published for a match (every record of it strictly before this time is
    /// settled: published, published late, or a duplicate).
    pub fn published_upto(&self, m: MatchId) -> Option<i64> {
        self.matches.get(&m).and_then(|mm| mm.published_upto)
    }

    /// Progress of every source: (source, match, next_seq, frontier), for a checkpoint.
    pub fn source_progress(&self) -> Vec<(SourceKey, MatchId, u64, Option<i64>)> {
        let mut v: Vec<_> = self
            .sources
            .iter()
            .map(|(k, p)| (*k, p.match_id, p.next_seq, p.frontier_ns))
            .collect();
        v.sort_by_key(|e| e.0);
        v
    }

    /// Restart with a trimmed ingest log: after re-ingesting what is left of the log, raise a
    /// source's progress to what a checkpoint recorded (the trimmed batches).
    pub fn restore_source(
        &mut self,
        now_ns: i64,
        m: MatchId,
        source: SourceKey,
        next_seq: u64,
        frontier_ns: Option<i64>,
    ) -> Result<(), MergeError> {
        self.check(m, source)?;
        let Some(mm) = self.matches.get_mut(&m) else {
            return Err(MergeError::UnknownMatch(m));
        };
        let p = progress_entry(&mut self.sources, &mut mm.sources, source, m, now_ns);
        let mut frontier = p.frontier_ns.max(frontier_ns);
        if next_seq > p.next_seq {
            p.next_seq = next_seq;
            let keep = p.ahead.split_off(&next_seq);
            for (_, t) in std::mem::replace(&mut p.ahead, keep) {
                if t != i64::MIN {
                    frontier = frontier.max(Some(t));
                }
            }
            while let Some(t) = p.ahead.remove(&p.next_seq) {
                if t != i64::MIN {
                    frontier = frontier.max(Some(t));
                }
                p.next_seq += 1;
            }
        }
        p.frontier_ns = frontier;
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone, PartialEq, Eq)]
    struct It {
        t: i64,
    }
    impl MergeItem for It {
        type Key = i64;
        fn venue_time_ns(&self) -> i64 {
            self.t
        }
        fn content_key(&self) -> i64 {
            self.t
        }
    }

    const LEAGUE: LeagueId = LeagueId(1);

    fn src(n: u32) -> SourceKey {
        SourceKey {
            node: NodeId(n),
            stream: StreamId(0),
        }
    }

    #[test]
    fn live_first_resume_keeps_order() {
        let mut m = Merger::new(MergeConfig::default(), [(LEAGUE, vec![MatchId(1)])]);
        let b = |ts: &[i64]| ts.iter().map(|&t| It { t }).collect::<Vec<_>>();
        m.ingest(0, MatchId(1), src(1), 0, b(&[1, 2])).unwrap();
        assert_eq!(m.poll(0).len(), 2);
        // reconnect: live edge (seq 3) arrives before the backlog (seq 1, 2)
        m.ingest(1, MatchId(1), src(1), 3, b(&[7, 8])).unwrap();
        assert!(m.poll(1).is_empty());
        assert_eq!(m.next_seq(src(1)), 1);
        m.ingest(2, MatchId(1), src(1), 1, b(&[3, 4])).unwrap();
        m.ingest(2, MatchId(1), src(1), 2, b(&[5, 6])).unwrap();
        let out: Vec<i64> = m.poll(2).into_iter().map(|p| p.item.t).collect();
        assert_eq!(out, vec![3, 4, 5, 6, 7, 8]);
        assert_eq!(m.next_seq(src(1)), 4);
        assert_eq!(
            m.ingest(3, MatchId(1), src(1), 2, b(&[5, 6])).unwrap(),
            IngestOutcome::DuplicateBatch
        );
    }

    #[test]
    fn unknown_match_and_stream_switch_are_errors() {
        let mut m = Merger::<It>::new(
            MergeConfig::default(),
            [(LEAGUE, vec![MatchId(1), MatchId(2)])],
        );
        assert_eq!(
            m.ingest(0, MatchId(9), src(1), 0, vec![]),
            Err(MergeError::UnknownMatch(MatchId(9)))
        );
        m.ingest(0, MatchId(1), src(1), 0, vec![]).unwrap();
        assert!(matches!(
            m.ingest(0, MatchId(2), src(1), 1, vec![]),
            Err(MergeError::StreamSwitchedMatch { .. })
        ));
    }

    #[test]
    fn silent_source_stops_holding_after_grace_and_late_records_are_kept() {
        let cfg = MergeConfig {
            source_grace_ns: 10,
            ..MergeConfig::default()
        };
        let mut m = Merger::new(cfg, [(LEAGUE, vec![MatchId(1)])]);
        m.ingest(0, MatchId(1), src(1), 0, vec![It { t: 1 }])
            .unwrap();
        m.ingest(0, MatchId(1), src(2), 0, vec![It { t: 2 }])
            .unwrap();
        assert_eq!(m.poll(0).len(), 1); // wm = min(1, 2)
        m.ingest(5, MatchId(1), src(2), 1, vec![It { t: 5 }])
            .unwrap();
        assert!(m.poll(5).is_empty() || m.poll(5).is_empty());
        let out = m.poll(20); // node 1 silent > grace
        assert_eq!(out.iter().map(|p| p.item.t).collect::<Vec<_>>(), vec![2, 5]);
        m.ingest(21, MatchId(1), src(1), 1, vec![It { t: 3 }, It { t: 5 }])
            .unwrap();
        let out = m.poll(21);
        assert_eq!(out.len(), 1);
        assert!(out[0].late && out[0].item.t == 3);
        assert_eq!(m.stats().duplicate_records, 1);
    }

    /// One delivery step of the random schedule.
    #[derive(Debug, Clone)]
    enum Step {
        Deliver { node: usize, seq_pick: usize },
        Poll,
        Restart,
        Silence { node: usize },
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            8 => (0usize..6, 0usize..1000).prop_map(|(node, seq_pick)| Step::Deliver { node, seq_pick }),
            3 => Just(Step::Poll),
            1 => Just(Step::Restart),
            1 => (0usize..6).prop_map(|node| Step::Silence { node }),
        ]
    }

    #[derive(Debug, Clone)]
    struct Scenario {
        /// Per match: number of records (venue times 10, 20, ...).
        records: Vec<usize>,
        /// Per node: (match index, batch sizes seed).
        nodes: Vec<(usize, Vec<usize>)>,
        steps: Vec<Step>,
        bounded: bool,
    }

    fn scenario() -> impl Strategy<Value = Scenario> {
        (
            prop::collection::vec(1usize..40, 1..4),
            prop::collection::vec((0usize..3, prop::collection::vec(1usize..6, 1..40)), 1..6),
            prop::collection::vec(step(), 0..120),
            any::<bool>(),
        )
            .prop_map(|(records, nodes, steps, bounded)| Scenario {
                nodes: nodes
                    .into_iter()
                    .map(|(m, sizes)| (m % records.len(), sizes))
                    .collect(),
                records,
                steps,
                bounded,
            })
    }

    /// A node's batches: the match's records split by the node's batch sizes (cycled).
    fn batches(n_records: usize, sizes: &[usize]) -> Vec<Vec<It>> {
        let mut out = Vec::new();
        let mut i = 0;
        let mut k = 0;
        while i < n_records {
            let s = sizes[k % sizes.len()].max(1);
            let end = (i + s).min(n_records);
            out.push(
                (i..end)
                    .map(|j| It {
                        t: (j as i64 + 1) * 10,
                    })
                    .collect(),
            );
            i = end;
            k += 1;
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(10_000))]

        /// Model: every distinct (match, venue time) is published exactly once, with dense league
        /// offsets; per match, non-late records come out in venue-time order; with unbounded
        /// buffers and no silent sources nothing is late, i.e. each match is exactly the model's
        /// sorted list. Holds under duplicated and reordered delivery, reconnects (a node resends
        /// from its last acked sequence) and relay restarts (rebuild from the logs).
        #[test]
        fn merge_matches_model(sc in scenario()) {
            let cfg = if sc.bounded {
                MergeConfig { source_grace_ns: 3, dedupe_horizon_ns: i64::MAX / 4, max_pending_per_match: 7 }
            } else {
                MergeConfig { source_grace_ns: i64::MAX / 4, dedupe_horizon_ns: i64::MAX / 4, max_pending_per_match: usize::MAX }
            };
            let matches: Vec<MatchId> = (0..sc.records.len() as u64).map(MatchId).collect();
            let leagues = [(LEAGUE, matches.clone())];
            let node_batches: Vec<Vec<Vec<It>>> =
                sc.nodes.iter().map(|(m, sizes)| batches(sc.records[*m], sizes)).collect();
            let mut merger = Merger::new(cfg, leagues.clone());
            // the relay's durable logs
            let mut ingest_log: Vec<(MatchId, SourceKey, u64, Vec<It>)> = Vec::new();
            let mut league_log: Vec<Published<It>> = Vec::new();
            let mut now = 0i64;
            let mut silent = vec![false; sc.nodes.len()];
            let mut checkpoint: Vec<(SourceKey, MatchId, u64, Option<i64>)> = Vec::new();
            let mut acked: Vec<std::collections::BTreeSet<usize>> = vec![Default::default(); sc.nodes.len()];
            let deliver = |merger: &mut Merger<It>, ingest_log: &mut Vec<_>, now: i64, node: usize, seq: usize| {
                let m = matches[sc.nodes[node].0];
                let s = src(node as u32);
                let items = node_batches[node][seq].clone();
                let out = merger.ingest(now, m, s, seq as u64, items.clone()).unwrap();
                if out != IngestOutcome::DuplicateBatch {
                    ingest_log.push((m, s, seq as u64, items));
                }
            };
            for st in &sc.steps {
                now += 1;
                match st {
                    Step::Deliver { node, seq_pick } => {
                        let node = node % sc.nodes.len();
                        if silent[node] && sc.bounded { continue; }
                        // a node sends from anywhere at/after its acked prefix (reorder) or resends
                        // an acked one (duplicate after a reconnect)
                        let n = node_batches[node].len();
                        let seq = seq_pick % n;
                        deliver(&mut merger, &mut ingest_log, now, node, seq);
                        acked[node].insert(seq);
                    }
                    Step::Poll => {
                        league_log.extend(merger.poll(now));
                        // trim the ingest log like the store: the settled prefix goes, after a
                        // checkpoint of source progress
                        let settled = ingest_log
                            .iter()
                            .take_while(|(m, s, seq, items): &&(MatchId, SourceKey, u64, Vec<It>)| {
                                let t = items.iter().map(|i| i.t).max().unwrap_or(i64::MIN);
                                *seq < merger.next_seq(*s)
                                    && merger.published_upto(*m).is_some_and(|u| t < u)
                            })
                            .count();
                        if settled > 0 {
                            checkpoint = merger.source_progress();
                            ingest_log.drain(..settled);
                        }
                    }
                    Step::Silence { node } => {
                        let node = node % sc.nodes.len();
                        silent[node] = !silent[node];
                    }
                    Step::Restart => {
                        // unpublished in-memory state is lost; rebuild from the logs
                        merger = Merger::new(cfg, leagues.clone());
                        for p in &league_log {
                            merger.restore_published(p.match_id, &p.item);
                        }
                        merger.set_next_offset(LEAGUE, league_log.len() as u64);
                        for (m, s, seq, items) in &ingest_log {
                            merger.ingest(now, *m, *s, *seq, items.clone()).unwrap();
                        }
                        for (s, m, next, frontier) in &checkpoint {
                            merger.restore_source(now, *m, *s, *next, *frontier).unwrap();
                        }
                    }
                }
            }
            // the link comes back for good: every node resends from its acked prefix, in order
            for (node, batches) in node_batches.iter().enumerate() {
                now += 1;
                // the node resumes at the relay's Welcome, but cannot resend what its journal
                // trimmed (its contiguous acked prefix)
                let mut prefix = 0;
                while acked[node].contains(&prefix) {
                    prefix += 1;
                }
                let from = (merger.next_seq(src(node as u32)) as usize).max(prefix);
                for seq in from..batches.len() {
                    deliver(&mut merger, &mut ingest_log, now, node, seq);
                }
            }
            league_log.extend(merger.poll(now));
            if !sc.bounded {
                // liveness: with every source complete, nothing waits for a flush
                prop_assert_eq!(merger.pending(), 0, "records held after all sources completed");
            }
            league_log.extend(merger.flush());

            // offsets dense and in order
            for (i, p) in league_log.iter().enumerate() {
                prop_assert_eq!(p.offset, i as u64);
            }
            for (mi, m) in matches.iter().enumerate() {
                let covered = sc.nodes.iter().any(|(nm, _)| *nm == mi);
                let model: Vec<i64> = if covered {
                    (1..=sc.records[mi] as i64).map(|j| j * 10).collect()
                } else {
                    Vec::new()
                };
                let got: Vec<&Published<It>> = league_log.iter().filter(|p| p.match_id == *m).collect();
                let mut times: Vec<i64> = got.iter().map(|p| p.item.t).collect();
                let in_order: Vec<i64> = got.iter().filter(|p| !p.late).map(|p| p.item.t).collect();
                prop_assert!(in_order.windows(2).all(|w| w[0] <= w[1]), "order {:?}", in_order);
                if !sc.bounded {
                    prop_assert_eq!(&times, &model, "unbounded: exact order");
                }
                times.sort_unstable();
                prop_assert_eq!(times, model, "exactly once");
            }
        }
    }
}
