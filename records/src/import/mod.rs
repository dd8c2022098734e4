//! Importers for third-party tracking formats (pure functions on `&str`).
