//! rumqttc through a real mosquitto broker started by the harness on a free loopback port.

use std::time::Duration;

use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use touchline_tests::mosquitto::Mosquitto;

#[tokio::test]
async fn publish_subscribe_through_mosquitto() -> anyhow::Result<()> {
    let broker = Mosquitto::start()?;
    let mut options = MqttOptions::new("touchline-test", "127.0.0.1", broker.port());
    options.set_keep_alive(Duration::from_secs(5));
    let (client, mut events) = AsyncClient::new(options, 64);
    client
        .subscribe("touchline/test/wearables/+", QoS::AtLeastOnce)
        .await?;

    let mut received = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let mut published = false;
    while received.len() < 3 {
        let event = tokio::time::timeout_at(deadline, events.poll()).await??;
        match event {
            Event::Incoming(Packet::SubAck(_)) if !published => {
                for i in 0..3u8 {
                    client
                        .publish(
                            format!("touchline/test/wearables/dev-{i}"),
                            QoS::AtLeastOnce,
                            false,
                            vec![i; 4],
                        )
                        .await?;
                }
                published = true;
            }
            Event::Incoming(Packet::Publish(p)) => received.push((p.topic, p.payload.to_vec())),
            _ => {}
        }
    }
    received.sort();
    assert_eq!(
        received,
        (0..3u8)
            .map(|i| (format!("touchline/test/wearables/dev-{i}"), vec![i; 4]))
            .collect::<Vec<_>>()
    );
    Ok(())
}
