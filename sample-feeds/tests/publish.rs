//! `publish` against a real mosquitto broker on loopback: every sample of a committed feed
//! arrives on `touchline/<venue>/wearables/<device>` as the documented JSON.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use sample_feeds::truth::Feed;

type TestResult = Result<(), Box<dyn std::error::Error>>;

struct Broker(Child);

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_broker(dir: &std::path::Path) -> Result<(Broker, u16), Box<dyn std::error::Error>> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let conf = dir.join("mosquitto.conf");
    std::fs::write(
        &conf,
        format!(
            "listener {port} 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\npersistence false\n"
        ),
    )?;
    let bin = ["/usr/sbin/mosquitto", "/usr/bin/mosquitto"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .ok_or("mosquitto is not installed (apt-get install mosquitto)")?;
    let child = Command::new(bin)
        .arg("-c")
        .arg(&conf)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let broker = Broker(child);
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok((broker, port));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err("mosquitto did not start listening".into())
}

#[test]
fn publishes_every_sample_as_documented_json() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let (_broker, port) = start_broker(tmp.path())?;
    let feed_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("feeds/two-camera");
    let feed = Feed::load(&feed_dir)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let received: Arc<Mutex<Vec<(String, serde_json::Value)>>> = Arc::default();
    let sent = rt.block_on(async {
        let mut opts = MqttOptions::new("sample-feeds-test-sub", "127.0.0.1", port);
        opts.set_max_packet_size(64 * 1024, 64 * 1024);
        let (client, mut eventloop) = AsyncClient::new(opts, 64);
        client
            .subscribe("touchline/test/wearables/#", QoS::AtMostOnce)
            .await?;
        // Run the subscriber until it has its SubAck, then keep collecting.
        loop {
            if let Event::Incoming(Packet::SubAck(_)) = eventloop.poll().await? {
                break;
            }
        }
        let sink = received.clone();
        let collector = tokio::spawn(async move {
            while let Ok(ev) = eventloop.poll().await {
                if let Event::Incoming(Packet::Publish(p)) = ev {
                    let json: serde_json::Value =
                        serde_json::from_slice(&p.payload).unwrap_or(serde_json::Value::Null);
                    if let Ok(mut v) = sink.lock() {
                        v.push((p.topic.clone(), json));
                    }
                }
            }
        });
        let sent =
            sample_feeds::publish::publish(&feed_dir, "127.0.0.1", port, "test", 50.0).await?;
        // Wait (bounded) for the broker to deliver everything.
        for _ in 0..200 {
            if received.lock().map(|v| v.len()).unwrap_or(0) >= sent {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        collector.abort();
        Ok::<usize, Box<dyn std::error::Error>>(sent)
    })?;
    let samples = std::fs::read_to_string(feed.wearables_path().ok_or("no wearables")?)?;
    assert_eq!(sent, samples.lines().count() - 1);
    let got = received.lock().map_err(|_| "poisoned")?.clone();
    assert_eq!(got.len(), sent, "broker delivered {} of {sent}", got.len());
    let devices: BTreeMap<&str, &str> = feed
        .devices
        .iter()
        .map(|d| (d.device.as_str(), d.object.as_str()))
        .collect();
    let mut last_seq: BTreeMap<String, i64> = BTreeMap::new();
    for (topic, json) in &got {
        let device = topic
            .strip_prefix("touchline/test/wearables/")
            .ok_or("bad topic")?;
        assert!(devices.contains_key(device), "unknown device {device}");
        assert_eq!(json["device"].as_str(), Some(device));
        for key in ["x", "y", "hr", "t_dev_us"] {
            assert!(json[key].is_number(), "{key} missing in {json}");
        }
        assert_eq!(json["acc"].as_array().map(Vec::len), Some(3));
        assert_eq!(json["gyro"].as_array().map(Vec::len), Some(3));
        let seq = json["seq"].as_i64().ok_or("no seq")?;
        let prev = last_seq.insert(device.to_string(), seq);
        assert!(
            prev.is_none_or(|p| seq > p),
            "{device}: seq {seq} after {prev:?}"
        );
    }
    assert_eq!(last_seq.len(), devices.len());
    Ok(())
}
