//! The edge node is killed (-9) twice mid-replay and restarted on the same journal: it resumes from
//! the journal and every journaled record reaches the league stream exactly once, in order.

mod relay_common;

use std::time::Duration;

use relay_common::{check, journaled, synth};
use touchline_tests::procs::{read_events, write_relay_config, EdgeArgs, EdgeProc, Pki, RelayProc};

#[test]
fn edge_kill9_resumes_from_journal() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let d = dir.path();
    let pki = Pki::create(&d.join("pki"))?;
    let (cert, key) = pki.node(1, 1, false)?;
    let cfg = write_relay_config(d, &pki, "127.0.0.1:0", &[(1, &[100])], &[(7, &[100])], "")?;
    let relay = RelayProc::start(&cfg, &d.join("relay.log"))?;
    let (rate, frames) = (25u32, 25 * 20);
    let args = EdgeArgs {
        relay: relay.addr,
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
    for _ in 0..2 {
        std::thread::sleep(Duration::from_secs(5));
        edge.kill9()?;
        edge = EdgeProc::start(&args)?;
    }
    let s = edge.wait(Duration::from_secs(60))?;
    anyhow::ensure!(s.success(), "edge failed: {s}");
    drop(relay);
    let ev = read_events(&args.events)?;
    let starts: Vec<i64> = ev
        .iter()
        .filter(|e| e.ev == "start")
        .filter_map(|e| e.get("next_seq"))
        .collect();
    let logged = journaled(&ev);
    let mut distinct = logged.clone();
    distinct.sort_unstable();
    distinct.dedup();
    anyhow::ensure!(
        distinct.len() == logged.len(),
        "a seq was journaled twice: {} journal events, {} distinct",
        logged.len(),
        distinct.len()
    );
    // A `journal` event is written after its append returns, so a kill between the two loses the
    // event line, not the record: a restart's `next_seq` (read back from the journal itself)
    // proves every seq below it is on disk.
    let recovered = starts.iter().copied().max().unwrap_or(0).max(0) as u64;
    let mut seqs: Vec<u64> = (0..recovered).chain(logged).collect();
    seqs.sort_unstable();
    seqs.dedup();
    println!(
        "edge kill: restarts resumed at seq {starts:?}; journaled {} distinct of {frames} ({} journal events)",
        seqs.len(),
        distinct.len()
    );
    anyhow::ensure!(
        starts.len() == 3 && starts[1] > 0 && starts[2] > starts[1],
        "restarts did not resume: {starts:?}"
    );
    anyhow::ensure!(
        seqs == (0..frames).collect::<Vec<u64>>(),
        "journaled seqs are not 0..{frames}: {} distinct, first missing {:?}",
        seqs.len(),
        (0..frames).find(|s| seqs.binary_search(s).is_err())
    );
    let delivery = check(&d.join("logs"), 7, &[(synth(1, 1, 100, rate), seqs)])?;
    println!("edge kill delivery: {delivery:?}");
    anyhow::ensure!(
        delivery.lost == 0 && delivery.duplicated == 0 && delivery.unexpected == 0,
        "{delivery:?}"
    );
    anyhow::ensure!(
        delivery.order_violations == 0 && delivery.late == 0,
        "{delivery:?}"
    );
    Ok(())
}
