//! `relay-bench`: N simulated edge nodes (real QUIC + mTLS on loopback, one certificate each) send
//! position batches at a fixed rate to a real `relay` process. Prints a table: relay CPU, peak RSS,
//! memory per connection, the relay hop's added latency (receive → durable publish, from the
//! relay's own stamps in the league log) and the node-side ack round trip.
//!
//! `cargo build --release -p relay && target/release/relay-bench --nodes 1000 --rate-hz 25 --seconds 20`

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Parser;
use quinn::crypto::rustls::QuicClientConfig;
use records::{
    Batch, BatchHeader, LatencyStamps, MatchId, NodeId, ObjectClass, ObjectPosition, PositionFrame,
    Record, SourceFlags, StreamId, TrackId, VenueId, VenueTime,
};
use relay::pki;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use uplink_proto::{Hello, Lane, NodeIdentity, RelayMsg, RELAY_MSG_LEN};

#[derive(Parser)]
struct Args {
    /// Simulated edge nodes (one QUIC connection each).
    #[arg(long, default_value_t = 1000)]
    nodes: u32,
    /// Position batches per second per node.
    #[arg(long, default_value_t = 25)]
    rate_hz: u32,
    /// Objects per position frame.
    #[arg(long, default_value_t = 23)]
    objects: u32,
    /// Measurement window after the ramp-up, seconds.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// fsync the relay's logs (group commit).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    fsync: bool,
    /// Work dir (default: a fresh temp dir under /tmp).
    #[arg(long)]
    dir: Option<PathBuf>,
}

fn proc_stat(pid: u32) -> anyhow::Result<(u64, u64, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = f.get(11).and_then(|s| s.parse::<u64>().ok()).unwrap_or(0)
        + f.get(12).and_then(|s| s.parse::<u64>().ok()).unwrap_or(0);
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kb = |key: &str| {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    Ok((ticks, kb("VmRSS:"), kb("VmHWM:")))
}

fn pct(v: &[i64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let i = ((v.len() - 1) as f64 * p).round() as usize;
    v[i.min(v.len() - 1)] as f64
}

fn client_config(ca: &Path, cert: &str, key: &str) -> anyhow::Result<quinn::ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(ca)? {
        roots.add(c?)?;
    }
    let certs: Result<Vec<_>, _> = CertificateDer::pem_slice_iter(cert.as_bytes()).collect();
    let key = PrivateKeyDer::from_pem_slice(key.as_bytes())?;
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_root_certificates(roots)
        .with_client_auth_cert(certs?, key)?;
    tls.alpn_protocols = vec![uplink_proto::ALPN.to_vec()];
    let mut cfg = quinn::ClientConfig::new(Arc::new(QuicClientConfig::try_from(tls)?));
    let mut tr = quinn::TransportConfig::default();
    tr.max_idle_timeout(Some(quinn::IdleTimeout::try_from(Duration::from_secs(10))?));
    tr.keep_alive_interval(Some(Duration::from_secs(2)));
    cfg.transport_config(Arc::new(tr));
    Ok(cfg)
}

fn main() -> anyhow::Result<()> {
    let a = Args::parse();
    let tmp;
    let dir = match &a.dir {
        Some(d) => d.clone(),
        None => {
            tmp = std::env::temp_dir().join(format!("relay-bench-{}", std::process::id()));
            tmp
        }
    };
    std::fs::create_dir_all(&dir)?;
    let pki_dir = dir.join("pki");
    let ca = pki::create_ca()?;
    pki::write_pair(&pki_dir, "ca", &ca)?;
    pki::write_pair(
        &pki_dir,
        "relay",
        &pki::issue_relay(&ca.key, &["localhost".into(), "127.0.0.1".into()])?,
    )?;
    let matches: Vec<u64> = (1..=u64::from(a.nodes)).collect();
    let config = format!(
        "listen = \"127.0.0.1:0\"\nlog_dir = \"{}\"\n[tls]\nca = \"{}\"\ncert = \"{}\"\nkey = \"{}\"\n\
         [limits]\nmax_connections = {}\nidle_timeout_ms = 10000\n[durability]\nfsync = {}\n\
         [[venues]]\nid = 1\nmatches = {matches:?}\n[[leagues]]\nid = 1\nmatches = {matches:?}\n",
        dir.join("logs").display(),
        pki_dir.join("ca.pem").display(),
        pki_dir.join("relay.pem").display(),
        pki_dir.join("relay.key").display(),
        a.nodes + 16,
        a.fsync
    );
    std::fs::write(dir.join("relay.toml"), config)?;
    let relay_bin = std::env::current_exe()?
        .parent()
        .map(|p| p.join("relay"))
        .context("no exe dir")?;
    let mut child = Command::new(&relay_bin)
        .args(["serve", "--config"])
        .arg(dir.join("relay.toml"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("starting {}", relay_bin.display()))?;
    let pid = child.id();
    let mut line = String::new();
    {
        use std::io::BufRead;
        let out = child.stdout.take().context("relay stdout")?;
        std::io::BufReader::new(out).read_line(&mut line)?;
    }
    let Some(addr) = line.trim().strip_prefix("LISTENING ") else {
        let _ = child.kill();
        bail!("relay did not start: {line}");
    };
    let addr: std::net::SocketAddr = addr.parse()?;
    std::thread::sleep(Duration::from_millis(500));
    let (_, rss_base_kb, _) = proc_stat(pid)?;

    // node certificates
    let t = Instant::now();
    let mut identities = Vec::new();
    for n in 1..=a.nodes {
        let id = NodeIdentity {
            venue: VenueId(1),
            node: NodeId(n),
        };
        identities.push(pki::issue_node(&ca.key, id, pki::Validity::Long)?);
    }
    eprintln!(
        "issued {} node certificates in {:.1} s",
        a.nodes,
        t.elapsed().as_secs_f64()
    );

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let sent = Arc::new(AtomicU64::new(0));
    let acked = Arc::new(AtomicU64::new(0));
    let rtts = Arc::new(Mutex::new(Vec::<i64>::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let measuring = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let ca_path = pki_dir.join("ca.pem");
    let objects: Vec<ObjectPosition> = (0..a.objects)
        .map(|k| ObjectPosition {
            id: TrackId(k + 1),
            class: if k + 1 == a.objects {
                ObjectClass::Ball
            } else {
                ObjectClass::Player
            },
            player: None,
            x_cm: (k as i32) * 300 - 3000,
            y_cm: (k as i32 % 7) * 500 - 1500,
            z_cm: 0,
            confidence: 200,
            flags: SourceFlags::VISION,
        })
        .collect();
    let result: anyhow::Result<()> = rt.block_on(async {
        let mut endpoint = quinn::Endpoint::client("127.0.0.1:0".parse()?)?;
        endpoint.set_default_client_config(client_config(&ca_path, &identities[0].cert, &identities[0].key)?);
        let mut tasks = Vec::new();
        let (start_tx, start_rx) = tokio::sync::watch::channel(false);
        let connected = Arc::new(AtomicU64::new(0));
        let period = Duration::from_secs(1) / a.rate_hz.max(1);
        for (i, ident) in identities.iter().enumerate() {
            let cfg = client_config(&ca_path, &ident.cert, &ident.key)?;
            let mut attempt = 0;
            let conn = loop {
                match endpoint.connect_with(cfg.clone(), addr, "localhost")?.await {
                    Ok(c) => break c,
                    Err(e) if attempt < 5 => {
                        attempt += 1;
                        eprintln!("node {}: connect failed ({e}), retrying", i + 1);
                    }
                    Err(e) => return Err(e.into()),
                }
            };
            connected.fetch_add(1, Ordering::Relaxed);
            let node = i as u32 + 1;
            let (sent, acked, rtts, stop, measuring) =
                (sent.clone(), acked.clone(), rtts.clone(), stop.clone(), measuring.clone());
            let objects = objects.clone();
            let mut go = start_rx.clone();
            tasks.push(tokio::spawn(async move {
                let (mut send, mut recv) = conn.open_bi().await?;
                send.write_all(&Hello { stream: StreamId(0), lane: Lane::Live }.encode()).await?;
                let mut buf = [0u8; RELAY_MSG_LEN];
                recv.read_exact(&mut buf).await?;
                let send_times = Arc::new(Mutex::new(std::collections::VecDeque::<(u64, Instant)>::new()));
                let st2 = send_times.clone();
                let reader = tokio::spawn(async move {
                    let mut buf = [0u8; RELAY_MSG_LEN];
                    while recv.read_exact(&mut buf).await.is_ok() {
                        if let Ok(RelayMsg::Ack { seq }) = RelayMsg::decode(&buf) {
                            acked.fetch_add(1, Ordering::Relaxed);
                            let mut q = st2.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                            while let Some(&(s, t)) = q.front() {
                                if s > seq {
                                    break;
                                }
                                q.pop_front();
                                if s == seq && measuring.load(Ordering::Relaxed) {
                                    if let Ok(mut r) = rtts.lock() {
                                        r.push(t.elapsed().as_micros() as i64);
                                    }
                                }
                            }
                        }
                    }
                });
                // all nodes start together once every connection is up
                while !*go.borrow() {
                    if go.changed().await.is_err() {
                        return Ok(());
                    }
                }
                // spread the nodes' phases over one period
                tokio::time::sleep(period * (node % 40) / 40).await;
                let mut iv = tokio::time::interval(period);
                iv.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                let mut seq = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    iv.tick().await;
                    let t = VenueTime(seq as i64 * period.as_nanos() as i64);
                    let batch = Batch {
                        header: BatchHeader {
                            venue: VenueId(1),
                            match_id: MatchId(u64::from(node)),
                            node: NodeId(node),
                            stream: StreamId(0),
                            seq,
                            first_time: t,
                            last_time: t,
                        },
                        records: vec![Record::Positions(PositionFrame {
                            time: t,
                            stamps: LatencyStamps::NONE,
                            objects: objects.clone(),
                        })],
                    };
                    let frame = records::wire::encode_batch(&batch)?;
                    send_times
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .push_back((seq, Instant::now()));
                    send.write_all(&frame).await?;
                    sent.fetch_add(1, Ordering::Relaxed);
                    seq += 1;
                }
                let _ = send.finish();
                reader.abort();
                Ok::<(), anyhow::Error>(())
            }));
        }
        eprintln!("{} connections up", connected.load(Ordering::Relaxed));
        let _ = start_tx.send(true);
        tokio::time::sleep(Duration::from_secs(3)).await;
        let (cpu0, _, _) = proc_stat(pid)?;
        let (s0, a0) = (sent.load(Ordering::Relaxed), acked.load(Ordering::Relaxed));
        let t0 = Instant::now();
        let wall0 = relay::store::unix_ns();
        measuring.store(true, Ordering::Relaxed);
        tokio::time::sleep(Duration::from_secs(a.seconds)).await;
        measuring.store(false, Ordering::Relaxed);
        let wall1 = relay::store::unix_ns();
        let (cpu1, rss_kb, hwm_kb) = proc_stat(pid)?;
        let el = t0.elapsed().as_secs_f64();
        let (s1, a1) = (sent.load(Ordering::Relaxed), acked.load(Ordering::Relaxed));
        stop.store(true, Ordering::Relaxed);
        tokio::time::sleep(Duration::from_millis(500)).await;
        for t in tasks {
            t.abort();
        }
        endpoint.close(0u32.into(), b"done");
        let clk = 100.0; // USER_HZ on Linux
        let cpu_pct = (cpu1 - cpu0) as f64 / clk / el * 100.0;
        let mut hop: Vec<i64> = relay::store::read_league(&dir.join("logs"), records::LeagueId(1))?
            .into_iter()
            .filter(|e| e.received_unix_ns >= wall0 && e.received_unix_ns < wall1)
            .map(|e| e.published_unix_ns - e.received_unix_ns)
            .collect();
        hop.sort_unstable();
        let mut rtt = rtts.lock().map(|r| r.clone()).unwrap_or_default();
        rtt.sort_unstable();
        println!("| metric | value |");
        println!("|---|---|");
        println!("| nodes (connections) | {} |", a.nodes);
        println!("| offered rate | {} batches/s ({} Hz × {} objects) |", a.nodes * a.rate_hz, a.rate_hz, a.objects);
        println!("| sent / acked in window | {:.0} / {:.0} batches/s |", (s1 - s0) as f64 / el, (a1 - a0) as f64 / el);
        println!("| relay fsync | {} |", a.fsync);
        println!("| relay CPU | {cpu_pct:.0} % of one core |");
        println!("| relay RSS idle / loaded / peak | {:.1} / {:.1} / {:.1} MiB |", rss_base_kb as f64 / 1024.0, rss_kb as f64 / 1024.0, hwm_kb as f64 / 1024.0);
        println!("| memory per connection | {:.1} KiB |", (rss_kb.saturating_sub(rss_base_kb)) as f64 / f64::from(a.nodes));
        println!("| relay hop (receive → durable publish) p50 / p99 / max | {:.2} / {:.2} / {:.2} ms ({} records) |",
            pct(&hop, 0.5) / 1e6, pct(&hop, 0.99) / 1e6, pct(&hop, 1.0) / 1e6, hop.len());
        println!("| node send → ack round trip p50 / p99 | {:.2} / {:.2} ms |", pct(&rtt, 0.5) / 1e3, pct(&rtt, 0.99) / 1e3);
        Ok(())
    });
    let _ = child.kill();
    let _ = child.wait();
    if a.dir.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    result
}
