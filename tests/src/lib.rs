//! Shared helpers for the integration tests: repository paths, real service harnesses.

pub mod mosquitto;
pub mod procs;
pub mod real_detectors;
pub mod udp_proxy;

use std::path::{Path, PathBuf};

/// The workspace root (parent of this crate).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(".."))
}

/// `../shared/realdata` beside the repository, if it exists (tests that need it skip otherwise).
pub fn realdata_dir() -> Option<PathBuf> {
    let dir = repo_root().join("../shared/realdata");
    dir.is_dir().then_some(dir)
}

/// A free TCP port on loopback (bound then released; good enough for test harnesses).
pub fn free_tcp_port() -> std::io::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}
