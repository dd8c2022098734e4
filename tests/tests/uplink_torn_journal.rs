//! A journal whose last write is torn: the node detects it by CRC when it opens the journal,
//! reports it, cuts it, and the torn entry never reaches the relay.

mod relay_common;

use std::io::Write;
use std::time::Duration;

use relay_common::{check, journaled, synth};
use touchline_tests::procs::{read_events, write_relay_config, EdgeArgs, EdgeProc, Pki, RelayProc};

#[test]
fn torn_journal_tail_detected_never_delivered() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let d = dir.path();
    let pki = Pki::create(&d.join("pki"))?;
    let (cert, key) = pki.node(1, 1, false)?;
    // 1) journal 100 frames with no relay reachable (a closed loopback port)
    let dead = std::net::UdpSocket::bind("127.0.0.1:0")?.local_addr()?;
    let mut args = EdgeArgs {
        relay: dead,
        ca: pki.ca(),
        identity: Some((cert, key)),
        journal: d.join("journal"),
        events: d.join("edge.jsonl"),
        venue: 1,
        node: 1,
        match_id: 100,
        frames: 100,
        rate_hz: 0,
        idle_timeout_ms: 1000,
        extra: vec![],
    };
    let mut edge = EdgeProc::start(&args)?;
    for _ in 0..200 {
        if read_events(&args.events).is_ok_and(|ev| ev.iter().any(|e| e.ev == "produced")) {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    edge.kill9()?;
    // 2) tear the last write: append the first 60% of a valid entry (frame 100's) to the last segment
    let mut segs: Vec<_> = std::fs::read_dir(&args.journal)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "seg"))
        .collect();
    segs.sort();
    let last = segs
        .last()
        .ok_or_else(|| anyhow::anyhow!("no journal segment"))?;
    let mut b = synth(1, 1, 100, 0).batch(100);
    b.header.seq = 100;
    let frame = records::wire::encode_batch(&b)?;
    let mut entry = Vec::new();
    entry.extend_from_slice(&(frame.len() as u32).to_le_bytes());
    entry.extend_from_slice(&crc32c::crc32c(&frame).to_le_bytes());
    entry.extend_from_slice(&frame);
    let torn_len = entry.len() * 6 / 10;
    std::fs::OpenOptions::new()
        .append(true)
        .open(last)?
        .write_all(&entry[..torn_len])?;
    // 3) a relay, and the node restarted on the torn journal (frames = 100: nothing new to journal)
    let cfg = write_relay_config(d, &pki, "127.0.0.1:0", &[(1, &[100])], &[(7, &[100])], "")?;
    let relay = RelayProc::start(&cfg, &d.join("relay.log"))?;
    args.relay = relay.addr;
    let mut edge = EdgeProc::start(&args)?;
    let s = edge.wait(Duration::from_secs(30))?;
    anyhow::ensure!(s.success(), "edge failed: {s}");
    drop(relay);
    let ev = read_events(&args.events)?;
    let torn = ev
        .iter()
        .find(|e| e.ev == "torn")
        .ok_or_else(|| anyhow::anyhow!("torn tail not reported"))?;
    println!("torn journal: reported {:?}", torn.fields);
    anyhow::ensure!(
        torn.get("discarded_bytes") == Some(torn_len as i64),
        "{:?}",
        torn.fields
    );
    let seqs = journaled(&ev);
    let delivery = check(&d.join("logs"), 7, &[(synth(1, 1, 100, 0), seqs.clone())])?;
    println!("torn journal delivery: {delivery:?}");
    anyhow::ensure!(seqs.len() == 100, "journaled {}", seqs.len());
    anyhow::ensure!(
        delivery.lost == 0 && delivery.duplicated == 0 && delivery.unexpected == 0,
        "{delivery:?}"
    );
    let log = relay::store::read_league(&d.join("logs"), records::LeagueId(7))?;
    anyhow::ensure!(
        log.iter().all(|e| e.seq < 100),
        "the torn entry (seq 100) was delivered"
    );
    Ok(())
}
