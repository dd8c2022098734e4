//! A loopback UDP forwarder that can cut the link (drop every datagram both ways), to simulate a
//! venue uplink outage under a real QUIC connection.

use std::collections::HashMap;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A running proxy; stops when dropped.
#[derive(Debug)]
pub struct UdpProxy {
    /// Address clients connect to.
    pub addr: SocketAddr,
    cut: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    /// Datagrams dropped while cut.
    pub dropped: Arc<AtomicU64>,
}

impl UdpProxy {
    /// Forwards `127.0.0.1:<free>` ↔ `upstream`.
    pub fn start(upstream: SocketAddr) -> std::io::Result<Self> {
        let front = UdpSocket::bind("127.0.0.1:0")?;
        front.set_read_timeout(Some(Duration::from_millis(100)))?;
        let addr = front.local_addr()?;
        let cut = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let dropped = Arc::new(AtomicU64::new(0));
        let backs: Arc<Mutex<HashMap<SocketAddr, Arc<UdpSocket>>>> = Arc::default();
        let (cut2, stop2, dropped2) = (cut.clone(), stop.clone(), dropped.clone());
        std::thread::Builder::new()
            .name("udp-proxy".into())
            .spawn(move || {
                let mut buf = vec![0u8; 65536];
                while !stop2.load(Ordering::Relaxed) {
                    let Ok((n, client)) = front.recv_from(&mut buf) else {
                        continue;
                    };
                    if cut2.load(Ordering::Relaxed) {
                        dropped2.fetch_add(1, Ordering::Relaxed);
                        continue;
                    }
                    let back = {
                        let Ok(mut map) = backs.lock() else { return };
                        if let Some(b) = map.get(&client) {
                            b.clone()
                        } else {
                            let Ok(b) = UdpSocket::bind("127.0.0.1:0") else {
                                continue;
                            };
                            if b.connect(upstream).is_err()
                                || b.set_read_timeout(Some(Duration::from_millis(100)))
                                    .is_err()
                            {
                                continue;
                            }
                            let b = Arc::new(b);
                            map.insert(client, b.clone());
                            let (b2, cut3, stop3, dropped3) =
                                (b.clone(), cut2.clone(), stop2.clone(), dropped2.clone());
                            let Ok(front2) = front.try_clone() else {
                                continue;
                            };
                            let _ = std::thread::Builder::new()
                                .name("udp-proxy-back".into())
                                .spawn(move || {
                                    let mut buf = vec![0u8; 65536];
                                    while !stop3.load(Ordering::Relaxed) {
                                        let Ok(n) = b2.recv(&mut buf) else { continue };
                                        if cut3.load(Ordering::Relaxed) {
                                            dropped3.fetch_add(1, Ordering::Relaxed);
                                            continue;
                                        }
                                        let _ = front2.send_to(&buf[..n], client);
                                    }
                                });
                            b
                        }
                    };
                    let _ = back.send(&buf[..n]);
                }
            })?;
        Ok(Self {
            addr,
            cut,
            stop,
            dropped,
        })
    }

    /// Cuts (true) or restores (false) the link.
    pub fn set_cut(&self, cut: bool) {
        self.cut.store(cut, Ordering::Relaxed);
    }
}

impl Drop for UdpProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}
