//! A deterministic synthetic match: batch `i` is the same bytes on every node and every run, so
//! redundant nodes produce identical records and a restarted node continues exactly where its
//! journal ends. Used by the demo, fault tests and the benchmark.

use records::{
    Batch, BatchHeader, EventId, LatencyStamps, MatchId, NodeId, ObjectClass, ObjectPosition,
    PositionFrame, Record, ScoreEvent, ScoreEventKind, SourceFlags, StreamId, TeamId, TrackId,
    VenueId, VenueTime,
};

/// Which batches to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyntheticMatch {
    /// Venue.
    pub venue: VenueId,
    /// Match.
    pub match_id: MatchId,
    /// Node.
    pub node: NodeId,
    /// Stream.
    pub stream: StreamId,
    /// Frames per second of the match clock.
    pub rate_hz: u32,
    /// Objects per position frame.
    pub objects: u32,
    /// A scoring event every this many frames (0 = none).
    pub event_every: u64,
}

impl SyntheticMatch {
    /// Venue time of frame `i`.
    pub fn time(&self, i: u64) -> VenueTime {
        let period = 1_000_000_000 / i64::from(self.rate_hz.max(1));
        VenueTime(i as i64 * period)
    }

    /// Batch for frame `i` (its `seq` is set by the journal).
    pub fn batch(&self, i: u64) -> Batch {
        let t = self.time(i);
        let secs = t.secs_f64();
        let objects = (0..self.objects)
            .map(|k| {
                let phase = f64::from(k) * 0.7;
                let class = if k + 1 == self.objects {
                    ObjectClass::Ball
                } else {
                    ObjectClass::Player
                };
                ObjectPosition {
                    id: TrackId(k + 1),
                    class,
                    player: None,
                    x_cm: ((secs * 0.3 + phase).sin() * 4_000.0) as i32,
                    y_cm: ((secs * 0.2 + phase).cos() * 2_500.0) as i32,
                    z_cm: 0,
                    confidence: 200,
                    flags: SourceFlags::VISION,
                }
            })
            .collect();
        let mut records = vec![Record::Positions(PositionFrame {
            time: t,
            stamps: LatencyStamps::NONE,
            objects,
        })];
        if self.event_every > 0 && i % self.event_every == self.event_every - 1 {
            records.push(Record::Event(ScoreEvent {
                time: t,
                stamps: LatencyStamps::NONE,
                event_id: EventId(i),
                revision: 0,
                retracted: false,
                kind: ScoreEventKind::PossessionChange {
                    team: Some(TeamId((i % 2) as u32 + 1)),
                    player: None,
                },
                position_cm: None,
            }));
        }
        Batch {
            header: BatchHeader {
                venue: self.venue,
                match_id: self.match_id,
                node: self.node,
                stream: self.stream,
                seq: 0,
                first_time: t,
                last_time: t,
            },
            records,
        }
    }
}
