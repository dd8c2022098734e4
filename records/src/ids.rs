//! Identifiers and clocks as distinct types, so a venue id can never be passed where a match id is expected.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident($inner:ty)) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize, JsonSchema,
        )]
        #[serde(transparent)]
        pub struct $name(pub $inner);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<$inner> for $name {
            fn from(v: $inner) -> Self {
                Self(v)
            }
        }
    };
}

id_type!(
    /// A league (competition); the relay publishes one stream per league.
    LeagueId(u32)
);
id_type!(
    /// A match; unique across leagues.
    MatchId(u64)
);
id_type!(
    /// A venue (stadium); an edge node's certificate maps to one venue.
    VenueId(u32)
);
id_type!(
    /// An edge node at a venue. Several redundant nodes may cover one match.
    NodeId(u32)
);
id_type!(
    /// A logical stream of batches from one node (sequence numbers are per node and stream).
    StreamId(u32)
);
id_type!(
    /// A camera of a venue.
    CameraId(u16)
);
id_type!(
    /// A player, as listed in the match catalog.
    PlayerId(u32)
);
id_type!(
    /// A tracked object (player, referee or ball) within one match; stable while the object is tracked.
    TrackId(u32)
);
id_type!(
    /// A team, as listed in the match catalog.
    TeamId(u32)
);
id_type!(
    /// A wearable device (e.g. a GPS/IMU vest), as listed in the match catalog.
    WearableId(u64)
);
id_type!(
    /// A scoring event; revisions of one event (corrections, retraction) share its id.
    EventId(u64)
);

/// A point on the match clock, in nanoseconds. Every record carries one.
///
/// Camera PTS and wearable timestamps are mapped onto this clock by the edge node.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    Serialize,
    Deserialize,
    JsonSchema,
)]
#[serde(transparent)]
pub struct VenueTime(pub i64);

impl VenueTime {
    /// Nanoseconds per second.
    pub const NANOS_PER_SEC: i64 = 1_000_000_000;

    /// From nanoseconds on the match clock.
    pub const fn from_nanos(nanos: i64) -> Self {
        Self(nanos)
    }

    /// Nanoseconds on the match clock.
    pub const fn nanos(self) -> i64 {
        self.0
    }

    /// From (possibly fractional) seconds on the match clock, rounded to the nearest nanosecond.
    pub fn from_secs_f64(secs: f64) -> Self {
        Self((secs * Self::NANOS_PER_SEC as f64).round() as i64)
    }

    /// Seconds on the match clock.
    pub fn secs_f64(self) -> f64 {
        self.0 as f64 / Self::NANOS_PER_SEC as f64
    }

    /// `self - earlier` in nanoseconds, saturating.
    pub const fn nanos_since(self, earlier: VenueTime) -> i64 {
        self.0.saturating_sub(earlier.0)
    }
}

impl std::fmt::Display for VenueTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}ns", self.0)
    }
}

/// Per-hop latency stamps on the match clock. The edge node fills the first three; the relay adds the last two.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
pub struct LatencyStamps {
    /// When the underlying sensor data was captured (camera exposure, wearable sample).
    pub captured: Option<VenueTime>,
    /// When the edge node finished processing it into this record.
    pub processed: Option<VenueTime>,
    /// When the edge node sent the batch holding this record.
    pub sent: Option<VenueTime>,
    /// When the relay received the batch.
    pub relay_received: Option<VenueTime>,
    /// When the relay published the record to subscribers.
    pub published: Option<VenueTime>,
}

impl LatencyStamps {
    /// No stamps set.
    pub const NONE: LatencyStamps = LatencyStamps {
        captured: None,
        processed: None,
        sent: None,
        relay_received: None,
        published: None,
    };

    /// The stamps in hop order: captured, processed, sent, relay-received, published.
    pub fn as_array(&self) -> [Option<VenueTime>; 5] {
        [
            self.captured,
            self.processed,
            self.sent,
            self.relay_received,
            self.published,
        ]
    }

    /// Inverse of [`LatencyStamps::as_array`].
    pub fn from_array(a: [Option<VenueTime>; 5]) -> Self {
        let [captured, processed, sent, relay_received, published] = a;
        Self {
            captured,
            processed,
            sent,
            relay_received,
            published,
        }
    }
}
