//! Touchline relay: QUIC + mTLS ingest from edge nodes, durable log, per-match merge, league streams.
//!
//! Pure core: [`merge`] (dedupe, watermark ordering, league offsets) and [`config`] validation.
//! Shell: [`server`] (quinn), [`store`] (durable logs, store thread), [`pki`] (dev certificates),
//! [`tls`] (rustls/quinn config, node identity).

pub mod config;
pub mod merge;
pub mod pki;
pub mod server;
pub mod store;
pub mod tls;
