//! `relay`: serve, dev PKI, tail a league log.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use records::{LeagueId, NodeId, VenueId};
use relay::config::RelayConfig;
use relay::pki::{self, Validity};
use relay::server::{serve, ServerCtx};
use relay::store::Store;
use relay::tls::{server_config, ServerTransport};
use uplink_proto::{CloseCode, NodeIdentity};

#[derive(Parser)]
#[command(
    name = "relay",
    about = "Touchline relay: QUIC+mTLS ingest, per-match merge, league streams"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the relay.
    Serve {
        /// Config file (TOML).
        #[arg(long)]
        config: PathBuf,
    },
    /// Dev PKI (rcgen).
    #[command(subcommand)]
    Pki(PkiCmd),
    /// Print a league log as JSON lines.
    Tail {
        /// The relay's log dir.
        #[arg(long)]
        log_dir: PathBuf,
        /// League id.
        #[arg(long)]
        league: u32,
        /// First offset.
        #[arg(long, default_value_t = 0)]
        from: u64,
        /// Keep printing new entries as the relay publishes them.
        #[arg(long)]
        follow: bool,
    },
}

#[derive(Subcommand)]
enum PkiCmd {
    /// Create a CA: `<out>/ca.pem`, `<out>/ca.key`.
    Ca {
        /// Output dir.
        #[arg(long)]
        out: PathBuf,
    },
    /// Issue a node certificate: `<out>/<name>.pem|.key`.
    Node {
        /// CA key PEM.
        #[arg(long)]
        ca_key: PathBuf,
        /// Venue id.
        #[arg(long)]
        venue: u32,
        /// Node id.
        #[arg(long)]
        node: u32,
        /// Output dir.
        #[arg(long)]
        out: PathBuf,
        /// File name stem (default `node-<venue>-<node>`).
        #[arg(long)]
        name: Option<String>,
        /// Issue an already expired certificate (tests).
        #[arg(long)]
        expired: bool,
    },
    /// Issue the relay's server certificate: `<out>/relay.pem|.key`.
    Relay {
        /// CA key PEM.
        #[arg(long)]
        ca_key: PathBuf,
        /// DNS names / IP addresses (repeat).
        #[arg(long = "san", default_values_t = vec!["localhost".to_string(), "127.0.0.1".to_string()])]
        sans: Vec<String>,
        /// Output dir.
        #[arg(long)]
        out: PathBuf,
    },
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
        Cmd::Serve { config } => run_serve(config),
        Cmd::Pki(p) => run_pki(p),
        Cmd::Tail {
            log_dir,
            league,
            from,
            follow,
        } => tail(&log_dir, LeagueId(league), from, follow),
    }
}

fn tail(
    log_dir: &std::path::Path,
    league: LeagueId,
    from: u64,
    follow: bool,
) -> anyhow::Result<()> {
    let mut reader = relay::store::league_reader(log_dir, league, from);
    loop {
        while let Some((offset, bytes)) = reader.next_entry()? {
            let e = relay::store::decode_league(offset, &bytes)
                .map_err(|reason| anyhow::anyhow!("league {league} offset {offset}: {reason}"))?;
            println!(
                "{{\"offset\":{},\"match\":{},\"node\":{},\"stream\":{},\"seq\":{},\"late\":{},\"kind\":\"{:?}\",\"venue_time_ns\":{},\"received_unix_ns\":{},\"published_unix_ns\":{}}}",
                e.offset,
                e.match_id,
                e.node,
                e.stream,
                e.seq,
                e.late,
                e.record.kind(),
                e.record.venue_time().nanos(),
                e.received_unix_ns,
                e.published_unix_ns
            );
        }
        if !follow {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn run_pki(p: PkiCmd) -> anyhow::Result<()> {
    match p {
        PkiCmd::Ca { out } => pki::write_pair(&out, "ca", &pki::create_ca()?)?,
        PkiCmd::Node {
            ca_key,
            venue,
            node,
            out,
            name,
            expired,
        } => {
            let id = NodeIdentity {
                venue: VenueId(venue),
                node: NodeId(node),
            };
            let validity = if expired {
                Validity::Expired
            } else {
                Validity::Long
            };
            let pair = pki::issue_node(&pki::read(&ca_key)?, id, validity)?;
            let name = name.unwrap_or_else(|| format!("node-{venue}-{node}"));
            pki::write_pair(&out, &name, &pair)?;
        }
        PkiCmd::Relay { ca_key, sans, out } => {
            let pair = pki::issue_relay(&pki::read(&ca_key)?, &sans)?;
            pki::write_pair(&out, "relay", &pair)?;
        }
    }
    Ok(())
}

/// Random 8-byte connection ids, valid across restarts (see `run_serve`).
struct RandomCid(ring::rand::SystemRandom);

impl quinn::ConnectionIdGenerator for RandomCid {
    fn generate_cid(&mut self) -> quinn::ConnectionId {
        let mut id = [0u8; 8];
        if ring::rand::SecureRandom::fill(&self.0, &mut id).is_err() {
            // ring's system RNG does not fail on Linux; fall back to the clock rather than panic
            id = relay::store::unix_ns().to_le_bytes();
        }
        quinn::ConnectionId::new(&id)
    }

    fn cid_len(&self) -> usize {
        8
    }

    fn cid_lifetime(&self) -> Option<Duration> {
        None
    }
}

fn run_serve(config: PathBuf) -> anyhow::Result<()> {
    let cfg = RelayConfig::load(&config)?.validate()?;
    let c = &cfg.config;
    let (store, rec) = Store::open(
        &c.log_dir,
        &cfg.leagues,
        cfg.merge_config(),
        c.durability.fsync,
        c.durability.segment_bytes,
    )
    .with_context(|| format!("opening logs in {}", c.log_dir.display()))?;
    for t in &rec.torn {
        tracing::warn!(path = %t.path.display(), discarded = t.discarded_bytes, reason = t.reason, "torn log tail cut");
    }
    tracing::info!(
        ingest = rec.ingest_entries,
        league = rec.league_entries,
        "logs recovered"
    );
    let (tx, rx) = tokio::sync::mpsc::channel(c.limits.core_queue);
    let store_thread = std::thread::Builder::new()
        .name("relay-store".into())
        .spawn(move || store.run(rx, 4096))?;

    let server = server_config(
        &c.tls.ca,
        &c.tls.cert,
        &c.tls.key,
        ServerTransport {
            idle_timeout: cfg.idle_timeout(),
            max_bidi_streams: c.limits.max_streams_per_connection,
            stream_receive_window: c.limits.stream_receive_window,
        },
    )?;
    // Stateless-reset key derived from the relay's private key: a restarted relay resets the
    // connections of its previous life at once, so nodes reconnect without waiting for idle timeout.
    let seed = ring::digest::digest(&ring::digest::SHA256, &std::fs::read(&c.tls.key)?);
    let reset_key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, seed.as_ref());
    let mut endpoint_cfg = quinn::EndpointConfig::new(Arc::new(reset_key));
    // quinn's default connection ids carry a per-process keyed hash, so a restarted relay would
    // drop packets of old connections as invalid instead of resetting them: use random ids.
    endpoint_cfg.cid_generator(|| Box::new(RandomCid(ring::rand::SystemRandom::new())));

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("relay-net")
        .build()?;
    let ctx = ServerCtx {
        venue_matches: Arc::new(cfg.venue_matches.clone()),
        store: tx.clone(),
        max_frame_bytes: c.limits.max_frame_bytes,
        inflight_per_lane: c.limits.inflight_batches_per_lane,
        connections: Arc::new(tokio::sync::Semaphore::new(c.limits.max_connections)),
    };
    let listen = c.listen;
    rt.block_on(async move {
        let socket =
            std::net::UdpSocket::bind(listen).with_context(|| format!("binding {listen}"))?;
        let endpoint = quinn::Endpoint::new(
            endpoint_cfg,
            Some(server),
            socket,
            Arc::new(quinn::TokioRuntime),
        )?;
        let addr = endpoint.local_addr()?;
        println!("LISTENING {addr}");
        tracing::info!(%addr, "relay listening");
        let ticker = {
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut iv = tokio::time::interval(Duration::from_millis(50));
                loop {
                    iv.tick().await;
                    // full queue = the store is busy and will poll anyway: drop the tick
                    if let Err(tokio::sync::mpsc::error::TrySendError::Closed(_)) =
                        tx.try_send(relay::store::StoreMsg::Tick)
                    {
                        return;
                    }
                }
            })
        };
        let accept = tokio::spawn(serve(endpoint.clone(), ctx));
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
            r = accept => { if let Err(e) = r { bail!("accept loop: {e}"); } }
        }
        tracing::info!("shutting down");
        endpoint.close(
            CloseCode::ShuttingDown.code().into(),
            b"relay shutting down",
        );
        ticker.abort();
        endpoint.wait_idle().await;
        Ok::<_, anyhow::Error>(())
    })?;
    drop(rt);
    match store_thread.join() {
        Ok(r) => r?,
        Err(_) => bail!("store thread panicked"),
    }
    Ok(())
}
