//! An append-only log of opaque entries in segment files, with a CRC32C per entry.
//!
//! Used by the edge node's journal (batches waiting for the relay's ack) and by the relay's own
//! durable logs (ingest log, league logs). Every entry has a dense `u64` index that survives
//! restarts and trimming: segment files are named by the index of their first entry, and the last
//! (active) segment is never deleted, so the next index is always recoverable from disk.
//!
//! # On-disk format
//! A directory of `<first_index:020>.seg` files. Each file starts with the 8-byte magic
//! `TLSEG\x01\0\0`, then entries `len: u32 LE | crc32c(payload): u32 LE | payload`.
//!
//! # Recovery
//! [`Log::open`] scans every segment. A bad entry (short read, length over the limit, CRC
//! mismatch) in the *last* segment is a torn tail: it is truncated away and reported in
//! [`Recovery::torn`], never returned. A bad entry in an earlier segment is [`LogError::Corrupt`].
//!
//! The bookkeeping (which segment holds an index, which segments a trim may delete, whether an
//! append fits the cap) is pure and lives in [`Segments`]; [`Log`] is the thin file shell.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Magic at the start of every segment file.
pub const SEGMENT_MAGIC: &[u8; 8] = b"TLSEG\x01\0\0";
/// Bytes of framing per entry (length + CRC).
pub const ENTRY_OVERHEAD: u64 = 8;

/// Errors of the durable log.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// An I/O error on a named path.
    #[error("{op} {path}: {source}")]
    Io {
        /// What was being done.
        op: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// A segment other than the last one holds a bad entry: not a torn tail, real corruption.
    #[error("corrupt segment {path} at byte {offset}: {reason}")]
    Corrupt {
        /// The segment file.
        path: PathBuf,
        /// Byte offset of the bad entry.
        offset: u64,
        /// What was wrong.
        reason: &'static str,
    },
    /// The append would exceed `max_total_bytes`.
    #[error("log full: {used} + {needed} bytes over the cap of {cap}")]
    Full {
        /// Bytes in use.
        used: u64,
        /// Bytes the entry needs (with framing).
        needed: u64,
        /// The configured cap.
        cap: u64,
    },
    /// The entry is larger than `max_entry_bytes`.
    #[error("entry of {len} bytes over the limit of {max}")]
    EntryTooLarge {
        /// Entry length.
        len: usize,
        /// Limit.
        max: u32,
    },
}

/// When appends reach the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub enum FsyncPolicy {
    /// `fdatasync` after every append: an acked entry survives power loss.
    Always,
    /// `fdatasync` after every `n` appends (and on [`Log::sync`]).
    EveryN(u32),
    /// Only on explicit [`Log::sync`] (group commit by the caller) or by the OS.
    Manual,
}

/// Log settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogOptions {
    /// Roll to a new segment when the active one reaches this size.
    pub segment_bytes: u64,
    /// Refuse appends beyond this many bytes on disk (all segments); `None` = no cap.
    pub max_total_bytes: Option<u64>,
    /// Largest entry accepted (and believed when recovering).
    pub max_entry_bytes: u32,
    /// When to fsync.
    pub fsync: FsyncPolicy,
}

impl Default for LogOptions {
    fn default() -> Self {
        Self {
            segment_bytes: 8 << 20,
            max_total_bytes: None,
            max_entry_bytes: 16 << 20,
            fsync: FsyncPolicy::Always,
        }
    }
}

/// A torn tail found and cut off when opening.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TornTail {
    /// The segment file.
    pub path: PathBuf,
    /// Byte offset where the valid data ends.
    pub valid_bytes: u64,
    /// Bytes discarded after it.
    pub discarded_bytes: u64,
    /// Why the first discarded entry was rejected.
    pub reason: &'static str,
}

/// What [`Log::open`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recovery {
    /// Entries found (after trimming).
    pub entries: u64,
    /// A torn tail in the last segment, if any.
    pub torn: Option<TornTail>,
}

/// Pure bookkeeping for one segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentMeta {
    /// Index of the first entry.
    pub first_index: u64,
    /// Entries in it.
    pub entries: u64,
    /// Bytes in the file (with the magic).
    pub bytes: u64,
}

impl SegmentMeta {
    /// One past the last index.
    pub fn end_index(&self) -> u64 {
        self.first_index + self.entries
    }
}

/// Pure segment bookkeeping: no files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Segments {
    /// Segments in index order; the last is the active one.
    pub list: Vec<SegmentMeta>,
}

impl Segments {
    /// Index the next append gets.
    pub fn next_index(&self) -> u64 {
        self.list.last().map_or(0, SegmentMeta::end_index)
    }

    /// Index of the oldest entry still on disk.
    pub fn first_index(&self) -> u64 {
        self.list.first().map_or(0, |s| s.first_index)
    }

    /// Bytes on disk.
    pub fn total_bytes(&self) -> u64 {
        self.list.iter().map(|s| s.bytes).sum()
    }

    /// Whether an entry of `payload_len` bytes fits under `cap`.
    pub fn check_fits(&self, payload_len: usize, cap: Option<u64>) -> Result<(), LogError> {
        let needed = payload_len as u64 + ENTRY_OVERHEAD;
        match cap {
            Some(cap) if self.total_bytes() + needed > cap => Err(LogError::Full {
                used: self.total_bytes(),
                needed,
                cap,
            }),
            _ => Ok(()),
        }
    }

    /// Whether the active segment must roll before an entry of `payload_len` bytes.
    pub fn must_roll(&self, payload_len: usize, segment_bytes: u64) -> bool {
        match self.list.last() {
            None => true,
            Some(s) => {
                s.entries > 0 && s.bytes + payload_len as u64 + ENTRY_OVERHEAD > segment_bytes
            }
        }
    }

    /// How many leading segments hold only entries below `index` (never the active one).
    pub fn trimmable(&self, index: u64) -> usize {
        let keep_last = self.list.len().saturating_sub(1);
        self.list
            .iter()
            .take(keep_last)
            .take_while(|s| s.end_index() <= index)
            .count()
    }

    /// Position of the segment holding `index`, if any.
    pub fn find(&self, index: u64) -> Option<usize> {
        self.list
            .iter()
            .position(|s| s.first_index <= index && index < s.end_index())
    }
}

/// File name of the segment starting at `first_index`.
pub fn segment_file_name(first_index: u64) -> String {
    format!("{first_index:020}.seg")
}

fn io_err<'a>(op: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> LogError + 'a {
    move |source| LogError::Io {
        op,
        path: path.to_path_buf(),
        source,
    }
}

/// Outcome of reading one entry from a reader.
enum ReadEntry {
    Entry(Vec<u8>),
    End,
    Bad(&'static str),
}

fn read_entry(r: &mut impl Read, max_entry: u32) -> io::Result<ReadEntry> {
    let mut head = [0u8; 8];
    let mut got = 0;
    while got < head.len() {
        let n = r.read(&mut head[got..])?;
        if n == 0 {
            return Ok(if got == 0 {
                ReadEntry::End
            } else {
                ReadEntry::Bad("short entry header")
            });
        }
        got += n;
    }
    let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
    let crc = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
    if len > max_entry {
        return Ok(ReadEntry::Bad("entry length over the limit"));
    }
    let mut payload = vec![0u8; len as usize];
    let mut got = 0;
    while got < payload.len() {
        let n = r.read(&mut payload[got..])?;
        if n == 0 {
            return Ok(ReadEntry::Bad("short entry payload"));
        }
        got += n;
    }
    if crc32c::crc32c(&payload) != crc {
        return Ok(ReadEntry::Bad("CRC32C mismatch"));
    }
    Ok(ReadEntry::Entry(payload))
}

/// Scans a segment: (entries, valid bytes, file length, first bad reason).
fn scan_segment(
    path: &Path,
    max_entry: u32,
) -> Result<(u64, u64, u64, Option<&'static str>), LogError> {
    let file = File::open(path).map_err(io_err("open", path))?;
    let len = file.metadata().map_err(io_err("stat", path))?.len();
    let mut r = BufReader::new(file);
    let mut magic = [0u8; 8];
    if len < 8 {
        return Ok((0, 0, len, Some("short segment magic")));
    }
    r.read_exact(&mut magic).map_err(io_err("read", path))?;
    if &magic != SEGMENT_MAGIC {
        return Ok((0, 0, len, Some("bad segment magic")));
    }
    let mut valid = 8u64;
    let mut entries = 0u64;
    loop {
        match read_entry(&mut r, max_entry).map_err(io_err("read", path))? {
            ReadEntry::End => return Ok((entries, valid, len, None)),
            ReadEntry::Bad(reason) => return Ok((entries, valid, len, Some(reason))),
            ReadEntry::Entry(p) => {
                entries += 1;
                valid += p.len() as u64 + ENTRY_OVERHEAD;
            }
        }
    }
}

fn list_segments(dir: &Path) -> Result<Vec<u64>, LogError> {
    let mut firsts = Vec::new();
    for entry in fs::read_dir(dir).map_err(io_err("read dir", dir))? {
        let entry = entry.map_err(io_err("read dir", dir))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(stem) = name.strip_suffix(".seg") else {
            continue;
        };
        if let Ok(first) = stem.parse::<u64>() {
            firsts.push(first);
        }
    }
    firsts.sort_unstable();
    Ok(firsts)
}

/// An open log: appends go to the active segment.
#[derive(Debug)]
pub struct Log {
    dir: PathBuf,
    opts: LogOptions,
    segs: Segments,
    active: Option<File>,
    unsynced: u32,
}

impl Log {
    /// Opens (creating if needed) the log in `dir`, recovering a torn tail.
    pub fn open(dir: impl AsRef<Path>, opts: LogOptions) -> Result<(Self, Recovery), LogError> {
        let dir = dir.as_ref().to_path_buf();
        fs::create_dir_all(&dir).map_err(io_err("create dir", &dir))?;
        let firsts = list_segments(&dir)?;
        let mut segs = Segments::default();
        let mut recovery = Recovery::default();
        for (i, &first) in firsts.iter().enumerate() {
            let path = dir.join(segment_file_name(first));
            let (entries, valid, len, bad) = scan_segment(&path, opts.max_entry_bytes)?;
            let last = i + 1 == firsts.len();
            if let Some(reason) = bad {
                if !last {
                    return Err(LogError::Corrupt {
                        path,
                        offset: valid,
                        reason,
                    });
                }
                recovery.torn = Some(TornTail {
                    path: path.clone(),
                    valid_bytes: valid,
                    discarded_bytes: len - valid,
                    reason,
                });
                let f = OpenOptions::new()
                    .write(true)
                    .open(&path)
                    .map_err(io_err("open", &path))?;
                if valid < 8 {
                    f.set_len(0).map_err(io_err("truncate", &path))?;
                    let mut f = f;
                    f.write_all(SEGMENT_MAGIC).map_err(io_err("write", &path))?;
                    f.sync_data().map_err(io_err("fsync", &path))?;
                } else {
                    f.set_len(valid).map_err(io_err("truncate", &path))?;
                    f.sync_data().map_err(io_err("fsync", &path))?;
                }
            }
            if let Some(prev) = segs.list.last() {
                if prev.end_index() != first {
                    return Err(LogError::Corrupt {
                        path,
                        offset: 0,
                        reason: "segment does not continue the previous one",
                    });
                }
            }
            segs.list.push(SegmentMeta {
                first_index: first,
                entries,
                bytes: valid.max(8),
            });
            recovery.entries += entries;
        }
        let mut log = Self {
            dir,
            opts,
            segs,
            active: None,
            unsynced: 0,
        };
        if let Some(last) = log.segs.list.last() {
            let path = log.dir.join(segment_file_name(last.first_index));
            let mut f = OpenOptions::new()
                .append(true)
                .open(&path)
                .map_err(io_err("open", &path))?;
            f.seek(SeekFrom::End(0)).map_err(io_err("seek", &path))?;
            log.active = Some(f);
        } else {
            log.roll(0)?;
        }
        Ok((log, recovery))
    }

    fn roll(&mut self, first: u64) -> Result<(), LogError> {
        if let Some(f) = self.active.take() {
            let path = self.dir.clone();
            f.sync_data().map_err(io_err("fsync", &path))?;
        }
        let path = self.dir.join(segment_file_name(first));
        let mut f = OpenOptions::new()
            .create(true)
            .truncate(true)
            .write(true)
            .open(&path)
            .map_err(io_err("create", &path))?;
        f.write_all(SEGMENT_MAGIC).map_err(io_err("write", &path))?;
        f.sync_data().map_err(io_err("fsync", &path))?;
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(io_err("fsync dir", &self.dir))?;
        self.segs.list.push(SegmentMeta {
            first_index: first,
            entries: 0,
            bytes: 8,
        });
        self.active = Some(f);
        Ok(())
    }

    /// Appends one entry; returns its index. Fsyncs per the policy.
    pub fn append(&mut self, payload: &[u8]) -> Result<u64, LogError> {
        let len = u32::try_from(payload.len())
            .ok()
            .filter(|&l| l <= self.opts.max_entry_bytes)
            .ok_or(LogError::EntryTooLarge {
                len: payload.len(),
                max: self.opts.max_entry_bytes,
            })?;
        self.segs
            .check_fits(payload.len(), self.opts.max_total_bytes)?;
        if self.segs.must_roll(payload.len(), self.opts.segment_bytes) {
            let next = self.segs.next_index();
            self.roll(next)?;
        }
        let index = self.segs.next_index();
        let mut buf = Vec::with_capacity(payload.len() + 8);
        buf.extend_from_slice(&len.to_le_bytes());
        buf.extend_from_slice(&crc32c::crc32c(payload).to_le_bytes());
        buf.extend_from_slice(payload);
        let path = self.active_path();
        let f = match self.active.as_mut() {
            Some(f) => f,
            None => return Err(io_err("write", &path)(io::ErrorKind::NotFound.into())),
        };
        f.write_all(&buf).map_err(io_err("write", &path))?;
        if let Some(last) = self.segs.list.last_mut() {
            last.entries += 1;
            last.bytes += buf.len() as u64;
        }
        self.unsynced += 1;
        match self.opts.fsync {
            FsyncPolicy::Always => self.sync()?,
            FsyncPolicy::EveryN(n) if self.unsynced >= n.max(1) => self.sync()?,
            _ => {}
        }
        Ok(index)
    }

    fn active_path(&self) -> PathBuf {
        self.dir.join(segment_file_name(
            self.segs.list.last().map_or(0, |s| s.first_index),
        ))
    }

    /// Fsyncs the active segment if anything is unsynced.
    pub fn sync(&mut self) -> Result<(), LogError> {
        if self.unsynced == 0 {
            return Ok(());
        }
        let path = self.active_path();
        if let Some(f) = self.active.as_mut() {
            f.sync_data().map_err(io_err("fsync", &path))?;
        }
        self.unsynced = 0;
        Ok(())
    }

    /// Deletes whole segments whose entries are all below `index` (never the active one).
    /// Returns the number of segments deleted.
    pub fn trim_before(&mut self, index: u64) -> Result<usize, LogError> {
        let n = self.segs.trimmable(index);
        for seg in self.segs.list.drain(..n) {
            let path = self.dir.join(segment_file_name(seg.first_index));
            fs::remove_file(&path).map_err(io_err("remove", &path))?;
        }
        Ok(n)
    }

    /// Index the next append gets.
    pub fn next_index(&self) -> u64 {
        self.segs.next_index()
    }

    /// Oldest index still on disk.
    pub fn first_index(&self) -> u64 {
        self.segs.first_index()
    }

    /// Bytes on disk.
    pub fn total_bytes(&self) -> u64 {
        self.segs.total_bytes()
    }

    /// The segment bookkeeping.
    pub fn segments(&self) -> &Segments {
        &self.segs
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The options.
    pub fn options(&self) -> &LogOptions {
        &self.opts
    }

    /// A reader from `index` (clamped to the oldest entry on disk).
    pub fn reader(&self, index: u64) -> Reader {
        Reader::new(
            &self.dir,
            index.max(self.first_index()),
            self.opts.max_entry_bytes,
        )
    }
}

/// A sequential reader over a log directory; independent of the [`Log`] (a deleted segment stays
/// readable while open). Stops at the end of written data; call [`Reader::next_entry`] again later
/// to see newer entries.
#[derive(Debug)]
pub struct Reader {
    dir: PathBuf,
    next: u64,
    max_entry: u32,
    cur: Option<(u64, BufReader<File>, u64)>,
}

impl Reader {
    /// A reader positioned at `index`.
    pub fn new(dir: &Path, index: u64, max_entry: u32) -> Self {
        Self {
            dir: dir.to_path_buf(),
            next: index,
            max_entry,
            cur: None,
        }
    }

    /// Index of the next entry this reader returns.
    pub fn position(&self) -> u64 {
        self.next
    }

    fn open_for(&mut self, index: u64) -> Result<bool, LogError> {
        let firsts = list_segments(&self.dir)?;
        let Some(&first) = firsts.iter().rev().find(|&&f| f <= index) else {
            return Ok(false);
        };
        let path = self.dir.join(segment_file_name(first));
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(io_err("open", &path)(e)),
        };
        let mut r = BufReader::new(file);
        r.seek(SeekFrom::Start(8)).map_err(io_err("seek", &path))?;
        let mut at = first;
        let mut pos = 8u64;
        while at < index {
            match read_entry(&mut r, self.max_entry).map_err(io_err("read", &path))? {
                ReadEntry::Entry(p) => {
                    at += 1;
                    pos += p.len() as u64 + ENTRY_OVERHEAD;
                }
                ReadEntry::End | ReadEntry::Bad(_) => return Ok(false),
            }
        }
        self.cur = Some((first, r, pos));
        Ok(true)
    }

    /// The next entry, or `None` when nothing more is written yet.
    pub fn next_entry(&mut self) -> Result<Option<(u64, Vec<u8>)>, LogError> {
        for _ in 0..2 {
            if self.cur.is_none() && !self.open_for(self.next)? {
                return Ok(None);
            }
            let Some((first, r, pos)) = self.cur.as_mut() else {
                return Ok(None);
            };
            let path = self.dir.join(segment_file_name(*first));
            let start = *pos;
            match read_entry(r, self.max_entry).map_err(io_err("read", &path))? {
                ReadEntry::Entry(p) => {
                    *pos += p.len() as u64 + ENTRY_OVERHEAD;
                    let idx = self.next;
                    self.next += 1;
                    return Ok(Some((idx, p)));
                }
                ReadEntry::End | ReadEntry::Bad(_) => {
                    // Partially written or end of this segment: rewind; move on if a newer
                    // segment starts exactly here.
                    r.seek(SeekFrom::Start(start))
                        .map_err(io_err("seek", &path))?;
                    if self.dir.join(segment_file_name(self.next)).is_file() {
                        self.cur = None;
                        continue;
                    }
                    return Ok(None);
                }
            }
        }
        Ok(None)
    }
}

/// Reads every entry of a log directory without opening it for writing (for tools like `relay tail`).
pub fn read_all(dir: &Path, max_entry: u32) -> Result<Vec<(u64, Vec<u8>)>, LogError> {
    let firsts = list_segments(dir)?;
    let mut r = Reader::new(dir, firsts.first().copied().unwrap_or(0), max_entry);
    let mut out = Vec::new();
    while let Some(e) = r.next_entry()? {
        out.push(e);
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn opts(seg: u64) -> LogOptions {
        LogOptions {
            segment_bytes: seg,
            max_total_bytes: None,
            max_entry_bytes: 1 << 20,
            fsync: FsyncPolicy::Manual,
        }
    }

    #[test]
    fn append_reopen_read_and_trim() {
        let dir = tempfile::tempdir().unwrap();
        let (mut log, rec) = Log::open(dir.path(), opts(100)).unwrap();
        assert_eq!(rec, Recovery::default());
        for i in 0..20u64 {
            assert_eq!(log.append(format!("entry-{i}").as_bytes()).unwrap(), i);
        }
        log.sync().unwrap();
        assert!(log.segments().list.len() > 2);
        drop(log);
        let (mut log, rec) = Log::open(dir.path(), opts(100)).unwrap();
        assert_eq!(rec.entries, 20);
        assert_eq!(log.next_index(), 20);
        let all = read_all(dir.path(), 1 << 20).unwrap();
        assert_eq!(all.len(), 20);
        assert_eq!(all[7], (7, b"entry-7".to_vec()));
        let deleted = log.trim_before(10).unwrap();
        assert!(deleted > 0);
        assert!(log.first_index() <= 10);
        let mut r = log.reader(12);
        assert_eq!(r.next_entry().unwrap().unwrap(), (12, b"entry-12".to_vec()));
        // trimming everything keeps the active segment, so indices continue after reopen
        log.trim_before(u64::MAX).unwrap();
        drop(log);
        let (mut log, _) = Log::open(dir.path(), opts(100)).unwrap();
        assert_eq!(log.append(b"x").unwrap(), 20);
    }

    #[test]
    fn torn_tail_is_cut_and_reported() {
        let dir = tempfile::tempdir().unwrap();
        let (mut log, _) = Log::open(dir.path(), opts(1 << 20)).unwrap();
        for i in 0..5u64 {
            log.append(&i.to_le_bytes()).unwrap();
        }
        log.sync().unwrap();
        drop(log);
        let path = dir.path().join(segment_file_name(0));
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        // A header promising 100 bytes, then only 3: the torn last write.
        f.write_all(&100u32.to_le_bytes()).unwrap();
        f.write_all(&0u32.to_le_bytes()).unwrap();
        f.write_all(b"abc").unwrap();
        drop(f);
        let (mut log, rec) = Log::open(dir.path(), opts(1 << 20)).unwrap();
        let torn = rec.torn.unwrap();
        assert_eq!(torn.discarded_bytes, 11);
        assert_eq!(rec.entries, 5);
        assert_eq!(log.append(b"next").unwrap(), 5);
        let all = read_all(dir.path(), 1 << 20).unwrap();
        assert_eq!(all.len(), 6);
    }

    #[test]
    fn crc_mismatch_in_last_entry_is_torn() {
        let dir = tempfile::tempdir().unwrap();
        let (mut log, _) = Log::open(dir.path(), opts(1 << 20)).unwrap();
        log.append(b"good").unwrap();
        log.append(b"flipped").unwrap();
        drop(log);
        let path = dir.path().join(segment_file_name(0));
        let mut bytes = fs::read(&path).unwrap();
        let n = bytes.len();
        bytes[n - 1] ^= 0x40;
        fs::write(&path, bytes).unwrap();
        let (_, rec) = Log::open(dir.path(), opts(1 << 20)).unwrap();
        assert_eq!(rec.entries, 1);
        assert_eq!(rec.torn.unwrap().reason, "CRC32C mismatch");
    }

    #[test]
    fn corruption_in_older_segment_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let (mut log, _) = Log::open(dir.path(), opts(40)).unwrap();
        for i in 0..6u64 {
            log.append(&i.to_le_bytes()).unwrap();
        }
        drop(log);
        let path = dir.path().join(segment_file_name(0));
        let mut bytes = fs::read(&path).unwrap();
        let n = bytes.len();
        bytes[n - 1] ^= 1;
        fs::write(&path, bytes).unwrap();
        assert!(matches!(
            Log::open(dir.path(), opts(40)),
            Err(LogError::Corrupt { .. })
        ));
    }

    #[test]
    fn size_cap_refuses_appends() {
        let dir = tempfile::tempdir().unwrap();
        let mut o = opts(1 << 20);
        o.max_total_bytes = Some(8 + 3 * (8 + 10));
        let (mut log, _) = Log::open(dir.path(), o).unwrap();
        for _ in 0..3 {
            log.append(&[0u8; 10]).unwrap();
        }
        assert!(matches!(log.append(&[0u8; 10]), Err(LogError::Full { .. })));
    }

    proptest::proptest! {
        #[test]
        fn trimmable_never_drops_active_or_untrimmed(
            sizes in proptest::collection::vec(1u64..20, 1..10),
            cut in 0u64..200,
        ) {
            let mut segs = Segments::default();
            let mut first = 0;
            for s in sizes {
                segs.list.push(SegmentMeta { first_index: first, entries: s, bytes: 8 });
                first += s;
            }
            let n = segs.trimmable(cut);
            proptest::prop_assert!(n < segs.list.len());
            for s in &segs.list[..n] {
                proptest::prop_assert!(s.end_index() <= cut);
            }
            if n + 1 < segs.list.len() {
                proptest::prop_assert!(segs.list[n].end_index() > cut);
            }
        }
    }
}
