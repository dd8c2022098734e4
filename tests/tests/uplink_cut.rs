//! The venue uplink is cut for 60 s in the middle of a real-time replay (UDP proxy dropping every
//! datagram under a real QUIC connection). After the link returns: 0 lost, 0 duplicated, order exact,
//! and the backlog drains faster than real time (figure printed; goal ≥ 2×).

mod relay_common;

use std::time::{Duration, Instant};

use relay_common::{check, journaled, strict_timing, synth};
use touchline_tests::procs::{
    now_us, read_events, write_relay_config, EdgeArgs, EdgeProc, Pki, RelayProc,
};
use touchline_tests::udp_proxy::UdpProxy;

#[test]
fn uplink_cut_60s_mid_replay() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let d = dir.path();
    let pki = Pki::create(&d.join("pki"))?;
    let (cert, key) = pki.node(1, 1, false)?;
    let cfg = write_relay_config(d, &pki, "127.0.0.1:0", &[(1, &[100])], &[(7, &[100])], "")?;
    let relay = RelayProc::start(&cfg, &d.join("relay.log"))?;
    let proxy = UdpProxy::start(relay.addr)?;
    let (rate, frames) = (25u32, 25 * 85);
    let args = EdgeArgs {
        relay: proxy.addr,
        ca: pki.ca(),
        identity: Some((cert, key)),
        journal: d.join("journal"),
        events: d.join("edge.jsonl"),
        venue: 1,
        node: 1,
        match_id: 100,
        frames,
        rate_hz: rate,
        idle_timeout_ms: 3000,
        extra: vec![],
    };
    let mut edge = EdgeProc::start(&args)?;
    std::thread::sleep(Duration::from_secs(10));
    proxy.set_cut(true);
    let cut_at = now_us();
    std::thread::sleep(Duration::from_secs(60));
    proxy.set_cut(false);
    let restored_at = now_us();
    let t0 = Instant::now();
    let status = edge.wait(Duration::from_secs(60))?;
    anyhow::ensure!(status.success(), "edge node failed: {status}");
    drop(relay);

    let events = read_events(&args.events)?;
    let seqs = journaled(&events);
    anyhow::ensure!(
        seqs.len() as u64 == frames,
        "journaled {} of {frames}",
        seqs.len()
    );
    let d1 = check(&d.join("logs"), 7, &[(synth(1, 1, 100, rate), seqs)])?;
    // The reconnect after the cut: its backlog lane covers [resume, live_start).
    let reconnect = events
        .iter()
        .find(|e| e.ev == "connected" && e.t_us > restored_at)
        .ok_or_else(|| anyhow::anyhow!("no reconnect after the link returned"))?;
    let (resume, live_start) = (
        reconnect.get("resume").unwrap_or(0),
        reconnect.get("live_start").unwrap_or(0),
    );
    let drained = events
        .iter()
        .find(|e| e.ev == "backlog_drained" && e.t_us >= reconnect.t_us)
        .ok_or_else(|| anyhow::anyhow!("backlog never drained"))?;
    let backlog_s = (live_start - resume) as f64 / f64::from(rate);
    let drain_s = (drained.t_us - restored_at) as f64 / 1e6;
    let reconnect_s = (reconnect.t_us - restored_at) as f64 / 1e6;
    println!(
        "uplink cut: cut {:.1} s; backlog {} batches = {backlog_s:.1} s of replay; reconnect {reconnect_s:.2} s after link return; \
         drained {drain_s:.2} s after link return = {:.1}x real time; finished {:.1} s later; proxy dropped {} datagrams",
        (restored_at - cut_at) as f64 / 1e6,
        live_start - resume,
        backlog_s / drain_s,
        t0.elapsed().as_secs_f64(),
        proxy.dropped.load(std::sync::atomic::Ordering::Relaxed)
    );
    println!("uplink cut delivery: {d1:?}");
    anyhow::ensure!(
        live_start - resume > 25 * 50,
        "the cut should leave ~60 s of backlog"
    );
    anyhow::ensure!(
        d1.lost == 0 && d1.duplicated == 0 && d1.unexpected == 0,
        "{d1:?}"
    );
    anyhow::ensure!(
        d1.order_violations == 0 && d1.late == 0 && d1.offset_gaps == 0,
        "{d1:?}"
    );
    if strict_timing() {
        anyhow::ensure!(backlog_s / drain_s >= 2.0, "drain below 2x real time");
    }
    Ok(())
}
