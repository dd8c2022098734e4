//! QUIC uplink to the relay: mutual TLS, reconnect with backoff, resume from the relay's durable
//! prefix, live edge first while the journal backlog catches up beside it.
//!
//! Per connection the node opens two lanes (bidirectional streams, see [`uplink_proto`]):
//! - **backlog**: journal entries from the relay's `Welcome.next_seq` up to where the journal stood at
//!   connect time; ends when all of them are acknowledged;
//! - **live**: journal entries appended since connect time, as they are appended.
//!
//! Each lane keeps at most `window` unacknowledged batches in flight. Acks trim the journal.
//! Everything sent is read back from the journal, so a batch is never sent before it is journaled.

pub mod synthetic;
pub mod tls;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use records::StreamId;
use tokio::sync::{watch, Semaphore};
use uplink_proto::{CloseCode, Hello, Lane, RelayMsg, RELAY_MSG_LEN};

use crate::journal::{Journal, JournalError};

/// Uplink errors.
#[derive(Debug, thiserror::Error)]
pub enum UplinkError {
    /// The relay refused this node for good (configuration): no point retrying.
    #[error("relay refused the node: {code:?} ({reason})")]
    Refused {
        /// Close code.
        code: CloseCode,
        /// Relay's reason.
        reason: String,
    },
    /// The journal failed.
    #[error("journal: {0}")]
    Journal(#[from] JournalError),
    /// Local endpoint setup failed.
    #[error("endpoint: {0}")]
    Endpoint(#[from] std::io::Error),
}

/// Uplink settings.
#[derive(Debug, Clone)]
pub struct UplinkConfig {
    /// Relay address.
    pub relay: SocketAddr,
    /// Name the relay certificate must carry.
    pub server_name: String,
    /// QUIC client config (see [`tls::client_config`]).
    pub client: quinn::ClientConfig,
    /// The node's stream.
    pub stream: StreamId,
    /// Unacknowledged batches per lane.
    pub window: usize,
    /// First reconnect delay.
    pub backoff_min: Duration,
    /// Largest reconnect delay.
    pub backoff_max: Duration,
}

/// An append-only JSON-lines event record (send / ack / connect ...), for tests and audits.
#[derive(Debug, Default)]
pub struct Events {
    out: Option<Mutex<BufWriter<File>>>,
}

impl Events {
    /// Writes to `path` (or nowhere).
    pub fn open(path: Option<&std::path::Path>) -> std::io::Result<Self> {
        Ok(Self {
            out: match path {
                Some(p) => Some(Mutex::new(BufWriter::new(
                    std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(p)?,
                ))),
                None => None,
            },
        })
    }

    /// Records one event with integer fields; flushed at once (survives kill -9).
    pub fn emit(&self, ev: &str, fields: &[(&str, i64)]) {
        let Some(out) = &self.out else { return };
        let t = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_micros() as i64);
        let mut line = format!("{{\"t_us\":{t},\"ev\":\"{ev}\"");
        for (k, v) in fields {
            line.push_str(&format!(",\"{k}\":{v}"));
        }
        line.push_str("}\n");
        if let Ok(mut w) = out.lock() {
            let _ = w.write_all(line.as_bytes());
            let _ = w.flush();
        }
    }
}

/// Shared state between the producer and the uplink.
#[derive(Debug, Clone)]
pub struct Shared {
    /// The journal.
    pub journal: Arc<Mutex<Journal>>,
    /// Next journal sequence number (bumped by the producer after each append).
    pub next: watch::Receiver<u64>,
    /// Event record.
    pub events: Arc<Events>,
}

fn lock(j: &Mutex<Journal>) -> std::sync::MutexGuard<'_, Journal> {
    j.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Why a session ended.
enum SessionEnd {
    Lost(String),
    Refused(CloseCode, String),
    Journal(JournalError),
}

fn classify(e: &quinn::ConnectionError) -> SessionEnd {
    if let quinn::ConnectionError::ApplicationClosed(ac) = e {
        if let Some(code) = CloseCode::from_code(ac.error_code.into_inner()) {
            let reason = String::from_utf8_lossy(&ac.reason).into_owned();
            if code.is_fatal() {
                return SessionEnd::Refused(code, reason);
            }
            return SessionEnd::Lost(format!("{code:?}: {reason}"));
        }
    }
    SessionEnd::Lost(e.to_string())
}

/// Runs the uplink until `stop` becomes true or the relay refuses the node.
pub async fn run(
    cfg: UplinkConfig,
    shared: Shared,
    mut stop: watch::Receiver<bool>,
) -> Result<(), UplinkError> {
    let mut endpoint = quinn::Endpoint::client(if cfg.relay.is_ipv6() {
        "[::1]:0".parse().map_err(std::io::Error::other)?
    } else {
        "127.0.0.1:0".parse().map_err(std::io::Error::other)?
    })?;
    if !cfg.relay.ip().is_loopback() {
        endpoint = quinn::Endpoint::client("0.0.0.0:0".parse().map_err(std::io::Error::other)?)?;
    }
    endpoint.set_default_client_config(cfg.client.clone());
    let mut backoff = cfg.backoff_min;
    loop {
        if *stop.borrow() {
            return Ok(());
        }
        let end = tokio::select! {
            e = session(&endpoint, &cfg, &shared, &mut backoff) => e,
            _ = stop.changed() => return Ok(()),
        };
        match end {
            SessionEnd::Refused(code, reason) => {
                shared
                    .events
                    .emit("refused", &[("code", i64::from(code.code()))]);
                return Err(UplinkError::Refused { code, reason });
            }
            SessionEnd::Journal(e) => return Err(e.into()),
            SessionEnd::Lost(reason) => {
                shared.events.emit("disconnected", &[]);
                tracing::warn!(%reason, retry_in_ms = backoff.as_millis() as u64, "uplink down");
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = stop.changed() => return Ok(()),
        }
        backoff = (backoff * 2).min(cfg.backoff_max);
    }
}

async fn session(
    endpoint: &quinn::Endpoint,
    cfg: &UplinkConfig,
    shared: &Shared,
    backoff: &mut Duration,
) -> SessionEnd {
    let connecting = match endpoint.connect(cfg.relay, &cfg.server_name) {
        Ok(c) => c,
        Err(e) => return SessionEnd::Lost(e.to_string()),
    };
    let conn = match connecting.await {
        Ok(c) => c,
        Err(e) => return classify(&e),
    };
    match connected(&conn, cfg, shared, backoff).await {
        Ok(()) => SessionEnd::Lost("lanes ended".into()),
        Err(end) => match (&end, conn.close_reason()) {
            (SessionEnd::Lost(_), Some(reason)) => classify(&reason),
            _ => end,
        },
    }
}

async fn open_lane(
    conn: &quinn::Connection,
    stream: StreamId,
    lane: Lane,
) -> Result<(quinn::SendStream, quinn::RecvStream, u64), SessionEnd> {
    let (mut send, mut recv) = conn.open_bi().await.map_err(|e| classify(&e))?;
    send.write_all(&Hello { stream, lane }.encode())
        .await
        .map_err(|e| SessionEnd::Lost(e.to_string()))?;
    let mut buf = [0u8; RELAY_MSG_LEN];
    recv.read_exact(&mut buf)
        .await
        .map_err(|e| SessionEnd::Lost(e.to_string()))?;
    match RelayMsg::decode(&buf) {
        Ok(RelayMsg::Welcome { next_seq }) => Ok((send, recv, next_seq)),
        Ok(other) => Err(SessionEnd::Lost(format!("expected welcome, got {other:?}"))),
        Err(e) => Err(SessionEnd::Lost(e.to_string())),
    }
}

async fn connected(
    conn: &quinn::Connection,
    cfg: &UplinkConfig,
    shared: &Shared,
    backoff: &mut Duration,
) -> Result<(), SessionEnd> {
    let (bs, br, resume) = open_lane(conn, cfg.stream, Lane::Backlog).await?;
    let live_start = {
        let mut j = lock(&shared.journal);
        j.acked_below(resume).map_err(SessionEnd::Journal)?;
        j.next_seq()
    };
    let (ls, lr, _) = open_lane(conn, cfg.stream, Lane::Live).await?;
    *backoff = cfg.backoff_min;
    shared.events.emit(
        "connected",
        &[("resume", resume as i64), ("live_start", live_start as i64)],
    );
    tracing::info!(resume, live_start, "uplink connected");
    let backlog = run_lane(
        bs,
        br,
        resume,
        Some(live_start),
        shared,
        cfg.window,
        Lane::Backlog,
    );
    let live = run_lane(ls, lr, live_start, None, shared, cfg.window, Lane::Live);
    tokio::try_join!(backlog, live)?;
    Ok(())
}

async fn run_lane(
    mut send: quinn::SendStream,
    mut recv: quinn::RecvStream,
    from: u64,
    end: Option<u64>,
    shared: &Shared,
    window: usize,
    lane: Lane,
) -> Result<(), SessionEnd> {
    let window = window.max(1);
    let sem = Arc::new(Semaphore::new(window));
    let lane_code = i64::from(lane == Lane::Live);
    let acks = {
        let sem = sem.clone();
        let shared = shared.clone();
        async move {
            let mut buf = [0u8; RELAY_MSG_LEN];
            loop {
                if let Err(e) = recv.read_exact(&mut buf).await {
                    return Err::<(), _>(SessionEnd::Lost(e.to_string()));
                }
                match RelayMsg::decode(&buf) {
                    Ok(RelayMsg::Ack { seq }) => {
                        lock(&shared.journal)
                            .ack(seq)
                            .map_err(SessionEnd::Journal)?;
                        shared
                            .events
                            .emit("ack", &[("seq", seq as i64), ("lane", lane_code)]);
                        sem.add_permits(1);
                    }
                    Ok(other) => return Err(SessionEnd::Lost(format!("unexpected {other:?}"))),
                    Err(e) => return Err(SessionEnd::Lost(e.to_string())),
                }
            }
        }
    };
    let sender = async {
        let mut reader = lock(&shared.journal).reader(from);
        let mut next_rx = shared.next.clone();
        let mut pos = from;
        loop {
            if end.is_some_and(|e| pos >= e) {
                break;
            }
            let entry = reader
                .next_entry()
                .map_err(|e| SessionEnd::Journal(JournalError::Log(e)))?;
            let Some((seq, frame)) = entry else {
                if end.is_some() {
                    // the backlog is on disk; a missing entry means the journal moved on (trimmed)
                    break;
                }
                tokio::select! {
                    r = next_rx.changed() => if r.is_err() { return Ok(()) },
                    _ = tokio::time::sleep(Duration::from_millis(20)) => {}
                }
                continue;
            };
            pos = seq + 1;
            if lock(&shared.journal).is_acked(seq) {
                continue;
            }
            let Ok(permit) = sem.acquire().await else {
                return Ok(());
            };
            permit.forget();
            send.write_all(&frame)
                .await
                .map_err(|e| SessionEnd::Lost(e.to_string()))?;
            shared
                .events
                .emit("send", &[("seq", seq as i64), ("lane", lane_code)]);
        }
        // backlog: wait until every batch sent on this lane is acknowledged
        let _all = sem
            .acquire_many(window as u32)
            .await
            .map_err(|e| SessionEnd::Lost(e.to_string()))?;
        shared.events.emit(
            "backlog_drained",
            &[("from", from as i64), ("to", end.unwrap_or(pos) as i64)],
        );
        let _ = send.finish();
        Ok::<(), SessionEnd>(())
    };
    if end.is_some() {
        // backlog lane: done when the sender is done (acks keep being read until then)
        tokio::select! {
            r = sender => r,
            r = acks => r,
        }
    } else {
        tokio::try_join!(sender, acks).map(|_| ())
    }
}
