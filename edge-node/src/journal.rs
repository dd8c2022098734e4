//! The edge journal: every batch is appended here (and fsynced per policy) before it is sent, and
//! trimmed only after the relay acknowledged it. A batch's sequence number is its journal index, so
//! sequence numbers are dense and survive restarts.
//!
//! Full policy (size cap): scoring records (events, score, anomalies, catalog) are never dropped: a
//! batch holding one is refused with [`JournalError::Full`] and the producer waits for acks to free
//! space. Positional batches (positions, heartbeats) are dropped, counted in [`JournalStats`] and
//! reported.
//!
//! The acknowledgement bookkeeping ([`AckTracker`]) is pure.

use std::collections::BTreeSet;
use std::path::Path;

use durable_log::{FsyncPolicy, Log, LogError, LogOptions, Recovery};
use records::{Batch, Record};

/// Journal errors.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// The underlying log failed.
    #[error("journal log: {0}")]
    Log(LogError),
    /// The journal is at its cap and the batch holds scoring records: wait for acks.
    #[error("journal full ({used} of {cap} bytes): scoring batch must wait")]
    Full {
        /// Bytes used.
        used: u64,
        /// Cap.
        cap: u64,
    },
    /// The batch could not be encoded.
    #[error("encoding batch: {0}")]
    Encode(#[from] records::EncodeError),
}

/// What to do when the journal is at its cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FullPolicy {
    /// Drop positional-only batches (counted); scoring batches wait.
    #[default]
    DropPositions,
    /// Every batch waits.
    WaitAll,
}

/// Journal settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JournalConfig {
    /// Segment size.
    pub segment_bytes: u64,
    /// Size cap.
    pub max_bytes: Option<u64>,
    /// fsync policy.
    pub fsync: FsyncPolicy,
    /// Full policy.
    pub full_policy: FullPolicy,
}

impl Default for JournalConfig {
    fn default() -> Self {
        Self {
            segment_bytes: 4 << 20,
            max_bytes: Some(1 << 30),
            fsync: FsyncPolicy::Always,
            full_policy: FullPolicy::DropPositions,
        }
    }
}

/// Pure acknowledgement bookkeeping: acks may arrive out of order (two lanes).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AckTracker {
    below: u64,
    above: BTreeSet<u64>,
}

impl AckTracker {
    /// Every sequence number below this is acknowledged.
    pub fn contiguous(&self) -> u64 {
        self.below
    }

    /// Records an ack.
    pub fn ack(&mut self, seq: u64) {
        if seq < self.below {
            return;
        }
        self.above.insert(seq);
        while self.above.remove(&self.below) {
            self.below += 1;
        }
    }

    /// Everything below `n` is acknowledged (the relay's Welcome).
    pub fn advance_to(&mut self, n: u64) {
        if n > self.below {
            self.below = n;
            self.above = self.above.split_off(&n);
            while self.above.remove(&self.below) {
                self.below += 1;
            }
        }
    }

    /// Whether `seq` is acknowledged.
    pub fn is_acked(&self, seq: u64) -> bool {
        seq < self.below || self.above.contains(&seq)
    }
}

/// Whether a record may be dropped under the full policy.
pub fn is_positional(r: &Record) -> bool {
    matches!(r, Record::Positions(_) | Record::Heartbeat(_))
}

/// Counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JournalStats {
    /// Positional batches dropped at the cap.
    pub dropped_position_batches: u64,
    /// Records in them.
    pub dropped_position_records: u64,
    /// Scoring batches that had to wait at the cap.
    pub scoring_waits: u64,
}

/// What [`Journal::append`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppendOutcome {
    /// Journaled with this sequence number.
    Journaled(u64),
    /// Dropped (positional, journal full).
    DroppedPositions {
        /// Records dropped.
        records: usize,
    },
}

/// The journal.
#[derive(Debug)]
pub struct Journal {
    log: Log,
    cfg: JournalConfig,
    acks: AckTracker,
    stats: JournalStats,
}

impl Journal {
    /// Opens the journal in `dir`; a torn last write is cut and reported in the [`Recovery`].
    pub fn open(dir: &Path, cfg: JournalConfig) -> Result<(Self, Recovery), JournalError> {
        let (log, rec) = Log::open(
            dir,
            LogOptions {
                segment_bytes: cfg.segment_bytes,
                max_total_bytes: cfg.max_bytes,
                max_entry_bytes: records::wire::DEFAULT_MAX_FRAME_LEN as u32 + 64,
                fsync: cfg.fsync,
            },
        )
        .map_err(JournalError::Log)?;
        let mut acks = AckTracker::default();
        // Entries trimmed away were acknowledged.
        acks.advance_to(log.first_index());
        Ok((
            Self {
                log,
                cfg,
                acks,
                stats: JournalStats::default(),
            },
            rec,
        ))
    }

    /// Assigns the next sequence number and the time span to `batch`, encodes and appends it.
    pub fn append(&mut self, mut batch: Batch) -> Result<AppendOutcome, JournalError> {
        let seq = self.log.next_index();
        batch.header.seq = seq;
        if let (Some(first), Some(last)) = (
            batch.records.iter().map(Record::venue_time).min(),
            batch.records.iter().map(Record::venue_time).max(),
        ) {
            batch.header.first_time = first;
            batch.header.last_time = last;
        }
        let frame = records::wire::encode_batch(&batch)?;
        match self.log.append(&frame) {
            Ok(i) => Ok(AppendOutcome::Journaled(i)),
            Err(LogError::Full { used, cap, .. }) => {
                let positional = batch.records.iter().all(is_positional);
                if positional && self.cfg.full_policy == FullPolicy::DropPositions {
                    self.stats.dropped_position_batches += 1;
                    self.stats.dropped_position_records += batch.records.len() as u64;
                    Ok(AppendOutcome::DroppedPositions {
                        records: batch.records.len(),
                    })
                } else {
                    self.stats.scoring_waits += 1;
                    Err(JournalError::Full { used, cap })
                }
            }
            Err(e) => Err(JournalError::Log(e)),
        }
    }

    /// Records the relay's ack of `seq`; trims what is contiguously acknowledged.
    pub fn ack(&mut self, seq: u64) -> Result<(), JournalError> {
        self.acks.ack(seq);
        self.trim()
    }

    /// The relay holds everything below `n`.
    pub fn acked_below(&mut self, n: u64) -> Result<(), JournalError> {
        self.acks.advance_to(n.min(self.log.next_index()));
        self.trim()
    }

    fn trim(&mut self) -> Result<(), JournalError> {
        self.log
            .trim_before(self.acks.contiguous())
            .map_err(JournalError::Log)?;
        Ok(())
    }

    /// Whether `seq` is acknowledged.
    pub fn is_acked(&self, seq: u64) -> bool {
        self.acks.is_acked(seq)
    }

    /// Contiguously acknowledged prefix.
    pub fn contiguous_acked(&self) -> u64 {
        self.acks.contiguous()
    }

    /// Next sequence number.
    pub fn next_seq(&self) -> u64 {
        self.log.next_index()
    }

    /// Bytes on disk.
    pub fn bytes(&self) -> u64 {
        self.log.total_bytes()
    }

    /// Counters.
    pub fn stats(&self) -> JournalStats {
        self.stats
    }

    /// Flushes to disk.
    pub fn sync(&mut self) -> Result<(), JournalError> {
        self.log.sync().map_err(JournalError::Log)
    }

    /// A reader of journaled frames from `seq`.
    pub fn reader(&self, seq: u64) -> durable_log::Reader {
        self.log.reader(seq)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use records::{MatchId, NodeId, PositionFrame, ScoreEvent, VenueTime};

    fn pos(t: i64) -> Record {
        Record::Positions(PositionFrame {
            time: VenueTime(t),
            ..Default::default()
        })
    }

    #[test]
    fn ack_tracker_out_of_order() {
        let mut a = AckTracker::default();
        a.ack(2);
        a.ack(0);
        assert_eq!(a.contiguous(), 1);
        a.ack(1);
        assert_eq!(a.contiguous(), 3);
        a.ack(7);
        a.advance_to(5);
        assert_eq!(a.contiguous(), 5);
        assert!(a.is_acked(7) && !a.is_acked(6));
        a.ack(5);
        a.ack(6);
        assert_eq!(a.contiguous(), 8);
    }

    #[test]
    fn seq_is_dense_across_restart_and_trim() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = JournalConfig {
            segment_bytes: 200,
            fsync: FsyncPolicy::Manual,
            ..JournalConfig::default()
        };
        let (mut j, _) = Journal::open(dir.path(), cfg).unwrap();
        for t in 0..10 {
            let mut b = Batch::default();
            b.header.match_id = MatchId(1);
            b.header.node = NodeId(1);
            b.records.push(pos(t));
            assert_eq!(j.append(b).unwrap(), AppendOutcome::Journaled(t as u64));
        }
        for s in 0..10 {
            j.ack(s).unwrap();
        }
        drop(j);
        let (mut j, _) = Journal::open(dir.path(), cfg).unwrap();
        assert_eq!(j.next_seq(), 10);
        assert!(j.contiguous_acked() >= 1);
        let mut b = Batch::default();
        b.records.push(pos(10));
        assert_eq!(j.append(b).unwrap(), AppendOutcome::Journaled(10));
    }

    #[test]
    fn full_drops_positions_but_never_scoring() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = JournalConfig {
            segment_bytes: 1 << 20,
            max_bytes: Some(300),
            fsync: FsyncPolicy::Manual,
            full_policy: FullPolicy::DropPositions,
        };
        let (mut j, _) = Journal::open(dir.path(), cfg).unwrap();
        let mut dropped = 0;
        let mut waited = false;
        for t in 0..40 {
            let mut b = Batch::default();
            b.records.push(pos(t));
            if t % 5 == 0 {
                b.records.push(Record::Event(ScoreEvent {
                    time: VenueTime(t),
                    stamps: Default::default(),
                    event_id: records::EventId(t as u64),
                    revision: 0,
                    retracted: false,
                    kind: records::ScoreEventKind::KickOff {
                        team: records::TeamId(1),
                    },
                    position_cm: None,
                }));
            }
            match j.append(b) {
                Ok(AppendOutcome::DroppedPositions { .. }) => dropped += 1,
                Ok(AppendOutcome::Journaled(_)) => {}
                Err(JournalError::Full { .. }) => waited = true,
                Err(e) => panic!("{e}"),
            }
        }
        assert!(dropped > 0 && waited);
        assert_eq!(j.stats().dropped_position_batches, dropped);
    }
}
