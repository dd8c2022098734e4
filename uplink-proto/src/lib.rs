//! The uplink contract shared by the edge node and the relay (sans-IO).
//!
//! # Streams
//! The edge opens bidirectional streams ("lanes": live and backlog). On each lane it first writes a
//! [`Hello`] (6 bytes), then `records` wire frames, each a `Frame::Batch`. The relay answers on the
//! same lane with one [`RelayMsg::Welcome`] (the next sequence number it needs for that
//! `(node, stream)`: every lower one is durable at the relay) and then one [`RelayMsg::Ack`] per batch,
//! sent only after the batch is durable in the relay's log (or was already).
//!
//! # Identity
//! A node certificate carries the DNS SAN `node-<node>.venue-<venue>.touchline`
//! ([`NodeIdentity::dns_name`]); the relay maps the venue to the matches it may publish.

use records::{NodeId, StreamId, VenueId};

/// ALPN of the uplink protocol.
pub const ALPN: &[u8] = b"touchline-uplink/1";
/// Suffix of node identities.
pub const IDENTITY_SUFFIX: &str = ".touchline";

/// Application close codes (QUIC `CONNECTION_CLOSE` error code) used by the relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum CloseCode {
    /// Orderly close.
    Normal = 0,
    /// The certificate carries no node identity.
    UnknownIdentity = 0x10,
    /// The certificate's venue is not in the relay's config.
    UnknownVenue = 0x11,
    /// A batch claims a venue, node or match this certificate may not publish.
    WrongVenueOrMatch = 0x12,
    /// Bytes that do not decode as the protocol (bad Hello, bad frame, CRC mismatch...).
    MalformedFrame = 0x13,
    /// A frame over the relay's size limit.
    FrameTooLarge = 0x14,
    /// The relay is at its connection limit.
    TooManyConnections = 0x15,
    /// Valid bytes, invalid use (a stream switching match, a non-batch frame...).
    ProtocolViolation = 0x16,
    /// The relay is shutting down.
    ShuttingDown = 0x17,
    /// The relay could not store the batch (its own log failed).
    RelayStorage = 0x18,
}

impl CloseCode {
    /// All codes.
    pub const ALL: [CloseCode; 10] = [
        CloseCode::Normal,
        CloseCode::UnknownIdentity,
        CloseCode::UnknownVenue,
        CloseCode::WrongVenueOrMatch,
        CloseCode::MalformedFrame,
        CloseCode::FrameTooLarge,
        CloseCode::TooManyConnections,
        CloseCode::ProtocolViolation,
        CloseCode::ShuttingDown,
        CloseCode::RelayStorage,
    ];

    /// The numeric code.
    pub const fn code(self) -> u32 {
        self as u32
    }

    /// From a numeric code.
    pub fn from_code(code: u64) -> Option<Self> {
        Self::ALL.into_iter().find(|c| u64::from(c.code()) == code)
    }

    /// Whether a node should stop retrying (configuration problem) rather than reconnect.
    pub const fn is_fatal(self) -> bool {
        matches!(
            self,
            CloseCode::UnknownIdentity | CloseCode::UnknownVenue | CloseCode::WrongVenueOrMatch
        )
    }
}

/// A node's identity as carried in its certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NodeIdentity {
    /// Venue.
    pub venue: VenueId,
    /// Node.
    pub node: NodeId,
}

impl NodeIdentity {
    /// The DNS SAN form: `node-<node>.venue-<venue>.touchline`.
    pub fn dns_name(&self) -> String {
        format!(
            "node-{}.venue-{}{IDENTITY_SUFFIX}",
            self.node.0, self.venue.0
        )
    }

    /// Parses the DNS SAN form.
    pub fn parse(name: &str) -> Option<Self> {
        let rest = name.strip_suffix(IDENTITY_SUFFIX)?;
        let (node, venue) = rest.split_once('.')?;
        let node = node.strip_prefix("node-")?.parse().ok()?;
        let venue = venue.strip_prefix("venue-")?.parse().ok()?;
        Some(Self {
            venue: VenueId(venue),
            node: NodeId(node),
        })
    }
}

/// Which lane a stream is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lane {
    /// Batches produced since the connection started.
    Live,
    /// The journal's unacknowledged backlog.
    Backlog,
}

/// First bytes on every lane, edge → relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hello {
    /// The node's stream this lane carries.
    pub stream: StreamId,
    /// Which lane.
    pub lane: Lane,
}

/// Length of an encoded [`Hello`].
pub const HELLO_LEN: usize = 6;
const HELLO_TAG: u8 = 0xA1;

/// Protocol errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtoError {
    /// Unknown tag byte.
    #[error("unknown message tag {0:#04x}")]
    BadTag(u8),
    /// Unknown lane byte.
    #[error("unknown lane {0}")]
    BadLane(u8),
}

impl Hello {
    /// Encodes: tag `0xA1`, stream u32 LE, lane u8 (0 live, 1 backlog).
    pub fn encode(&self) -> [u8; HELLO_LEN] {
        let s = self.stream.0.to_le_bytes();
        let lane = match self.lane {
            Lane::Live => 0,
            Lane::Backlog => 1,
        };
        [HELLO_TAG, s[0], s[1], s[2], s[3], lane]
    }

    /// Decodes.
    pub fn decode(b: &[u8; HELLO_LEN]) -> Result<Self, ProtoError> {
        if b[0] != HELLO_TAG {
            return Err(ProtoError::BadTag(b[0]));
        }
        let lane = match b[5] {
            0 => Lane::Live,
            1 => Lane::Backlog,
            other => return Err(ProtoError::BadLane(other)),
        };
        Ok(Self {
            stream: StreamId(u32::from_le_bytes([b[1], b[2], b[3], b[4]])),
            lane,
        })
    }
}

/// Relay → edge messages, each [`RELAY_MSG_LEN`] bytes: tag u8, seq u64 LE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelayMsg {
    /// Every sequence number below `next_seq` is durable at the relay.
    Welcome {
        /// First sequence number the relay may not have.
        next_seq: u64,
    },
    /// Batch `seq` is durable at the relay.
    Ack {
        /// Its sequence number.
        seq: u64,
    },
}

/// Length of an encoded [`RelayMsg`].
pub const RELAY_MSG_LEN: usize = 9;
const WELCOME_TAG: u8 = 0xB1;
const ACK_TAG: u8 = 0xB2;

impl RelayMsg {
    /// Encodes.
    pub fn encode(&self) -> [u8; RELAY_MSG_LEN] {
        let (tag, v) = match *self {
            RelayMsg::Welcome { next_seq } => (WELCOME_TAG, next_seq),
            RelayMsg::Ack { seq } => (ACK_TAG, seq),
        };
        let mut out = [0u8; RELAY_MSG_LEN];
        out[0] = tag;
        out[1..].copy_from_slice(&v.to_le_bytes());
        out
    }

    /// Decodes.
    pub fn decode(b: &[u8; RELAY_MSG_LEN]) -> Result<Self, ProtoError> {
        let mut v = [0u8; 8];
        v.copy_from_slice(&b[1..]);
        let v = u64::from_le_bytes(v);
        match b[0] {
            WELCOME_TAG => Ok(RelayMsg::Welcome { next_seq: v }),
            ACK_TAG => Ok(RelayMsg::Ack { seq: v }),
            other => Err(ProtoError::BadTag(other)),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn identity_round_trip_and_rejects() {
        let id = NodeIdentity {
            venue: VenueId(7),
            node: NodeId(3),
        };
        assert_eq!(id.dns_name(), "node-3.venue-7.touchline");
        assert_eq!(NodeIdentity::parse(&id.dns_name()), Some(id));
        for bad in [
            "localhost",
            "node-3.venue-x.touchline",
            "node-3.touchline",
            "venue-7.node-3.touchline",
        ] {
            assert_eq!(NodeIdentity::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn messages_round_trip() {
        for lane in [Lane::Live, Lane::Backlog] {
            let h = Hello {
                stream: StreamId(9),
                lane,
            };
            assert_eq!(Hello::decode(&h.encode()).unwrap(), h);
        }
        for m in [
            RelayMsg::Welcome { next_seq: 42 },
            RelayMsg::Ack { seq: u64::MAX },
        ] {
            assert_eq!(RelayMsg::decode(&m.encode()).unwrap(), m);
        }
        assert_eq!(RelayMsg::decode(&[0; 9]), Err(ProtoError::BadTag(0)));
        assert_eq!(
            Hello::decode(&[HELLO_TAG, 0, 0, 0, 0, 5]),
            Err(ProtoError::BadLane(5))
        );
        for c in CloseCode::ALL {
            assert_eq!(CloseCode::from_code(c.code().into()), Some(c));
        }
    }
}
