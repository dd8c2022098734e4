//! Synthetic match generator (see README.md).
