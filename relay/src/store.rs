//! The relay's durable logs (shell around [`durable_log`]) and its store thread.
//!
//! - `<log_dir>/ingest/`: every accepted batch, as the `records` wire frame, appended and fsynced
//!   (group commit) **before** the node gets its ack.
//! - `<log_dir>/league-<id>/`: the league stream; entry index = league offset. Entry layout:
//!   `match u64 | node u32 | stream u32 | seq u64 | flags u8 (bit 0 = late) | received_unix_ns i64 |
//!   published_unix_ns i64 | records wire frame of the record` (integers little-endian).
//!
//! On start the store rebuilds the merge: every league entry is restored as published, then every
//! ingest entry is re-ingested; what was not yet published is published again in order.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use durable_log::{FsyncPolicy, Log, LogError, LogOptions};
use records::wire::{self, Frame};
use records::{Batch, LeagueId, MatchId, NodeId, Record, StreamId};
use tokio::sync::{mpsc, oneshot};
use uplink_proto::CloseCode;

use crate::merge::{MergeConfig, MergeItem, Merger, Published, SourceKey};

/// Store errors.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A log failed.
    #[error("log: {0}")]
    Log(#[from] LogError),
    /// A log entry does not decode.
    #[error("log {path} entry {index}: {reason}")]
    BadEntry {
        /// Log dir.
        path: PathBuf,
        /// Entry index.
        index: u64,
        /// Why.
        reason: String,
    },
    /// Encoding failed.
    #[error("encode: {0}")]
    Encode(#[from] records::EncodeError),
}

/// Content key of a record for cross-node dedupe within a match.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ContentKey {
    /// Position frame at a venue time.
    Positions(i64),
    /// Scoring event id and revision.
    Event(u64, u32),
    /// Score state at a venue time.
    Score(i64),
    /// Anomaly at a venue time, with a hash of its kind and subject.
    Anomaly(i64, u64),
    /// Catalog at a venue time.
    Catalog(i64),
    /// A node's heartbeat (never deduplicated across nodes).
    Heartbeat(u32, i64),
}

impl ContentKey {
    /// The key of a record.
    pub fn of(r: &Record) -> Self {
        let t = r.venue_time().nanos();
        match r {
            Record::Positions(_) => ContentKey::Positions(t),
            Record::Event(e) => ContentKey::Event(e.event_id.0, e.revision),
            Record::Score(_) => ContentKey::Score(t),
            Record::Anomaly(a) => {
                use std::hash::{Hash, Hasher};
                let mut h = std::collections::hash_map::DefaultHasher::new();
                format!("{:?}{:?}{}", a.kind, a.subject, a.start.nanos()).hash(&mut h);
                ContentKey::Anomaly(t, h.finish())
            }
            Record::Catalog(_) => ContentKey::Catalog(t),
            Record::Heartbeat(h) => ContentKey::Heartbeat(h.node.0, t),
        }
    }
}

/// A record in the merge.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordItem {
    /// The record.
    pub record: Record,
    /// When the relay received its batch (unix ns).
    pub received_unix_ns: i64,
}

impl MergeItem for RecordItem {
    type Key = ContentKey;
    fn venue_time_ns(&self) -> i64 {
        self.record.venue_time().nanos()
    }
    fn content_key(&self) -> ContentKey {
        ContentKey::of(&self.record)
    }
}

/// One entry of a league log.
#[derive(Debug, Clone, PartialEq)]
pub struct LeagueEntry {
    /// League offset.
    pub offset: u64,
    /// Match.
    pub match_id: MatchId,
    /// Source node.
    pub node: NodeId,
    /// Source stream.
    pub stream: StreamId,
    /// Batch sequence number.
    pub seq: u64,
    /// Published behind the watermark.
    pub late: bool,
    /// Relay receive time (unix ns).
    pub received_unix_ns: i64,
    /// Relay publish time (unix ns).
    pub published_unix_ns: i64,
    /// The record.
    pub record: Record,
}

const LEAGUE_HEAD: usize = 8 + 4 + 4 + 8 + 1 + 8 + 8;

fn encode_league(p: &Published<RecordItem>, published_unix_ns: i64) -> Result<Vec<u8>, StoreError> {
    let frame = wire::encode_record(&p.item.record)?;
    let mut out = Vec::with_capacity(LEAGUE_HEAD + frame.len());
    out.extend_from_slice(&p.match_id.0.to_le_bytes());
    out.extend_from_slice(&p.source.node.0.to_le_bytes());
    out.extend_from_slice(&p.source.stream.0.to_le_bytes());
    out.extend_from_slice(&p.seq.to_le_bytes());
    out.push(u8::from(p.late));
    out.extend_from_slice(&p.item.received_unix_ns.to_le_bytes());
    out.extend_from_slice(&published_unix_ns.to_le_bytes());
    out.extend_from_slice(&frame);
    Ok(out)
}

fn le<const N: usize>(b: &[u8], at: usize) -> [u8; N] {
    let mut a = [0u8; N];
    a.copy_from_slice(&b[at..at + N]);
    a
}

/// Decodes a league log entry.
pub fn decode_league(offset: u64, b: &[u8]) -> Result<LeagueEntry, String> {
    if b.len() < LEAGUE_HEAD {
        return Err("short league entry".into());
    }
    let (frame, _) = wire::decode_frame(&b[LEAGUE_HEAD..], &wire::DecodeOptions::DEFAULT)
        .map_err(|e| e.to_string())?;
    let Frame::Record(record) = frame else {
        return Err("league entry holds a batch".into());
    };
    Ok(LeagueEntry {
        offset,
        match_id: MatchId(u64::from_le_bytes(le(b, 0))),
        node: NodeId(u32::from_le_bytes(le(b, 8))),
        stream: StreamId(u32::from_le_bytes(le(b, 12))),
        seq: u64::from_le_bytes(le(b, 16)),
        late: b[24] & 1 == 1,
        received_unix_ns: i64::from_le_bytes(le(b, 25)),
        published_unix_ns: i64::from_le_bytes(le(b, 33)),
        record,
    })
}

fn batch_max_time(b: &Batch) -> i64 {
    b.records
        .iter()
        .map(|r| r.venue_time().nanos())
        .max()
        .unwrap_or(i64::MIN)
}

/// Directory of a league's log.
pub fn league_dir(log_dir: &Path, league: LeagueId) -> PathBuf {
    log_dir.join(format!("league-{}", league.0))
}

/// Reads a whole league log (for `relay tail` and tests).
pub fn read_league(log_dir: &Path, league: LeagueId) -> Result<Vec<LeagueEntry>, StoreError> {
    let dir = league_dir(log_dir, league);
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    durable_log::read_all(&dir, MAX_ENTRY)?
        .into_iter()
        .map(|(i, b)| {
            decode_league(i, &b).map_err(|reason| StoreError::BadEntry {
                path: dir.clone(),
                index: i,
                reason,
            })
        })
        .collect()
}

const MAX_ENTRY: u32 = 32 << 20;

/// A reader of a league log from `offset` that sees new entries as they are appended (for
/// `relay tail --follow`); decode its entries with [`decode_league`].
pub fn league_reader(log_dir: &Path, league: LeagueId, offset: u64) -> durable_log::Reader {
    durable_log::Reader::new(&league_dir(log_dir, league), offset, MAX_ENTRY)
}

/// Wall clock in unix ns.
pub fn unix_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

/// A message to the store thread.
#[derive(Debug)]
pub enum StoreMsg {
    /// A batch from a node; answered once it is durable (or refused with a close code).
    Batch {
        /// Source.
        source: SourceKey,
        /// The batch.
        batch: Batch,
        /// Its wire frame.
        frame: Vec<u8>,
        /// Receive time.
        received_unix_ns: i64,
        /// Answer.
        ack: oneshot::Sender<Result<(), CloseCode>>,
    },
    /// Next sequence number the relay needs from a source.
    NextSeq {
        /// Source.
        source: SourceKey,
        /// Answer.
        reply: oneshot::Sender<u64>,
    },
    /// Periodic: publish what the watermarks allow.
    Tick,
}

/// Store counters, logged periodically.
#[derive(Debug, Default, Clone, Copy)]
pub struct StoreStats {
    /// Batches made durable.
    pub batches: u64,
    /// Batches acked as already durable.
    pub duplicate_batches: u64,
    /// Records published.
    pub published: u64,
    /// fsync groups.
    pub groups: u64,
}

/// What one ingest segment holds, to decide when it may be deleted.
#[derive(Debug, Default, Clone)]
struct SegSummary {
    /// Highest batch sequence number per source.
    max_seq: HashMap<SourceKey, u64>,
    /// Latest record venue time per match.
    max_time: HashMap<MatchId, i64>,
}

impl SegSummary {
    fn add(&mut self, source: SourceKey, seq: u64, m: MatchId, t: i64) {
        let e = self.max_seq.entry(source).or_insert(seq);
        *e = (*e).max(seq);
        let e = self.max_time.entry(m).or_insert(t);
        *e = (*e).max(t);
    }
}

/// File of the source checkpoint written before ingest segments are deleted.
const CHECKPOINT: &str = "sources.ckpt";

/// Writes the checkpoint atomically (tmp, fsync, rename, fsync dir). Line format:
/// `node stream match next_seq frontier_ns|-`.
fn write_checkpoint(
    log_dir: &Path,
    progress: &[(SourceKey, MatchId, u64, Option<i64>)],
) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = log_dir.join(format!("{CHECKPOINT}.tmp"));
    let mut f = std::fs::File::create(&tmp)?;
    for (s, m, next, frontier) in progress {
        let fr = frontier.map_or("-".to_string(), |t| t.to_string());
        writeln!(f, "{} {} {} {} {}", s.node.0, s.stream.0, m.0, next, fr)?;
    }
    f.sync_all()?;
    std::fs::rename(&tmp, log_dir.join(CHECKPOINT))?;
    std::fs::File::open(log_dir)?.sync_all()
}

type Progress = (SourceKey, MatchId, u64, Option<i64>);

fn read_checkpoint(log_dir: &Path) -> Result<Vec<Progress>, StoreError> {
    let path = log_dir.join(CHECKPOINT);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(StoreError::BadEntry {
                path,
                index: 0,
                reason: e.to_string(),
            })
        }
    };
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let bad = || StoreError::BadEntry {
            path: path.clone(),
            index: i as u64,
            reason: format!("bad checkpoint line {line:?}"),
        };
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() != 5 {
            return Err(bad());
        }
        let node = f[0].parse::<u32>().map_err(|_| bad())?;
        let stream = f[1].parse::<u32>().map_err(|_| bad())?;
        let m = f[2].parse::<u64>().map_err(|_| bad())?;
        let next = f[3].parse::<u64>().map_err(|_| bad())?;
        let frontier = if f[4] == "-" {
            None
        } else {
            Some(f[4].parse::<i64>().map_err(|_| bad())?)
        };
        out.push((
            SourceKey {
                node: NodeId(node),
                stream: StreamId(stream),
            },
            MatchId(m),
            next,
            frontier,
        ));
    }
    Ok(out)
}

/// The store: logs + merge; runs on its own thread.
#[derive(Debug)]
pub struct Store {
    log_dir: PathBuf,
    ingest: Log,
    segs: std::collections::BTreeMap<u64, SegSummary>,
    last_trim: Instant,
    leagues: HashMap<LeagueId, Log>,
    merger: Merger<RecordItem>,
    fsync: bool,
    stats: StoreStats,
    /// Publish latency samples (receive → durable publish), ns; drained by the caller.
    pub latency_ns: Vec<i64>,
    started: Instant,
}

/// What opening the store found.
#[derive(Debug, Default)]
pub struct StoreRecovery {
    /// Ingest entries replayed.
    pub ingest_entries: u64,
    /// League entries restored.
    pub league_entries: u64,
    /// Torn tails cut.
    pub torn: Vec<durable_log::TornTail>,
}

impl Store {
    /// Opens the logs under `log_dir` and rebuilds the merge.
    pub fn open(
        log_dir: &Path,
        leagues: &[(LeagueId, Vec<MatchId>)],
        merge: MergeConfig,
        fsync: bool,
        segment_bytes: u64,
    ) -> Result<(Self, StoreRecovery), StoreError> {
        let opts = LogOptions {
            segment_bytes,
            max_total_bytes: None,
            max_entry_bytes: MAX_ENTRY,
            fsync: FsyncPolicy::Manual,
        };
        let mut rec = StoreRecovery::default();
        let mut merger = Merger::new(merge, leagues.iter().cloned());
        let mut league_logs = HashMap::new();
        for (league, _) in leagues {
            let dir = league_dir(log_dir, *league);
            let (log, r) = Log::open(&dir, opts)?;
            rec.torn.extend(r.torn);
            for (i, b) in durable_log::read_all(&dir, MAX_ENTRY)? {
                let e = decode_league(i, &b).map_err(|reason| StoreError::BadEntry {
                    path: dir.clone(),
                    index: i,
                    reason,
                })?;
                merger.restore_published(
                    e.match_id,
                    &RecordItem {
                        record: e.record,
                        received_unix_ns: e.received_unix_ns,
                    },
                );
                rec.league_entries += 1;
            }
            merger.set_next_offset(*league, log.next_index());
            league_logs.insert(*league, log);
        }
        let dir = log_dir.join("ingest");
        let (ingest, r) = Log::open(&dir, opts)?;
        rec.torn.extend(r.torn);
        let now = unix_ns();
        let mut segs: std::collections::BTreeMap<u64, SegSummary> = Default::default();
        let mut reader = ingest.reader(0);
        while let Some((i, b)) = reader.next_entry()? {
            let bad = |reason: String| StoreError::BadEntry {
                path: dir.clone(),
                index: i,
                reason,
            };
            let (frame, _) = wire::decode_frame(&b, &wire::DecodeOptions::DEFAULT)
                .map_err(|e| bad(e.to_string()))?;
            let Frame::Batch(batch) = frame else {
                return Err(bad("ingest entry is not a batch".into()));
            };
            let h = batch.header;
            let source = SourceKey {
                node: h.node,
                stream: h.stream,
            };
            let seg = ingest
                .segments()
                .find(i)
                .and_then(|k| ingest.segments().list.get(k))
                .map_or(0, |m| m.first_index);
            segs.entry(seg)
                .or_default()
                .add(source, h.seq, h.match_id, batch_max_time(&batch));
            let items = batch
                .records
                .into_iter()
                .map(|record| RecordItem {
                    record,
                    received_unix_ns: now,
                })
                .collect();
            merger
                .ingest(now, h.match_id, source, h.seq, items)
                .map_err(|e| bad(e.to_string()))?;
            rec.ingest_entries += 1;
        }
        // Sources whose oldest batches were trimmed: raise their progress to the checkpoint.
        for (source, m, next, frontier) in read_checkpoint(log_dir)? {
            merger
                .restore_source(now, m, source, next, frontier)
                .map_err(|e| StoreError::BadEntry {
                    path: log_dir.join(CHECKPOINT),
                    index: 0,
                    reason: e.to_string(),
                })?;
        }
        Ok((
            Self {
                log_dir: log_dir.to_path_buf(),
                ingest,
                segs,
                last_trim: Instant::now(),
                leagues: league_logs,
                merger,
                fsync,
                stats: StoreStats::default(),
                latency_ns: Vec::new(),
                started: Instant::now(),
            },
            rec,
        ))
    }

    /// Counters.
    pub fn stats(&self) -> StoreStats {
        self.stats
    }

    /// Merge counters.
    pub fn merge_stats(&self) -> crate::merge::MergeStats {
        self.merger.stats()
    }

    /// Handles a group of messages: durable appends, one fsync, acks, then publication.
    pub fn handle_group(&mut self, msgs: Vec<StoreMsg>) -> Result<(), StoreError> {
        let now = unix_ns();
        let mut acks = Vec::new();
        let mut welcomes = Vec::new();
        let mut result: Result<(), StoreError> = Ok(());
        for msg in msgs {
            match msg {
                StoreMsg::Tick => {}
                StoreMsg::NextSeq { source, reply } => {
                    // answered after this group's fsync: the prefix may include appends of this group
                    welcomes.push((reply, self.merger.next_seq(source)));
                }
                StoreMsg::Batch {
                    source,
                    batch,
                    frame,
                    received_unix_ns,
                    ack,
                } => {
                    let h = batch.header;
                    if let Err(e) = self.merger.check(h.match_id, source) {
                        tracing::warn!(%e, "batch refused");
                        let _ = ack.send(Err(CloseCode::ProtocolViolation));
                        continue;
                    }
                    if self.merger.has_batch(source, h.seq) {
                        // durable already, or appended earlier in this group: ack after the fsync
                        self.stats.duplicate_batches += 1;
                        acks.push(ack);
                        continue;
                    }
                    if let Err(e) = self.ingest.append(&frame) {
                        let _ = ack.send(Err(CloseCode::RelayStorage));
                        result = Err(e.into());
                        continue;
                    }
                    let seg = self.active_segment();
                    self.segs.entry(seg).or_default().add(
                        source,
                        h.seq,
                        h.match_id,
                        batch_max_time(&batch),
                    );
                    let items = batch
                        .records
                        .into_iter()
                        .map(|record| RecordItem {
                            record,
                            received_unix_ns,
                        })
                        .collect();
                    match self.merger.ingest(now, h.match_id, source, h.seq, items) {
                        Ok(_) => {
                            self.stats.batches += 1;
                            acks.push(ack);
                        }
                        Err(e) => {
                            tracing::warn!(%e, "batch refused");
                            let _ = ack.send(Err(CloseCode::ProtocolViolation));
                        }
                    }
                }
            }
        }
        if self.fsync && (!acks.is_empty() || !welcomes.is_empty()) {
            if let Err(e) = self.ingest.sync() {
                for a in acks {
                    let _ = a.send(Err(CloseCode::RelayStorage));
                }
                return Err(e.into());
            }
        }
        self.stats.groups += 1;
        for a in acks {
            let _ = a.send(Ok(()));
        }
        for (reply, next) in welcomes {
            let _ = reply.send(next);
        }
        result?;
        let out = self.merger.poll(unix_ns());
        self.publish(out)?;
        if self.last_trim.elapsed().as_secs() >= 1 {
            self.last_trim = Instant::now();
            self.trim_ingest()?;
        }
        Ok(())
    }

    /// First entry index of the ingest segment being appended to (0 before the first one).
    fn active_segment(&self) -> u64 {
        self.ingest
            .segments()
            .list
            .last()
            .map_or(0, |m| m.first_index)
    }

    /// Deletes ingest segments whose every batch is settled: in its source's contiguous prefix and
    /// strictly before its match's published watermark (nothing of it still pending). The sources'
    /// progress is checkpointed first, so a restart without those segments still knows them.
    fn trim_ingest(&mut self) -> Result<(), StoreError> {
        let active = self.active_segment();
        let mut cut = None;
        for (&first, sum) in &self.segs {
            if first >= active {
                break;
            }
            let settled = sum
                .max_seq
                .iter()
                .all(|(src, &seq)| seq < self.merger.next_seq(*src))
                && sum
                    .max_time
                    .iter()
                    .all(|(m, &t)| self.merger.published_upto(*m).is_some_and(|u| t < u));
            if !settled {
                break;
            }
            cut = Some(first);
        }
        let Some(last_settled) = cut else {
            return Ok(());
        };
        // segments are contiguous: cut before the segment after the last settled one
        let next = self
            .ingest
            .segments()
            .list
            .iter()
            .find(|m| m.first_index > last_settled)
            .map_or(active, |m| m.first_index);
        write_checkpoint(&self.log_dir, &self.merger.source_progress()).map_err(|source| {
            StoreError::Log(LogError::Io {
                op: "write checkpoint",
                path: self.log_dir.join(CHECKPOINT),
                source,
            })
        })?;
        let n = self.ingest.trim_before(next)?;
        self.segs = self.segs.split_off(&next);
        tracing::info!(segments = n, first_kept = next, "ingest log trimmed");
        Ok(())
    }

    fn publish(&mut self, out: Vec<Published<RecordItem>>) -> Result<(), StoreError> {
        if out.is_empty() {
            return Ok(());
        }
        let now = unix_ns();
        let mut touched = Vec::new();
        for p in &out {
            let Some(log) = self.leagues.get_mut(&p.league) else {
                continue;
            };
            log.append(&encode_league(p, now)?)?;
            if !touched.contains(&p.league) {
                touched.push(p.league);
            }
        }
        if self.fsync {
            for l in touched {
                if let Some(log) = self.leagues.get_mut(&l) {
                    log.sync()?;
                }
            }
        }
        let done = unix_ns();
        for p in &out {
            if self.latency_ns.len() < 1_000_000 {
                self.latency_ns.push(done - p.item.received_unix_ns);
            }
        }
        self.stats.published += out.len() as u64;
        Ok(())
    }

    /// Runs the store loop on the current (dedicated) thread until every sender is gone.
    pub fn run(
        mut self,
        mut rx: mpsc::Receiver<StoreMsg>,
        max_group: usize,
    ) -> Result<(), StoreError> {
        let mut last_report = Instant::now();
        while let Some(first) = rx.blocking_recv() {
            let mut group = vec![first];
            while group.len() < max_group {
                match rx.try_recv() {
                    Ok(m) => group.push(m),
                    Err(_) => break,
                }
            }
            self.handle_group(group)?;
            if last_report.elapsed().as_secs() >= 5 {
                last_report = Instant::now();
                let s = self.stats;
                let m = self.merger.stats();
                tracing::info!(
                    uptime_s = self.started.elapsed().as_secs(),
                    batches = s.batches,
                    duplicate_batches = s.duplicate_batches,
                    published = s.published,
                    duplicate_records = m.duplicate_records,
                    late = m.late_records,
                    forced = m.forced_records,
                    pending = self.merger.pending(),
                    "store"
                );
            }
        }
        Ok(())
    }
}
