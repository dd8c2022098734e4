//! Authentication and hostile input at the relay, with real processes and real QUIC on loopback:
//! no client certificate, a rogue CA, an expired certificate, an unknown venue and a node claiming
//! another venue's match are all refused with 0 records accepted; a connection sending malformed
//! frames is closed with `MalformedFrame` while a good node keeps flowing.

mod relay_common;

use std::path::Path;
use std::time::Duration;

use relay_common::{check, journaled, synth};
use touchline_tests::procs::{read_events, write_relay_config, EdgeArgs, EdgeProc, Pki, RelayProc};
use uplink_proto::{CloseCode, Hello, Lane, RelayMsg, RELAY_MSG_LEN};

fn edge_args(
    d: &Path,
    name: &str,
    relay: std::net::SocketAddr,
    ca: &Path,
    identity: Option<(std::path::PathBuf, std::path::PathBuf)>,
    venue: u32,
    node: u32,
) -> EdgeArgs {
    EdgeArgs {
        relay,
        ca: ca.to_path_buf(),
        identity,
        journal: d.join(format!("journal-{name}")),
        events: d.join(format!("edge-{name}.jsonl")),
        venue,
        node,
        match_id: 100,
        frames: 50,
        rate_hz: 0,
        idle_timeout_ms: 1000,
        extra: vec![],
    }
}

#[test]
fn rejected_nodes_get_nothing_in() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let d = dir.path();
    let pki = Pki::create(&d.join("pki"))?;
    let rogue = Pki::create(&d.join("rogue"))?;
    let cfg = write_relay_config(
        d,
        &pki,
        "127.0.0.1:0",
        &[(1, &[100]), (2, &[200])],
        &[(7, &[100, 200])],
        "",
    )?;
    let relay = RelayProc::start(&cfg, &d.join("relay.log"))?;

    // TLS-level refusals: the node keeps retrying; after 4 s it has never been connected.
    let tls_cases = [
        ("no-cert", None),
        ("rogue-ca", Some(rogue.node(1, 1, false)?)),
        ("expired", Some(pki.node(1, 1, true)?)),
    ];
    let mut procs = Vec::new();
    for (name, identity) in tls_cases {
        let a = edge_args(d, name, relay.addr, &pki.ca(), identity, 1, 1);
        procs.push((name, EdgeProc::start(&a)?, a));
    }
    // Application-level refusals: the node stops with the close code.
    let app_cases = [
        (
            "unknown-venue",
            pki.node(9, 1, false)?,
            9,
            CloseCode::UnknownVenue,
        ),
        (
            "wrong-venue-match",
            pki.node(2, 4, false)?,
            2,
            CloseCode::WrongVenueOrMatch,
        ),
    ];
    for (name, identity, venue, code) in app_cases {
        let a = edge_args(d, name, relay.addr, &pki.ca(), Some(identity), venue, 4);
        let mut p = EdgeProc::start(&a)?;
        let s = p.wait(Duration::from_secs(20))?;
        anyhow::ensure!(!s.success(), "{name}: node should fail");
        let ev = read_events(&a.events)?;
        let refused = ev
            .iter()
            .find(|e| e.ev == "refused")
            .and_then(|e| e.get("code"));
        println!("{name}: node exited {s}, refused with code {refused:?}");
        anyhow::ensure!(
            refused == Some(i64::from(code.code())),
            "{name}: {refused:?}"
        );
    }
    std::thread::sleep(Duration::from_secs(4));
    for (name, mut p, a) in procs {
        p.kill9()?;
        let ev = read_events(&a.events)?;
        let connected = ev.iter().filter(|e| e.ev == "connected").count();
        let acks = ev.iter().filter(|e| e.ev == "ack").count();
        println!("{name}: {connected} connections, {acks} acks");
        anyhow::ensure!(connected == 0 && acks == 0, "{name} got in");
    }
    let log = relay::store::read_league(&d.join("logs"), records::LeagueId(7))?;
    let ingest = durable_log::read_all(&d.join("logs/ingest"), 1 << 26)?;
    println!(
        "accepted: {} ingest entries, {} league records",
        ingest.len(),
        log.len()
    );
    anyhow::ensure!(log.is_empty() && ingest.is_empty(), "records were accepted");
    let relay_log = std::fs::read_to_string(d.join("relay.log"))?;
    anyhow::ensure!(
        relay_log.contains("handshake refused"),
        "relay did not log refusals"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_frames_close_only_that_connection() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let d = dir.path().to_path_buf();
    let pki = Pki::create(&d.join("pki"))?;
    let cfg = write_relay_config(&d, &pki, "127.0.0.1:0", &[(1, &[100])], &[(7, &[100])], "")?;
    let relay = RelayProc::start(&cfg, &d.join("relay.log"))?;
    let (cert, key) = pki.node(1, 1, false)?;
    let (bad_cert, bad_key) = pki.node(1, 2, false)?;
    let mut a = edge_args(&d, "good", relay.addr, &pki.ca(), Some((cert, key)), 1, 1);
    a.frames = 250;
    a.rate_hz = 50;
    let mut good = EdgeProc::start(&a)?;

    let client = edge_node::uplink::tls::client_config(
        &pki.ca(),
        Some((&bad_cert, &bad_key)),
        Duration::from_secs(3),
    )?;
    let mut ep = quinn::Endpoint::client("127.0.0.1:0".parse()?)?;
    ep.set_default_client_config(client);
    let mut codes = Vec::new();
    for garbage in [
        &b"this is not a frame at all"[..],
        &[b'T', b'L', 1, 1, 0, 0xff, 0xff, 0xff, 0x7f][..],
    ] {
        let conn = ep.connect(relay.addr, "localhost")?.await?;
        let (mut send, mut recv) = conn.open_bi().await?;
        send.write_all(
            &Hello {
                stream: records::StreamId(0),
                lane: Lane::Live,
            }
            .encode(),
        )
        .await?;
        let mut buf = [0u8; RELAY_MSG_LEN];
        recv.read_exact(&mut buf).await?;
        anyhow::ensure!(matches!(
            RelayMsg::decode(&buf),
            Ok(RelayMsg::Welcome { .. })
        ));
        send.write_all(garbage).await?;
        let reason = conn.closed().await;
        let code = match reason {
            quinn::ConnectionError::ApplicationClosed(ac) => {
                CloseCode::from_code(ac.error_code.into_inner())
            }
            other => anyhow::bail!("unexpected close {other}"),
        };
        println!("garbage {:?}.. closed with {code:?}", &garbage[..4]);
        codes.push(code);
    }
    anyhow::ensure!(
        codes
            == vec![
                Some(CloseCode::MalformedFrame),
                Some(CloseCode::FrameTooLarge)
            ],
        "{codes:?}"
    );
    let s = tokio::task::spawn_blocking(move || good.wait(Duration::from_secs(30))).await??;
    anyhow::ensure!(s.success(), "good node failed: {s}");
    drop(relay);
    let ev = read_events(&a.events)?;
    let delivery = check(
        &d.join("logs"),
        7,
        &[(synth(1, 1, 100, 50), journaled(&ev))],
    )?;
    println!("good node during garbage: {delivery:?}");
    anyhow::ensure!(
        delivery.lost == 0 && delivery.duplicated == 0 && delivery.expected > 0,
        "{delivery:?}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_limit_refuses_extra_connections() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let d = dir.path().to_path_buf();
    let pki = Pki::create(&d.join("pki"))?;
    let cfg = write_relay_config(
        &d,
        &pki,
        "127.0.0.1:0",
        &[(1, &[100])],
        &[(7, &[100])],
        "[limits]\nmax_connections = 1\n",
    )?;
    let relay = RelayProc::start(&cfg, &d.join("relay.log"))?;
    let (c1, k1) = pki.node(1, 1, false)?;
    let (c2, k2) = pki.node(1, 2, false)?;
    let mut ep = quinn::Endpoint::client("127.0.0.1:0".parse()?)?;
    let cfg1 =
        edge_node::uplink::tls::client_config(&pki.ca(), Some((&c1, &k1)), Duration::from_secs(3))?;
    let cfg2 =
        edge_node::uplink::tls::client_config(&pki.ca(), Some((&c2, &k2)), Duration::from_secs(3))?;
    ep.set_default_client_config(cfg1.clone());
    let first = ep.connect_with(cfg1, relay.addr, "localhost")?.await?;
    // the first one is served: it gets a Welcome on a lane
    let (mut send, mut recv) = first.open_bi().await?;
    send.write_all(
        &Hello {
            stream: records::StreamId(0),
            lane: Lane::Live,
        }
        .encode(),
    )
    .await?;
    let mut buf = [0u8; RELAY_MSG_LEN];
    recv.read_exact(&mut buf).await?;
    anyhow::ensure!(matches!(
        RelayMsg::decode(&buf),
        Ok(RelayMsg::Welcome { .. })
    ));
    let second = ep.connect_with(cfg2, relay.addr, "localhost")?.await?;
    let code = match second.closed().await {
        quinn::ConnectionError::ApplicationClosed(ac) => {
            CloseCode::from_code(ac.error_code.into_inner())
        }
        other => anyhow::bail!("unexpected close {other}"),
    };
    println!("second connection closed with {code:?}");
    anyhow::ensure!(code == Some(CloseCode::TooManyConnections), "{code:?}");
    anyhow::ensure!(
        first.close_reason().is_none(),
        "the first connection must stay up"
    );
    Ok(())
}
