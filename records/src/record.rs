//! Record kinds. Every record carries its venue time and latency stamps.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ids::{
    CameraId, EventId, LatencyStamps, LeagueId, MatchId, NodeId, PlayerId, StreamId, TeamId,
    TrackId, VenueId, VenueTime, WearableId,
};

/// What a tracked object is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ObjectClass {
    /// A player of either team.
    #[default]
    Player,
    /// A match official.
    Referee,
    /// The ball.
    Ball,
    /// Anything else that is tracked (e.g. an unidentified person).
    Other,
}

impl ObjectClass {
    /// Two-bit code used by the positional codec.
    pub const fn code(self) -> u8 {
        match self {
            ObjectClass::Player => 0,
            ObjectClass::Referee => 1,
            ObjectClass::Ball => 2,
            ObjectClass::Other => 3,
        }
    }

    /// Inverse of [`ObjectClass::code`] (only the low two bits are read).
    pub const fn from_code(code: u8) -> Self {
        match code & 3 {
            0 => ObjectClass::Player,
            1 => ObjectClass::Referee,
            2 => ObjectClass::Ball,
            _ => ObjectClass::Other,
        }
    }
}

/// Where a position came from, as a bit set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct SourceFlags(pub u8);

impl SourceFlags {
    /// Seen by at least one camera.
    pub const VISION: SourceFlags = SourceFlags(1);
    /// Reported by a wearable.
    pub const WEARABLE: SourceFlags = SourceFlags(1 << 1);
    /// Fused from several sources.
    pub const FUSED: SourceFlags = SourceFlags(1 << 2);
    /// Predicted (no fresh measurement this frame).
    pub const PREDICTED: SourceFlags = SourceFlags(1 << 3);

    /// Whether all bits of `other` are set.
    pub const fn contains(self, other: SourceFlags) -> bool {
        self.0 & other.0 == other.0
    }
}

impl std::ops::BitOr for SourceFlags {
    type Output = SourceFlags;
    fn bitor(self, rhs: SourceFlags) -> SourceFlags {
        SourceFlags(self.0 | rhs.0)
    }
}

/// One object's position in one frame, in pitch centimetres (origin at the pitch centre, x along the length,
/// y across, z up).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
pub struct ObjectPosition {
    /// Track id, unique within the frame. Frames keep objects sorted by this id.
    pub id: TrackId,
    /// Player, referee, ball or other.
    pub class: ObjectClass,
    /// The catalog player this track is identified as, if known.
    pub player: Option<PlayerId>,
    /// Along the pitch length, cm.
    pub x_cm: i32,
    /// Across the pitch, cm.
    pub y_cm: i32,
    /// Height, cm (0 for objects on the ground; meaningful for the ball).
    pub z_cm: i32,
    /// Confidence, 0 = none … 255 = certain.
    pub confidence: u8,
    /// Measurement sources.
    pub flags: SourceFlags,
}

/// Positions of all tracked objects at one instant.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
pub struct PositionFrame {
    /// Instant on the match clock.
    pub time: VenueTime,
    /// Per-hop latency stamps.
    pub stamps: LatencyStamps,
    /// Objects, sorted by strictly increasing [`ObjectPosition::id`].
    pub objects: Vec<ObjectPosition>,
}

impl PositionFrame {
    /// Sorts objects by id (the codec requires sorted, unique ids).
    pub fn sort_objects(&mut self) {
        self.objects.sort_by_key(|o| o.id);
    }
}

/// How play went out, for [`ScoreEventKind::OutOfPlay`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OutOfPlay {
    /// Over a touch line.
    Touchline,
    /// Over a goal line outside the goal.
    GoalLine,
    /// Stopped by the referee.
    Whistle,
}

/// The kind of a scoring event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScoreEventKind {
    /// The ball crossed a goal line between the posts under the bar.
    Goal {
        /// The team credited with the goal.
        team: TeamId,
        /// The scorer, if identified.
        scorer: Option<PlayerId>,
    },
    /// The ball went out of play.
    OutOfPlay {
        /// How.
        how: OutOfPlay,
        /// The team that last touched the ball, if known.
        last_touch: Option<TeamId>,
    },
    /// Kick-off.
    KickOff {
        /// The kicking team.
        team: TeamId,
    },
    /// A period (half, extra-time half, shoot-out) started.
    PeriodStart {
        /// 1-based period number.
        period: u8,
    },
    /// A period ended.
    PeriodEnd {
        /// 1-based period number.
        period: u8,
    },
    /// Possession changed.
    PossessionChange {
        /// The team now in possession, or none (contested).
        team: Option<TeamId>,
        /// The player now in possession, if known.
        player: Option<PlayerId>,
    },
}

/// A scoring event. Revision 0 is the first report; a later revision of the same `event_id` replaces it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct ScoreEvent {
    /// When the event happened on the match clock.
    pub time: VenueTime,
    /// Per-hop latency stamps.
    pub stamps: LatencyStamps,
    /// Stable id of the event across revisions.
    pub event_id: EventId,
    /// Revision; higher revisions supersede lower ones.
    pub revision: u32,
    /// Whether this revision retracts the event (e.g. a goal ruled out).
    pub retracted: bool,
    /// What happened.
    pub kind: ScoreEventKind,
    /// Where on the pitch (cm), if meaningful.
    pub position_cm: Option<(i32, i32)>,
}

/// The score state at an instant; lets a subscriber join mid-match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct ScoreState {
    /// Instant on the match clock.
    pub time: VenueTime,
    /// Per-hop latency stamps.
    pub stamps: LatencyStamps,
    /// Current period (1-based; 0 before kick-off).
    pub period: u8,
    /// Whether the ball is in play.
    pub ball_in_play: bool,
    /// Home team.
    pub home: TeamId,
    /// Away team.
    pub away: TeamId,
    /// Goals of the home team.
    pub home_goals: u16,
    /// Goals of the away team.
    pub away_goals: u16,
    /// Team in possession, if any.
    pub possession: Option<TeamId>,
    /// The latest event folded into this state.
    pub last_event: Option<EventId>,
}

/// What kind of anomaly was detected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AnomalyKind {
    /// A sensor stopped reporting.
    SensorDropout,
    /// A track moved faster than a human can.
    ImpossibleSpeed,
    /// A track jumped (likely an identity switch).
    TrackJump,
    /// A source's clock drifted from the match clock.
    ClockDrift,
    /// Camera and wearable disagree on a player's position.
    SourceDisagreement,
    /// Flagged by the anomaly model; the number is the model's class index.
    Model(u16),
}

/// What an anomaly is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AnomalySubject {
    /// A catalog player.
    Player(PlayerId),
    /// A track.
    Track(TrackId),
    /// A camera.
    Camera(CameraId),
    /// A wearable.
    Wearable(WearableId),
    /// An edge node.
    Node(NodeId),
}

/// An anomaly over a span of match time.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Anomaly {
    /// When the anomaly was reported on the match clock.
    pub time: VenueTime,
    /// Per-hop latency stamps.
    pub stamps: LatencyStamps,
    /// What kind.
    pub kind: AnomalyKind,
    /// About what.
    pub subject: AnomalySubject,
    /// Start of the anomalous span.
    pub start: VenueTime,
    /// End of the anomalous span (inclusive).
    pub end: VenueTime,
    /// Anomaly score, 0 = normal … 1 = certainly anomalous.
    pub score: f32,
}

/// One player of a team in the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct CatalogPlayer {
    /// Player id.
    pub id: PlayerId,
    /// Display name.
    pub name: String,
    /// Shirt number.
    pub shirt: u8,
    /// Wearable worn by this player, if any.
    pub wearable: Option<WearableId>,
}

/// One team in the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct CatalogTeam {
    /// Team id.
    pub id: TeamId,
    /// Display name.
    pub name: String,
    /// Squad.
    pub players: Vec<CatalogPlayer>,
}

/// Who plays: teams, players and their wearables, plus the pitch size.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct MatchCatalog {
    /// When this catalog version took effect on the match clock.
    pub time: VenueTime,
    /// Per-hop latency stamps.
    pub stamps: LatencyStamps,
    /// League.
    pub league: LeagueId,
    /// Match.
    pub match_id: MatchId,
    /// Venue.
    pub venue: VenueId,
    /// Pitch length (x extent), cm.
    pub pitch_length_cm: u32,
    /// Pitch width (y extent), cm.
    pub pitch_width_cm: u32,
    /// Home team.
    pub home: CatalogTeam,
    /// Away team.
    pub away: CatalogTeam,
}

/// Overall health of an edge node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum NodeHealth {
    /// All sources and stages are running.
    Ok,
    /// Running with reduced inputs or dropping data.
    Degraded,
    /// Not producing usable output.
    Failing,
}

/// Per-camera counters in a heartbeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct CameraStatus {
    /// Camera.
    pub camera: CameraId,
    /// Frames per second actually processed, × 1000.
    pub fps_milli: u32,
    /// Frames dropped since the node started.
    pub dropped_frames: u64,
}

/// Periodic node health report.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct Heartbeat {
    /// Instant on the match clock.
    pub time: VenueTime,
    /// Per-hop latency stamps.
    pub stamps: LatencyStamps,
    /// Reporting node.
    pub node: NodeId,
    /// Overall health.
    pub health: NodeHealth,
    /// Seconds since the node started.
    pub uptime_s: u64,
    /// Per-camera counters.
    pub cameras: Vec<CameraStatus>,
    /// Wearable samples dropped since start.
    pub dropped_wearable_samples: u64,
    /// Records dropped since start (should be 0: the journal never drops).
    pub dropped_records: u64,
    /// Batches journaled but not yet acknowledged by the relay.
    pub unacked_batches: u64,
}

/// The kind of a record, as a one-byte code on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum RecordKind {
    /// [`PositionFrame`].
    Positions = 1,
    /// [`ScoreEvent`].
    Event = 2,
    /// [`ScoreState`].
    Score = 3,
    /// [`Anomaly`].
    Anomaly = 4,
    /// [`MatchCatalog`].
    Catalog = 5,
    /// [`Heartbeat`].
    Heartbeat = 6,
}

impl RecordKind {
    /// From the wire code.
    pub const fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            1 => RecordKind::Positions,
            2 => RecordKind::Event,
            3 => RecordKind::Score,
            4 => RecordKind::Anomaly,
            5 => RecordKind::Catalog,
            6 => RecordKind::Heartbeat,
            _ => return None,
        })
    }
}

/// Any record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Record {
    /// Positions of all tracked objects.
    Positions(PositionFrame),
    /// A scoring event (or a revision of one).
    Event(ScoreEvent),
    /// Score state snapshot.
    Score(ScoreState),
    /// An anomaly.
    Anomaly(Anomaly),
    /// Match catalog.
    Catalog(MatchCatalog),
    /// Node heartbeat.
    Heartbeat(Heartbeat),
}

impl Record {
    /// The record's instant on the match clock.
    pub fn venue_time(&self) -> VenueTime {
        match self {
            Record::Positions(r) => r.time,
            Record::Event(r) => r.time,
            Record::Score(r) => r.time,
            Record::Anomaly(r) => r.time,
            Record::Catalog(r) => r.time,
            Record::Heartbeat(r) => r.time,
        }
    }

    /// The record's latency stamps.
    pub fn stamps(&self) -> &LatencyStamps {
        match self {
            Record::Positions(r) => &r.stamps,
            Record::Event(r) => &r.stamps,
            Record::Score(r) => &r.stamps,
            Record::Anomaly(r) => &r.stamps,
            Record::Catalog(r) => &r.stamps,
            Record::Heartbeat(r) => &r.stamps,
        }
    }

    /// The record's latency stamps, for the relay to fill in its hops.
    pub fn stamps_mut(&mut self) -> &mut LatencyStamps {
        match self {
            Record::Positions(r) => &mut r.stamps,
            Record::Event(r) => &mut r.stamps,
            Record::Score(r) => &mut r.stamps,
            Record::Anomaly(r) => &mut r.stamps,
            Record::Catalog(r) => &mut r.stamps,
            Record::Heartbeat(r) => &mut r.stamps,
        }
    }

    /// The record's kind.
    pub fn kind(&self) -> RecordKind {
        match self {
            Record::Positions(_) => RecordKind::Positions,
            Record::Event(_) => RecordKind::Event,
            Record::Score(_) => RecordKind::Score,
            Record::Anomaly(_) => RecordKind::Anomaly,
            Record::Catalog(_) => RecordKind::Catalog,
            Record::Heartbeat(_) => RecordKind::Heartbeat,
        }
    }
}

/// Header of a batch: who sent it and where it sits in the sender's stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
pub struct BatchHeader {
    /// Venue of the sending node.
    pub venue: VenueId,
    /// Match the records belong to.
    pub match_id: MatchId,
    /// Sending node.
    pub node: NodeId,
    /// Stream of the node.
    pub stream: StreamId,
    /// Sequence number within (node, stream), starting at 0, incremented by 1 per batch.
    pub seq: u64,
    /// Earliest record venue time in the batch.
    pub first_time: VenueTime,
    /// Latest record venue time in the batch.
    pub last_time: VenueTime,
}

/// A batch of records from one node; the unit of journaling, transport and acknowledgement.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct Batch {
    /// Header.
    pub header: BatchHeader,
    /// Records, in the order the node produced them.
    pub records: Vec<Record>,
}

impl Batch {
    /// Builds a batch, deriving `first_time`/`last_time` from the records (both 0 when there are none).
    pub fn new(
        venue: VenueId,
        match_id: MatchId,
        node: NodeId,
        stream: StreamId,
        seq: u64,
        records: Vec<Record>,
    ) -> Self {
        let first_time = records
            .iter()
            .map(Record::venue_time)
            .min()
            .unwrap_or_default();
        let last_time = records
            .iter()
            .map(Record::venue_time)
            .max()
            .unwrap_or_default();
        Batch {
            header: BatchHeader {
                venue,
                match_id,
                node,
                stream,
                seq,
                first_time,
                last_time,
            },
            records,
        }
    }
}
