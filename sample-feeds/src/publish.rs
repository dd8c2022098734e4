//! Publishes a feed's wearable recording to an MQTT broker at real-time pace (× `speed`).
//!
//! Topic: `touchline/<venue>/wearables/<device>`; payload: one JSON object per sample,
//! `{"device":"tw-1a2b","seq":17,"t_dev_us":123456789,"x":-12.34,"y":5.67,
//!   "acc":[0.1,-0.2,9.8],"gyro":[1,0,-3],"hr":142}` (units as in `wearables/samples.csv`).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};

use crate::truth::{Feed, TruthError};

/// Why publishing failed.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The feed could not be read.
    #[error(transparent)]
    Truth(#[from] TruthError),
    /// The feed has no wearables.
    #[error("feed has no wearables recording")]
    NoWearables,
    /// A sample line is malformed.
    #[error("{file}:{line}: {message}")]
    Sample {
        /// File.
        file: String,
        /// Line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The broker connection failed.
    #[error("mqtt: {0}")]
    Mqtt(String),
}

/// One parsed sample line, ready to publish.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    /// Venue time the sample was taken (ns), recovered from the device clock model.
    pub venue_ns: i64,
    /// Topic.
    pub topic: String,
    /// JSON payload.
    pub payload: String,
}

/// Reads the recording of a feed into publishable messages, in venue-time order.
pub fn load_messages(feed: &Feed, venue: &str) -> Result<Vec<Outgoing>, PublishError> {
    let path = feed.wearables_path().ok_or(PublishError::NoWearables)?;
    let file = path.display().to_string();
    let text = std::fs::read_to_string(&path).map_err(|source| TruthError::Io {
        file: path.clone(),
        source,
    })?;
    let clocks: BTreeMap<&str, (i64, f64)> = feed
        .devices
        .iter()
        .map(|d| (d.device.as_str(), (d.offset_ns, d.drift_ppm)))
        .collect();
    let mut out = Vec::new();
    let mut last = 0i64;
    for (i, line) in text.lines().enumerate().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let bad = |m: &str| PublishError::Sample {
            file: file.clone(),
            line: i + 1,
            message: m.to_string(),
        };
        if f.len() != 12 {
            return Err(bad("expected 12 columns"));
        }
        let t_dev_us: i64 = f[2].parse().map_err(|_| bad("bad t_dev_us"))?;
        let &(offset, drift) = clocks.get(f[0]).ok_or_else(|| bad("unknown device"))?;
        // Rows are in venue order; map device time back for pacing (clock jumps ignored).
        let venue_t = ((t_dev_us as f64 * 1000.0 - offset as f64) / (1.0 + drift * 1e-6)) as i64;
        last = last.max(venue_t);
        let nums: Vec<f64> = f[3..]
            .iter()
            .map(|s| s.parse::<f64>().map_err(|_| bad("bad number")))
            .collect::<Result<_, _>>()?;
        let payload = format!(
            "{{\"device\":\"{}\",\"seq\":{},\"t_dev_us\":{},\"x\":{},\"y\":{},\"acc\":[{},{},{}],\"gyro\":[{},{},{}],\"hr\":{}}}",
            f[0], f[1], t_dev_us, nums[0], nums[1], nums[2], nums[3], nums[4], nums[5], nums[6], nums[7], nums[8]
        );
        out.push(Outgoing {
            venue_ns: last,
            topic: format!("touchline/{venue}/wearables/{}", f[0]),
            payload,
        });
    }
    Ok(out)
}

/// Publishes the feed's wearables to `host:port`, pacing by venue time divided by `speed`.
/// Returns the number of messages sent.
pub async fn publish(
    feed_dir: &Path,
    host: &str,
    port: u16,
    venue: &str,
    speed: f64,
) -> Result<usize, PublishError> {
    let feed = Feed::load(feed_dir)?;
    let messages = load_messages(&feed, venue)?;
    let mut opts = MqttOptions::new(format!("sample-feeds-{}", std::process::id()), host, port);
    opts.set_keep_alive(Duration::from_secs(10));
    opts.set_max_packet_size(64 * 1024, 64 * 1024);
    let (client, mut eventloop) = AsyncClient::new(opts, 1024);
    // Wait for the connection before pacing starts.
    loop {
        match eventloop.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(_))) => break,
            Ok(_) => {}
            Err(e) => return Err(PublishError::Mqtt(e.to_string())),
        }
    }
    let driver = tokio::spawn(async move {
        loop {
            if let Err(e) = eventloop.poll().await {
                return e.to_string();
            }
        }
    });
    let speed = if speed.is_finite() && speed > 0.0 {
        speed
    } else {
        1.0
    };
    let start = tokio::time::Instant::now();
    let t0 = messages.first().map_or(0, |m| m.venue_ns);
    let mut sent = 0usize;
    for m in messages {
        let due = Duration::from_nanos(((m.venue_ns - t0).max(0) as f64 / speed) as u64);
        tokio::time::sleep_until(start + due).await;
        client
            .publish(m.topic, QoS::AtMostOnce, false, m.payload.into_bytes())
            .await
            .map_err(|e| PublishError::Mqtt(e.to_string()))?;
        sent += 1;
    }
    // Let the event loop flush, then disconnect.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let _ = client.disconnect().await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    driver.abort();
    Ok(sent)
}
