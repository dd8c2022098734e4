//! Relay library.
