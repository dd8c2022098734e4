//! Touchline relay: QUIC + mTLS ingest from edge nodes, durable log, per-match merge, league streams.
//!
//! Pure core: [`merge`] (dedupe, watermark ordering, league offsets) and [`config`] validation.
//! Shell: [`server`] (quinn), [`store`] (durable logs), [`pki`] (dev certificates), [`tls`].

pub mod merge;
