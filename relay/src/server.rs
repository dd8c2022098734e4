//! The QUIC shell: accept, authenticate, read lanes, hand batches to the store, write acks.
//!
//! Backpressure: a lane holds at most `inflight_batches_per_lane` unacknowledged batches
//! (bounded channel to its ack writer; full = the lane stops reading, QUIC flow control stops the
//! node). All lanes feed the store through one bounded queue (full = lanes wait).

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::Arc;

use records::wire::{DecodeOptions, Frame, FrameDecoder};
use records::{DecodeError, MatchId, VenueId};
use tokio::sync::{mpsc, oneshot, Semaphore};
use uplink_proto::{CloseCode, Hello, NodeIdentity, RelayMsg, HELLO_LEN};

use crate::merge::SourceKey;
use crate::store::{unix_ns, StoreMsg};

/// What the accept loop needs.
#[derive(Debug, Clone)]
pub struct ServerCtx {
    /// Venue → matches.
    pub venue_matches: Arc<HashMap<VenueId, HashSet<MatchId>>>,
    /// Store queue.
    pub store: mpsc::Sender<StoreMsg>,
    /// Largest frame payload.
    pub max_frame_bytes: usize,
    /// Unacked batches per lane.
    pub inflight_per_lane: usize,
    /// Connection limit.
    pub connections: Arc<Semaphore>,
}

/// Why a lane ended the connection.
#[derive(Debug, thiserror::Error)]
#[error("{code:?}: {reason}")]
struct LaneError {
    code: CloseCode,
    reason: String,
}

fn lane_err(code: CloseCode, reason: impl Into<String>) -> LaneError {
    LaneError {
        code,
        reason: reason.into(),
    }
}

fn close(conn: &quinn::Connection, code: CloseCode, reason: &str) {
    conn.close(code.code().into(), reason.as_bytes());
}

/// Accepts connections until the endpoint closes.
pub async fn serve(endpoint: quinn::Endpoint, ctx: ServerCtx) {
    while let Some(incoming) = endpoint.accept().await {
        let ctx = ctx.clone();
        let permit = ctx.connections.clone().try_acquire_owned();
        tokio::spawn(async move {
            let remote = incoming.remote_address();
            let conn = match incoming.await {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(%remote, error = %e, "handshake refused");
                    return;
                }
            };
            let Ok(_permit) = permit else {
                close(&conn, CloseCode::TooManyConnections, "connection limit");
                return;
            };
            handle_conn(conn, remote, ctx).await;
        });
    }
}

async fn handle_conn(conn: quinn::Connection, remote: SocketAddr, ctx: ServerCtx) {
    let Some(id) = crate::tls::peer_identity(&conn) else {
        tracing::warn!(%remote, "no node identity in certificate");
        close(
            &conn,
            CloseCode::UnknownIdentity,
            "certificate has no node identity",
        );
        return;
    };
    let Some(allowed) = ctx.venue_matches.get(&id.venue).cloned() else {
        tracing::warn!(%remote, venue = %id.venue, "unknown venue");
        close(&conn, CloseCode::UnknownVenue, "venue not configured");
        return;
    };
    tracing::info!(%remote, venue = %id.venue, node = %id.node, "node connected");
    let allowed = Arc::new(allowed);
    loop {
        let (send, recv) = match conn.accept_bi().await {
            Ok(s) => s,
            Err(e) => {
                tracing::info!(%remote, node = %id.node, reason = %e, "node disconnected");
                return;
            }
        };
        let conn2 = conn.clone();
        let ctx = ctx.clone();
        let allowed = allowed.clone();
        tokio::spawn(async move {
            if let Err(e) = lane(send, recv, id, allowed, &ctx, &conn2).await {
                tracing::warn!(%remote, node = %id.node, code = ?e.code, reason = %e.reason, "closing connection");
                close(&conn2, e.code, &e.reason);
            }
        });
    }
}

async fn lane(
    mut send: quinn::SendStream,
    mut recv: quinn::RecvStream,
    id: NodeIdentity,
    allowed: Arc<HashSet<MatchId>>,
    ctx: &ServerCtx,
    conn: &quinn::Connection,
) -> Result<(), LaneError> {
    let mut hello = [0u8; HELLO_LEN];
    if recv.read_exact(&mut hello).await.is_err() {
        return Ok(()); // stream reset or connection gone before a hello: nothing to refuse
    }
    let hello =
        Hello::decode(&hello).map_err(|e| lane_err(CloseCode::MalformedFrame, e.to_string()))?;
    let source = SourceKey {
        node: id.node,
        stream: hello.stream,
    };
    let (tx, rx) = oneshot::channel();
    ctx.store
        .send(StoreMsg::NextSeq { source, reply: tx })
        .await
        .map_err(|_| lane_err(CloseCode::ShuttingDown, "store stopped"))?;
    let next_seq = rx
        .await
        .map_err(|_| lane_err(CloseCode::ShuttingDown, "store stopped"))?;
    if send
        .write_all(&RelayMsg::Welcome { next_seq }.encode())
        .await
        .is_err()
    {
        return Ok(());
    }

    // Ack writer: bounded queue of pending acks (the per-lane buffer).
    let (ack_tx, mut ack_rx) =
        mpsc::channel::<(u64, oneshot::Receiver<Result<(), CloseCode>>)>(ctx.inflight_per_lane);
    let conn_w = conn.clone();
    let writer = tokio::spawn(async move {
        while let Some((seq, rx)) = ack_rx.recv().await {
            match rx.await {
                Ok(Ok(())) => {
                    if send
                        .write_all(&RelayMsg::Ack { seq }.encode())
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
                Ok(Err(code)) => {
                    close(&conn_w, code, "batch refused");
                    return;
                }
                Err(_) => {
                    close(&conn_w, CloseCode::ShuttingDown, "store stopped");
                    return;
                }
            }
        }
        let _ = send.finish();
    });

    let mut dec = FrameDecoder::with_options(DecodeOptions {
        max_frame_len: ctx.max_frame_bytes,
        ..DecodeOptions::DEFAULT
    });
    let result = async {
        loop {
            let chunk = match recv.read_chunk(64 * 1024, true).await {
                Ok(Some(c)) => c,
                Ok(None) | Err(_) => return Ok(()),
            };
            dec.push(&chunk.bytes);
            loop {
                let frame = match dec.next() {
                    Ok(Some(f)) => f,
                    Ok(None) => break,
                    Err(e @ DecodeError::FrameTooLarge { .. }) => {
                        return Err(lane_err(CloseCode::FrameTooLarge, e.to_string()))
                    }
                    Err(e) => return Err(lane_err(CloseCode::MalformedFrame, e.to_string())),
                };
                let Frame::Batch(batch) = frame else {
                    return Err(lane_err(
                        CloseCode::ProtocolViolation,
                        "uplink carries batches only",
                    ));
                };
                let h = batch.header;
                if h.venue != id.venue || h.node != id.node || !allowed.contains(&h.match_id) {
                    return Err(lane_err(
                        CloseCode::WrongVenueOrMatch,
                        format!(
                            "batch for venue {} node {} match {} refused for venue {} node {}",
                            h.venue, h.node, h.match_id, id.venue, id.node
                        ),
                    ));
                }
                if h.stream != hello.stream {
                    return Err(lane_err(
                        CloseCode::ProtocolViolation,
                        "batch stream differs from the lane's hello",
                    ));
                }
                let frame = records::wire::encode_batch(&batch)
                    .map_err(|e| lane_err(CloseCode::MalformedFrame, e.to_string()))?;
                let (tx, rx) = oneshot::channel();
                ctx.store
                    .send(StoreMsg::Batch {
                        source,
                        batch,
                        frame,
                        received_unix_ns: unix_ns(),
                        ack: tx,
                    })
                    .await
                    .map_err(|_| lane_err(CloseCode::ShuttingDown, "store stopped"))?;
                if ack_tx.send((h.seq, rx)).await.is_err() {
                    return Ok(());
                }
            }
        }
    }
    .await;
    drop(ack_tx);
    let _ = writer.await;
    result
}
