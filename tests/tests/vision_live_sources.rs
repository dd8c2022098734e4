//! Live camera sources over a real network transport (MPEG-TS/H.264 over UDP on loopback, sent by
//! real `gst-launch-1.0` processes): killing one camera's sender mid-stream stalls only that
//! camera; the node reconnects with backoff and resumes when the sender returns, while the other
//! camera never stops.

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use edge_node::video::{DecodeConfig, PixelFormat};
use edge_node::vision::source::CameraFrame;
use edge_node::vision::{Backoff, LatestSlot, SourceConfig, SourceMode, SourceOutput, SourceStats};

struct Sender(Child);

impl Sender {
    fn start(port: u16) -> anyhow::Result<Self> {
        let child = Command::new("gst-launch-1.0")
            .args([
                "-q",
                "videotestsrc",
                "is-live=true",
                "pattern=ball",
                "!",
                "video/x-raw,width=320,height=240,framerate=25/1",
                "!",
                "x264enc",
                "tune=zerolatency",
                "speed-preset=ultrafast",
                "key-int-max=10",
                "!",
                "mpegtsmux",
                "!",
                "udpsink",
                "host=127.0.0.1",
                &format!("port={port}"),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        Ok(Self(child))
    }
}

impl Drop for Sender {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_udp_port() -> anyhow::Result<u16> {
    Ok(std::net::UdpSocket::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

struct Camera {
    stats: Arc<SourceStats>,
    consumed: Arc<AtomicU64>,
}

fn start_camera(index: usize, port: u16, stop: &Arc<AtomicBool>) -> anyhow::Result<Camera> {
    let slot: Arc<LatestSlot<CameraFrame>> = Arc::new(LatestSlot::new());
    let stats = Arc::new(SourceStats::default());
    let consumed = Arc::new(AtomicU64::new(0));
    let config = SourceConfig {
        camera: index,
        uri: format!("udp://127.0.0.1:{port}"),
        mode: SourceMode::Live,
        decode: DecodeConfig {
            format: PixelFormat::I420,
            scale_to_px: None,
        },
        stall_timeout: Duration::from_millis(800),
        backoff: Backoff {
            initial_ms: 100,
            max_ms: 800,
        },
    };
    let (s, st) = (slot.clone(), stop.clone());
    let src_stats = stats.clone();
    std::thread::Builder::new()
        .name(format!("test-cam{index}"))
        .spawn(move || config.run(SourceOutput::Live(s), src_stats, st))?;
    let (c, st) = (consumed.clone(), stop.clone());
    std::thread::Builder::new()
        .name(format!("test-consumer{index}"))
        .spawn(move || {
            while !st.load(Ordering::Relaxed) {
                if let Some(f) = slot.take(Duration::from_millis(50)) {
                    assert_eq!(f.camera, index);
                    c.fetch_add(1, Ordering::Relaxed);
                }
            }
        })?;
    Ok(Camera { stats, consumed })
}

fn wait_for(what: &str, limit: Duration, cond: impl Fn() -> bool) -> anyhow::Result<()> {
    let deadline = Instant::now() + limit;
    while !cond() {
        anyhow::ensure!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

#[test]
fn killed_camera_reconnects_while_the_other_keeps_flowing() -> anyhow::Result<()> {
    let (port_a, port_b) = (free_udp_port()?, free_udp_port()?);
    let stop = Arc::new(AtomicBool::new(false));
    let a = start_camera(0, port_a, &stop)?;
    let b = start_camera(1, port_b, &stop)?;
    let sender_a = Sender::start(port_a)?;
    let _sender_b = Sender::start(port_b)?;

    let frames = |c: &Camera| c.consumed.load(Ordering::Relaxed);
    wait_for("both cameras to stream", Duration::from_secs(20), || {
        frames(&a) >= 25 && frames(&b) >= 25
    })?;

    drop(sender_a); // kill camera A's sender mid-stream
    std::thread::sleep(Duration::from_millis(300));
    let (a_at_kill, b_at_kill) = (frames(&a), frames(&b));
    std::thread::sleep(Duration::from_secs(3));
    let (a_dead, b_alive) = (frames(&a) - a_at_kill, frames(&b) - b_at_kill);
    eprintln!("3 s after the kill: camera A +{a_dead} frames, camera B +{b_alive} frames");
    assert!(
        a_dead <= 2,
        "camera A kept producing without a sender: +{a_dead}"
    );
    assert!(
        b_alive >= 40,
        "camera B must keep streaming at ~25 fps: +{b_alive}"
    );
    assert!(
        a.stats.failures.load(Ordering::Relaxed) >= 1,
        "the stall must be noticed"
    );

    let _sender_a = Sender::start(port_a)?; // the camera comes back
    let a_back = frames(&a);
    let returned = Instant::now();
    wait_for("camera A to resume", Duration::from_secs(20), || {
        frames(&a) >= a_back + 25
    })?;
    eprintln!(
        "camera A resumed {:.1} s after its sender returned; reconnects A={} B={}",
        returned.elapsed().as_secs_f64(),
        a.stats.reconnects.load(Ordering::Relaxed),
        b.stats.reconnects.load(Ordering::Relaxed)
    );
    assert!(a.stats.reconnects.load(Ordering::Relaxed) >= 1);
    assert_eq!(
        b.stats.reconnects.load(Ordering::Relaxed),
        0,
        "camera B never dropped"
    );
    assert_eq!(b.stats.failures.load(Ordering::Relaxed), 0);
    stop.store(true, Ordering::Relaxed);
    Ok(())
}
