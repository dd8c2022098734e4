//! Real `relay` and `edge-node` processes for fault tests, and their JSON-lines event records.
//!
//! The binaries must be built first: `cargo build -p relay -p edge-node` (the harness looks for
//! them next to the test executable's target dir and says so when they are missing).

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

/// Path of a workspace binary in the same target dir as the running test.
pub fn bin(name: &str) -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    // target/<profile>/deps/<test> → target/<profile>/<name>
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .context("test executable has no target dir")?;
    let path = dir.join(name);
    if !path.is_file() {
        bail!(
            "{} is missing: run `cargo build -p relay -p edge-node` before these tests",
            path.display()
        );
    }
    Ok(path)
}

/// Runs a command to completion, failing on a non-zero exit.
pub fn run(cmd: &mut Command) -> anyhow::Result<String> {
    let out = cmd.output().with_context(|| format!("running {cmd:?}"))?;
    if !out.status.success() {
        bail!(
            "{cmd:?} failed: {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A dev PKI made with `relay pki` in `dir`.
#[derive(Debug, Clone)]
pub struct Pki {
    /// Directory holding the PEM files.
    pub dir: PathBuf,
}

impl Pki {
    /// Creates a CA and a relay certificate for localhost / 127.0.0.1.
    pub fn create(dir: &Path) -> anyhow::Result<Self> {
        let relay = bin("relay")?;
        run(Command::new(&relay).args(["pki", "ca", "--out"]).arg(dir))?;
        run(Command::new(&relay)
            .args(["pki", "relay", "--ca-key"])
            .arg(dir.join("ca.key"))
            .arg("--out")
            .arg(dir))?;
        Ok(Self {
            dir: dir.to_path_buf(),
        })
    }

    /// Issues a node certificate; returns (cert, key) paths.
    pub fn node(&self, venue: u32, node: u32, expired: bool) -> anyhow::Result<(PathBuf, PathBuf)> {
        let name = format!(
            "node-{venue}-{node}{}",
            if expired { "-expired" } else { "" }
        );
        let mut cmd = Command::new(bin("relay")?);
        cmd.args(["pki", "node", "--ca-key"])
            .arg(self.dir.join("ca.key"))
            .args(["--venue", &venue.to_string(), "--node", &node.to_string()])
            .arg("--out")
            .arg(&self.dir)
            .args(["--name", &name]);
        if expired {
            cmd.arg("--expired");
        }
        run(&mut cmd)?;
        Ok((
            self.dir.join(format!("{name}.pem")),
            self.dir.join(format!("{name}.key")),
        ))
    }

    /// CA certificate.
    pub fn ca(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }
}

/// A running relay.
#[derive(Debug)]
pub struct RelayProc {
    child: Child,
    /// Its UDP address.
    pub addr: SocketAddr,
    /// When it printed `LISTENING`.
    pub ready_at: Instant,
}

/// Writes a relay config to `<dir>/relay.toml`. `venues`: (venue, matches); `leagues`: (league, matches).
pub fn write_relay_config(
    dir: &Path,
    pki: &Pki,
    listen: &str,
    venues: &[(u32, &[u64])],
    leagues: &[(u32, &[u64])],
    extra: &str,
) -> anyhow::Result<PathBuf> {
    let mut s = format!(
        "listen = \"{listen}\"\nlog_dir = \"{}\"\n{extra}\n[tls]\nca = \"{}\"\ncert = \"{}\"\nkey = \"{}\"\n",
        dir.join("logs").display(),
        pki.ca().display(),
        pki.dir.join("relay.pem").display(),
        pki.dir.join("relay.key").display()
    );
    for (id, ms) in venues {
        s.push_str(&format!("[[venues]]\nid = {id}\nmatches = {ms:?}\n"));
    }
    for (id, ms) in leagues {
        s.push_str(&format!("[[leagues]]\nid = {id}\nmatches = {ms:?}\n"));
    }
    let path = dir.join("relay.toml");
    std::fs::write(&path, s)?;
    Ok(path)
}

impl RelayProc {
    /// Starts `relay serve --config <config>` and waits (≤ 20 s) for its address.
    pub fn start(config: &Path, stderr_log: &Path) -> anyhow::Result<Self> {
        let err = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(stderr_log)?;
        let mut child = Command::new(bin("relay")?)
            .args(["serve", "--config"])
            .arg(config)
            .stdout(Stdio::piped())
            .stderr(err)
            .spawn()?;
        let stdout = child.stdout.take().context("relay stdout")?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if let Some(a) = line.strip_prefix("LISTENING ") {
                    let _ = tx.send(a.trim().to_string());
                }
            }
        });
        let addr = match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(a) => a.parse()?,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                bail!("relay did not start; see {}", stderr_log.display());
            }
        };
        Ok(Self {
            child,
            addr,
            ready_at: Instant::now(),
        })
    }

    /// kill -9.
    pub fn kill9(&mut self) -> anyhow::Result<()> {
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }

    /// SIGTERM-free orderly stop is not needed by tests: kill and reap.
    pub fn stop(mut self) -> anyhow::Result<()> {
        self.kill9()
    }
}

impl Drop for RelayProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A running `edge-node uplink`.
#[derive(Debug)]
pub struct EdgeProc {
    child: Child,
}

/// Arguments of one edge node.
#[derive(Debug, Clone)]
pub struct EdgeArgs {
    /// Relay (or proxy) address.
    pub relay: SocketAddr,
    /// CA PEM.
    pub ca: PathBuf,
    /// Node cert and key.
    pub identity: Option<(PathBuf, PathBuf)>,
    /// Journal dir.
    pub journal: PathBuf,
    /// Events file.
    pub events: PathBuf,
    /// Venue, node, match.
    pub venue: u32,
    /// Node.
    pub node: u32,
    /// Match.
    pub match_id: u64,
    /// Frames.
    pub frames: u64,
    /// Rate (0 = flat out).
    pub rate_hz: u32,
    /// Idle timeout ms.
    pub idle_timeout_ms: u64,
    /// Extra args.
    pub extra: Vec<String>,
}

impl EdgeProc {
    /// Spawns the node; stderr goes to `<events>.log`.
    pub fn start(a: &EdgeArgs) -> anyhow::Result<Self> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(a.events.with_extension("log"))?;
        let mut cmd = Command::new(bin("edge-node")?);
        cmd.arg("uplink")
            .args(["--relay", &a.relay.to_string(), "--ca"])
            .arg(&a.ca)
            .arg("--journal")
            .arg(&a.journal)
            .arg("--events")
            .arg(&a.events)
            .args(["--venue", &a.venue.to_string()])
            .args(["--node", &a.node.to_string()])
            .args(["--match", &a.match_id.to_string()])
            .args(["--frames", &a.frames.to_string()])
            .args(["--rate-hz", &a.rate_hz.to_string()])
            .args(["--idle-timeout-ms", &a.idle_timeout_ms.to_string()])
            .arg("--exit-when-acked")
            .args(&a.extra)
            .stdout(Stdio::null())
            .stderr(log);
        if let Some((c, k)) = &a.identity {
            cmd.arg("--cert").arg(c).arg("--key").arg(k);
        }
        Ok(Self {
            child: cmd.spawn()?,
        })
    }

    /// kill -9.
    pub fn kill9(&mut self) -> anyhow::Result<()> {
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }

    /// Waits up to `limit` for exit; kills it and fails after that.
    pub fn wait(&mut self, limit: Duration) -> anyhow::Result<std::process::ExitStatus> {
        let end = Instant::now() + limit;
        loop {
            if let Some(s) = self.child.try_wait()? {
                return Ok(s);
            }
            if Instant::now() > end {
                let _ = self.child.kill();
                let _ = self.child.wait();
                bail!("edge node did not finish within {limit:?}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for EdgeProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One event of an edge node's record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Unix µs.
    pub t_us: i64,
    /// Event name.
    pub ev: String,
    /// Integer fields.
    pub fields: HashMap<String, i64>,
}

impl Event {
    /// A field.
    pub fn get(&self, k: &str) -> Option<i64> {
        self.fields.get(k).copied()
    }
}

/// Parses an event file (the `{"k":v,...}` lines written by `edge-node --events`; a torn last
/// line from a kill -9 is skipped).
pub fn read_events(path: &Path) -> anyhow::Result<Vec<Event>> {
    let text = std::fs::read_to_string(path)?;
    let mut out = Vec::new();
    for line in text.lines() {
        let Some(body) = line.strip_prefix('{').and_then(|l| l.strip_suffix('}')) else {
            continue;
        };
        let mut ev = Event {
            t_us: 0,
            ev: String::new(),
            fields: HashMap::new(),
        };
        for kv in body.split(',') {
            let Some((k, v)) = kv.split_once(':') else {
                continue;
            };
            let k = k.trim_matches('"');
            if k == "ev" {
                ev.ev = v.trim_matches('"').to_string();
            } else if let Ok(n) = v.parse::<i64>() {
                if k == "t_us" {
                    ev.t_us = n;
                } else {
                    ev.fields.insert(k.to_string(), n);
                }
            }
        }
        if !ev.ev.is_empty() {
            out.push(ev);
        }
    }
    Ok(out)
}

/// Unix time in µs.
pub fn now_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64)
}
