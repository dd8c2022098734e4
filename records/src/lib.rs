//! Touchline records: ids, clocks, record kinds, codec and wire framing.
//!
//! Sans-IO by construction: no tokio, no sockets, no files, no clocks.
