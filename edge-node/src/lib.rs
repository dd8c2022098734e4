//! Edge node library.
