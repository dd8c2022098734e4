//! The relay is killed (-9) every 10 s for 60 s while three edge nodes replay (two redundant nodes
//! on one match, one on another match of the same league). 0 lost, 0 duplicated, order kept; the
//! time from each relay restart to each node's reconnect is printed (goal ≤ 2 s).

mod relay_common;

use std::time::Duration;

use relay_common::{check, journaled, strict_timing, synth};
use touchline_tests::procs::{read_events, write_relay_config, EdgeArgs, EdgeProc, Pki, RelayProc};

#[test]
fn relay_kill9_every_10s_three_edges() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let d = dir.path();
    let pki = Pki::create(&d.join("pki"))?;
    // bind a free port once and keep it across restarts
    let port = std::net::UdpSocket::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let listen = format!("127.0.0.1:{port}");
    let cfg = write_relay_config(
        d,
        &pki,
        &listen,
        &[(1, &[100]), (2, &[200])],
        &[(7, &[100, 200])],
        // small segments so the ingest log is trimmed (after a checkpoint) between the kills
        "[merge]\nsource_grace_ms = 4000\n[durability]\nsegment_bytes = 65536\n",
    )?;
    let mut relay = RelayProc::start(&cfg, &d.join("relay.log"))?;
    let (rate, frames) = (25u32, 25 * 70);
    let nodes = [(1u32, 1u32, 100u64), (1, 2, 100), (2, 3, 200)];
    let mut edges = Vec::new();
    let mut args_all = Vec::new();
    for &(venue, node, m) in &nodes {
        let (cert, key) = pki.node(venue, node, false)?;
        let args = EdgeArgs {
            relay: relay.addr,
            ca: pki.ca(),
            identity: Some((cert, key)),
            journal: d.join(format!("journal-{node}")),
            events: d.join(format!("edge-{node}.jsonl")),
            venue,
            node,
            match_id: m,
            frames,
            rate_hz: rate,
            idle_timeout_ms: 3000,
            extra: vec![],
        };
        edges.push(EdgeProc::start(&args)?);
        args_all.push(args);
    }
    let mut restarts = Vec::new();
    for _ in 0..6 {
        std::thread::sleep(Duration::from_secs(10));
        relay.kill9()?;
        relay = RelayProc::start(&cfg, &d.join("relay.log"))?;
        restarts.push(touchline_tests::procs::now_us());
    }
    for e in &mut edges {
        let s = e.wait(Duration::from_secs(60))?;
        anyhow::ensure!(s.success(), "edge failed: {s}");
    }
    relay.stop()?;

    let mut journals = Vec::new();
    let mut reconnect_ms = Vec::new();
    for (a, &(venue, node, m)) in args_all.iter().zip(&nodes) {
        let ev = read_events(&a.events)?;
        let seqs = journaled(&ev);
        anyhow::ensure!(
            seqs.len() as u64 == frames,
            "node {node} journaled {}",
            seqs.len()
        );
        for &r in &restarts {
            let c = ev
                .iter()
                .find(|e| e.ev == "connected" && e.t_us >= r)
                .ok_or_else(|| anyhow::anyhow!("node {node} never reconnected after a restart"))?;
            reconnect_ms.push((c.t_us - r) as f64 / 1e3);
        }
        journals.push((synth(venue, node, m, rate), seqs));
    }
    let delivery = check(&d.join("logs"), 7, &journals)?;
    let relay_log = std::fs::read_to_string(d.join("relay.log"))?;
    let trims = relay_log.matches("ingest log trimmed").count();
    println!("relay kill: ingest log trimmed {trims} times across restarts");
    anyhow::ensure!(trims > 0, "the ingest log was never trimmed");
    reconnect_ms.sort_by(f64::total_cmp);
    println!(
        "relay kill: {} restarts × 3 nodes; reconnect after relay ready (ms): min {:.0} median {:.0} max {:.0}",
        restarts.len(),
        reconnect_ms.first().copied().unwrap_or(0.0),
        reconnect_ms.get(reconnect_ms.len() / 2).copied().unwrap_or(0.0),
        reconnect_ms.last().copied().unwrap_or(0.0)
    );
    println!("relay kill delivery: {delivery:?}");
    anyhow::ensure!(
        delivery.lost == 0 && delivery.duplicated == 0 && delivery.unexpected == 0,
        "{delivery:?}"
    );
    anyhow::ensure!(
        delivery.order_violations == 0 && delivery.offset_gaps == 0,
        "{delivery:?}"
    );
    if strict_timing() {
        anyhow::ensure!(
            reconnect_ms.last().copied().unwrap_or(0.0) <= 2000.0,
            "reconnect over 2 s"
        );
    }
    Ok(())
}
