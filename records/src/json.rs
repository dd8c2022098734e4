//! JSON form of records (serde) and their JSON Schema for non-Rust consumers.
//!
//! The schema files under `records/schema/` are generated from these functions; the test
//! `schema_files_are_current` fails when they are stale (regenerate with `UPDATE_SCHEMA=1 cargo test -p records`).

use crate::record::{Batch, Record};

/// JSON Schema (draft 2020-12) of one [`Record`] as serialised by serde_json.
pub fn record_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(Record)).unwrap_or_default()
}

/// JSON Schema (draft 2020-12) of a [`Batch`].
pub fn batch_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(Batch)).unwrap_or_default()
}

/// A record as JSON text.
pub fn to_json(record: &Record) -> Result<String, serde_json::Error> {
    serde_json::to_string(record)
}

/// A record from JSON text.
pub fn from_json(text: &str) -> Result<Record, serde_json::Error> {
    serde_json::from_str(text)
}
