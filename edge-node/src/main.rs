//! `edge-node`: the venue edge node. Subcommands: `uplink` (journal + QUIC uplink, fed by a
//! deterministic synthetic replay), `journal` (inspect a journal). Other stages add theirs here.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand, ValueEnum};
use durable_log::FsyncPolicy;
use edge_node::journal::{AppendOutcome, FullPolicy, Journal, JournalConfig, JournalError};
use edge_node::uplink::synthetic::SyntheticMatch;
use edge_node::uplink::{self, Events, Shared, UplinkConfig};
use records::{MatchId, NodeId, StreamId, VenueId};

mod vision_cli;

#[derive(Parser)]
#[command(name = "edge-node", about = "Touchline venue edge node")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Journal a synthetic match replay and ship it to the relay over QUIC + mTLS.
    Uplink(UplinkArgs),
    /// Score the vision pipeline against a sample feed's ground truth (HOTA, MOTA, IDF1, RMSE).
    Eval(vision_cli::EvalArgs),
    /// Open a journal (cutting a torn tail) and print what it holds.
    Journal {
        /// Journal dir.
        #[arg(long)]
        dir: PathBuf,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Fsync {
    Always,
    Every16,
    Manual,
}

#[derive(Args)]
struct UplinkArgs {
    /// Relay UDP address.
    #[arg(long)]
    relay: SocketAddr,
    /// Name on the relay's certificate.
    #[arg(long, default_value = "localhost")]
    server_name: String,
    /// League CA PEM.
    #[arg(long)]
    ca: PathBuf,
    /// Node certificate PEM (omit together with --key to connect without one).
    #[arg(long)]
    cert: Option<PathBuf>,
    /// Node key PEM.
    #[arg(long)]
    key: Option<PathBuf>,
    /// Journal dir.
    #[arg(long)]
    journal: PathBuf,
    /// Journal size cap, bytes.
    #[arg(long, default_value_t = 1 << 30)]
    journal_max_bytes: u64,
    /// Journal fsync policy.
    #[arg(long, value_enum, default_value = "always")]
    fsync: Fsync,
    /// Venue id written in batch headers.
    #[arg(long)]
    venue: u32,
    /// Node id written in batch headers.
    #[arg(long)]
    node: u32,
    /// Match id.
    #[arg(long = "match")]
    match_id: u64,
    /// Stream id.
    #[arg(long, default_value_t = 0)]
    stream: u32,
    /// Frames in the replay (the node resumes at its journal's next sequence number).
    #[arg(long)]
    frames: u64,
    /// Replay rate, frames per second (0 = as fast as possible).
    #[arg(long, default_value_t = 25)]
    rate_hz: u32,
    /// Objects per frame.
    #[arg(long, default_value_t = 23)]
    objects: u32,
    /// A scoring event every N frames.
    #[arg(long, default_value_t = 125)]
    event_every: u64,
    /// Batches in flight per lane.
    #[arg(long, default_value_t = 64)]
    window: usize,
    /// QUIC idle timeout, ms.
    #[arg(long, default_value_t = 3000)]
    idle_timeout_ms: u64,
    /// Largest reconnect backoff, ms.
    #[arg(long, default_value_t = 500)]
    backoff_max_ms: u64,
    /// JSON-lines event record (journal / send / ack / connected ...).
    #[arg(long)]
    events: Option<PathBuf>,
    /// Exit once every frame is journaled and acknowledged.
    #[arg(long)]
    exit_when_acked: bool,
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().cmd {
        Cmd::Uplink(a) => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .thread_name("edge-uplink")
                .build()?;
            rt.block_on(run_uplink(a))
        }
        Cmd::Eval(a) => vision_cli::eval(a),
        Cmd::Journal { dir } => {
            let (j, rec) = Journal::open(&dir, JournalConfig::default())?;
            if let Some(t) = &rec.torn {
                println!(
                    "torn tail: {} valid {} discarded {} ({})",
                    t.path.display(),
                    t.valid_bytes,
                    t.discarded_bytes,
                    t.reason
                );
            }
            println!(
                "entries {} next_seq {} bytes {}",
                rec.entries,
                j.next_seq(),
                j.bytes()
            );
            Ok(())
        }
    }
}

async fn run_uplink(a: UplinkArgs) -> anyhow::Result<()> {
    let events = Arc::new(Events::open(a.events.as_deref())?);
    let cfg = JournalConfig {
        segment_bytes: 1 << 20,
        max_bytes: Some(a.journal_max_bytes),
        fsync: match a.fsync {
            Fsync::Always => FsyncPolicy::Always,
            Fsync::Every16 => FsyncPolicy::EveryN(16),
            Fsync::Manual => FsyncPolicy::Manual,
        },
        full_policy: FullPolicy::DropPositions,
    };
    let (journal, rec) = Journal::open(&a.journal, cfg)
        .with_context(|| format!("opening journal {}", a.journal.display()))?;
    if let Some(t) = &rec.torn {
        tracing::warn!(path = %t.path.display(), discarded = t.discarded_bytes, reason = t.reason, "torn journal tail cut");
        events.emit(
            "torn",
            &[
                ("valid_bytes", t.valid_bytes as i64),
                ("discarded_bytes", t.discarded_bytes as i64),
            ],
        );
    }
    let start = journal.next_seq();
    events.emit(
        "start",
        &[("next_seq", start as i64), ("entries", rec.entries as i64)],
    );
    let journal = Arc::new(Mutex::new(journal));
    let (next_tx, next_rx) = tokio::sync::watch::channel(start);
    let shared = Shared {
        journal: journal.clone(),
        next: next_rx,
        events: events.clone(),
    };
    let identity = match (&a.cert, &a.key) {
        (Some(c), Some(k)) => Some((c.as_path(), k.as_path())),
        (None, None) => None,
        _ => bail!("--cert and --key go together"),
    };
    let client =
        uplink::tls::client_config(&a.ca, identity, Duration::from_millis(a.idle_timeout_ms))?;
    let ucfg = UplinkConfig {
        relay: a.relay,
        server_name: a.server_name.clone(),
        client,
        stream: StreamId(a.stream),
        window: a.window,
        backoff_min: Duration::from_millis(50),
        backoff_max: Duration::from_millis(a.backoff_max_ms),
    };
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut up = tokio::spawn(uplink::run(ucfg, shared, stop_rx));

    let synth = SyntheticMatch {
        venue: VenueId(a.venue),
        match_id: MatchId(a.match_id),
        node: NodeId(a.node),
        stream: StreamId(a.stream),
        rate_hz: a.rate_hz.max(1),
        objects: a.objects,
        event_every: a.event_every,
    };
    let period = if a.rate_hz == 0 {
        Duration::from_micros(1)
    } else {
        Duration::from_secs(1) / a.rate_hz
    };
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Frame i is journaled as sequence number i: resume at the journal's next one.
    let mut i = start;
    while i < a.frames {
        tokio::select! {
            _ = tick.tick() => {}
            r = &mut up => {
                r??;
                bail!("uplink stopped");
            }
        }
        let batch = synth.batch(i);
        loop {
            let r = tokio::task::block_in_place(|| {
                journal
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .append(batch.clone())
            });
            match r {
                Ok(AppendOutcome::Journaled(seq)) => {
                    events.emit(
                        "journal",
                        &[("seq", seq as i64), ("records", batch.records.len() as i64)],
                    );
                    let _ = next_tx.send(seq + 1);
                    break;
                }
                Ok(AppendOutcome::DroppedPositions { records }) => {
                    events.emit(
                        "dropped",
                        &[("frame", i as i64), ("records", records as i64)],
                    );
                    break;
                }
                Err(JournalError::Full { .. }) => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
        i += 1;
    }
    events.emit("produced", &[("frames", a.frames as i64)]);
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    loop {
        let (acked, next) = {
            let j = journal
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            (j.contiguous_acked(), j.next_seq())
        };
        if a.exit_when_acked && acked >= next {
            events.emit("all_acked", &[("next_seq", next as i64)]);
            break;
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(50)) => {}
            _ = tokio::signal::ctrl_c() => break,
            _ = term.recv() => break,
            r = &mut up => { r??; bail!("uplink stopped"); }
        }
    }
    let _ = stop_tx.send(true);
    let _ = tokio::time::timeout(Duration::from_secs(2), up).await;
    let stats = journal
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .stats();
    tracing::info!(
        dropped_position_batches = stats.dropped_position_batches,
        dropped_position_records = stats.dropped_position_records,
        scoring_waits = stats.scoring_waits,
        "journal"
    );
    Ok(())
}
