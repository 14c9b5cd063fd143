//! Opening inputs: files (memory-mapped), stdin, gzip and zstd detected by
//! their magic bytes and decoded with a cap on the decompressed size.

use crate::model::Bytes;
use serde::Serialize;
use std::io::Read;

/// How inputs are loaded.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Refuse to decompress beyond this many bytes.
    pub max_decompressed: u64,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            max_decompressed: 1 << 30,
        }
    }
}

/// The compression an input arrived in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    /// Not compressed.
    None,
    /// gzip, possibly several members.
    Gzip,
    /// Zstandard.
    Zstd,
}

impl Compression {
    /// The compression's name as reports print it (`none`, `gzip`, `zstd`).
    pub fn as_str(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        }
    }

    /// Detects the compression from the first bytes.
    pub fn sniff(head: &[u8]) -> Compression {
        if head.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else {
            Compression::None
        }
    }
}

/// One loaded input.
#[derive(Debug)]
pub struct Loaded {
    /// The path as given, or `<stdin>`.
    pub name: String,
    /// Bytes read, before decompression.
    pub size: u64,
    /// The compression detected from the first bytes.
    pub compression: Compression,
    /// The decompressed bytes.
    pub data: Bytes,
    /// Problems that did not stop the load (a truncated compressed stream).
    pub warnings: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
/// Why an input could not be loaded.
pub enum InputError {
    #[error("cannot read '{name}': {source}")]
    /// The file or stdin could not be read.
    Io {
        /// The input's name.
        name: String,
        /// The error the operating system reported.
        #[source]
        source: std::io::Error,
    },
    #[error("'{name}': decompressed size exceeds the limit of {} (raise it with --max-decompressed)", human(*.limit))]
    /// The decompressed data would exceed [`LoadOptions::max_decompressed`].
    TooLarge {
        /// The input's name.
        name: String,
        /// The limit, in bytes.
        limit: u64,
    },
    #[error("'{name}': {what}")]
    /// The compressed stream could not be decoded at all.
    Corrupt {
        /// The input's name.
        name: String,
        /// What the decoder reported.
        what: String,
    },
}

fn human(n: u64) -> String {
    const UNITS: [(u64, &str); 4] = [
        (1 << 40, "TiB"),
        (1 << 30, "GiB"),
        (1 << 20, "MiB"),
        (1 << 10, "KiB"),
    ];
    for (u, s) in UNITS {
        if n >= u && n % u == 0 {
            return format!("{} {s}", n / u);
        }
    }
    format!("{n} bytes")
}

/// Loads a path (`-` for stdin). The input's name is the path, a name
/// that is not UTF-8 written with replacement characters.
pub fn load(path: impl AsRef<std::path::Path>, opts: &LoadOptions) -> Result<Loaded, InputError> {
    let (path, name) = (path.as_ref(), path.as_ref().to_string_lossy());
    let io = |source| InputError::Io {
        name: name.to_string(),
        source,
    };
    if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::stdin().lock().read_to_end(&mut buf).map_err(io)?;
        return load_bytes("<stdin>", buf, opts);
    }
    let mut file = std::fs::File::open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if meta.is_dir() {
        return Err(io(std::io::Error::other("is a directory")));
    }
    let mut head = [0u8; 4];
    let head_len = read_head(&mut file, &mut head).map_err(io)?;
    if Compression::sniff(&head[..head_len]) == Compression::None
        && meta.is_file()
        && meta.len() > 0
    {
        // SAFETY: the map is read-only; a file truncated by another process
        // while we read it is outside what we can defend against, as for
        // every tool that maps files.
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(io)?;
        return Ok(Loaded {
            name: name.to_string(),
            size: map.len() as u64,
            compression: Compression::None,
            data: Bytes::mapped(map),
            warnings: Vec::new(),
        });
    }
    let mut data = head[..head_len].to_vec();
    file.read_to_end(&mut data).map_err(io)?;
    if let Some(loaded) = load_core_to_file(&name, &data, opts)? {
        return Ok(loaded);
    }
    load_bytes(&name, data, opts)
}

/// How many times `--max-decompressed` a compressed ELF core may take once
/// decompressed into its temporary file (on disk, not in memory).
pub const CORE_FILE_FACTOR: u64 = 16;

/// A compressed ELF core is decompressed into a temporary file, which is
/// mapped and at once removed: the core costs disk, not memory, and reads
/// only the pages the analysis touches, as an uncompressed core does. Its
/// cap is [`CORE_FILE_FACTOR`] times `--max-decompressed`. `None` when
/// `raw` is not a compressed core, or no temporary file can be made or
/// written (then it is decompressed into memory as any input).
fn load_core_to_file(
    name: &str,
    raw: &[u8],
    opts: &LoadOptions,
) -> Result<Option<Loaded>, InputError> {
    let compression = Compression::sniff(raw);
    let mut head = [0u8; 64];
    let filled = match compression {
        Compression::None => return Ok(None),
        Compression::Gzip => fill(&mut flate2::read::MultiGzDecoder::new(raw), &mut head),
        Compression::Zstd => {
            let mut src: &[u8] = raw;
            match ruzstd::decoding::StreamingDecoder::new(&mut src) {
                Ok(mut decoder) => fill(&mut decoder, &mut head),
                Err(_) => 0,
            }
        }
    };
    if !super::elfcore::is_core(&head[..filled]) {
        return Ok(None);
    }
    let Some((path, file)) = temp_file() else {
        return Ok(None);
    };
    let io = |source| InputError::Io {
        name: name.to_string(),
        source,
    };
    let mut out = FileOut {
        w: std::io::BufWriter::with_capacity(1 << 20, file),
        n: 0,
        failed: false,
    };
    let cap = opts.max_decompressed.saturating_mul(CORE_FILE_FACTOR);
    let result = match compression {
        Compression::Gzip => decode_gzip_into(raw, &mut out, cap),
        _ => decode_zstd_into(raw, &mut out, cap),
    };
    let flushed = out.w.into_inner().map_err(|e| e.into_error());
    // The map keeps the data; the name goes at once.
    let removed = std::fs::remove_file(&path);
    let file = match flushed {
        Ok(file) if !out.failed => file,
        // The temporary directory is full or not writable: in memory.
        _ => return Ok(None),
    };
    removed.map_err(io)?;
    let mut warnings = Vec::new();
    match result {
        Ok(true) => {}
        Ok(false) => {
            return Err(InputError::TooLarge {
                name: name.to_string(),
                limit: cap,
            })
        }
        Err(e) if out.n == 0 => return Err(corrupt(name, compression.as_str(), e)),
        Err(e) => warnings.push(truncated(compression.as_str(), out.n as usize, e)),
    }
    // SAFETY: a read-only map of the file just written, whose name is
    // already gone: nothing else can change it.
    let map = unsafe { memmap2::Mmap::map(&file) }.map_err(io)?;
    Ok(Some(Loaded {
        name: name.to_string(),
        size: raw.len() as u64,
        compression,
        data: Bytes::mapped(map),
        warnings,
    }))
}

/// Reads into `buf` until it is full or the reader ends or fails.
fn fill(r: &mut dyn Read, buf: &mut [u8]) -> usize {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) | Err(_) => break,
            Ok(k) => filled += k,
        }
    }
    filled
}

/// A new file of this process in the temporary directory.
fn temp_file() -> Option<(std::path::PathBuf, std::fs::File)> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir();
    for _ in 0..16 {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path = dir.join(format!(
            ".dumpscope-core-{}-{n}-{nanos}",
            std::process::id()
        ));
        if let Ok(file) = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
        {
            return Some((path, file));
        }
    }
    None
}

/// Where decompressed bytes go: memory or a file.
trait Out {
    /// Bytes written so far.
    fn written(&self) -> u64;
    /// Appends bytes.
    fn put(&mut self, bytes: &[u8]) -> std::io::Result<()>;
}

impl Out for Vec<u8> {
    fn written(&self) -> u64 {
        self.len() as u64
    }
    fn put(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.extend_from_slice(bytes);
        Ok(())
    }
}

struct FileOut {
    w: std::io::BufWriter<std::fs::File>,
    n: u64,
    /// A write failed (the decoder's errors are the stream's).
    failed: bool,
}

impl Out for FileOut {
    fn written(&self) -> u64 {
        self.n
    }
    fn put(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        use std::io::Write;
        if let Err(e) = self.w.write_all(bytes) {
            self.failed = true;
            return Err(e);
        }
        self.n += bytes.len() as u64;
        Ok(())
    }
}

/// gzip (every member) into `out`, up to `cap` bytes: `Ok(false)` past it.
fn decode_gzip_into(raw: &[u8], out: &mut dyn Out, cap: u64) -> std::io::Result<bool> {
    let mut decoder = flate2::read::MultiGzDecoder::new(raw);
    read_capped(&mut decoder, out, cap)
}

/// zstd (every frame) into `out`, up to `cap` bytes: `Ok(false)` past it.
fn decode_zstd_into(raw: &[u8], out: &mut dyn Out, cap: u64) -> std::io::Result<bool> {
    let mut src: &[u8] = raw;
    while Compression::sniff(src) == Compression::Zstd {
        let mut decoder =
            ruzstd::decoding::StreamingDecoder::new(&mut src).map_err(std::io::Error::other)?;
        if !read_capped(&mut decoder, out, cap)? {
            return Ok(false);
        }
    }
    Ok(true)
}

fn read_head(f: &mut std::fs::File, head: &mut [u8; 4]) -> std::io::Result<usize> {
    use std::io::{Seek, SeekFrom};
    let mut filled = 0;
    while filled < head.len() {
        match f.read(&mut head[filled..])? {
            0 => break,
            k => filled += k,
        }
    }
    if f.seek(SeekFrom::Start(filled as u64)).is_err() {
        // Not seekable (a pipe): the bytes read so far are kept by the caller.
    }
    Ok(filled)
}

/// Loads bytes already in memory (stdin, tests).
pub fn load_bytes(name: &str, raw: Vec<u8>, opts: &LoadOptions) -> Result<Loaded, InputError> {
    let size = raw.len() as u64;
    let compression = Compression::sniff(&raw);
    let mut warnings = Vec::new();
    let data = match compression {
        Compression::None => raw,
        Compression::Gzip => decode_gzip(name, &raw, opts, &mut warnings)?,
        Compression::Zstd => decode_zstd(name, &raw, opts, &mut warnings)?,
    };
    Ok(Loaded {
        name: name.to_string(),
        size,
        compression,
        data: Bytes::owned(data),
        warnings,
    })
}

fn corrupt(name: &str, what: &str, e: impl std::fmt::Display) -> InputError {
    InputError::Corrupt {
        name: name.to_string(),
        what: format!("not a valid {what} stream: {e}"),
    }
}

fn truncated(what: &str, len: usize, e: impl std::fmt::Display) -> String {
    format!(
        "{what} stream ends early after {len} decompressed bytes ({e}); reading what was decoded"
    )
}

/// gzip, every member of a multi-member stream.
fn decode_gzip(
    name: &str,
    raw: &[u8],
    opts: &LoadOptions,
    warnings: &mut Vec<String>,
) -> Result<Vec<u8>, InputError> {
    let mut decoder = flate2::read::MultiGzDecoder::new(raw);
    let mut out = Vec::new();
    match read_capped(&mut decoder, &mut out, opts.max_decompressed) {
        Ok(true) => Ok(out),
        Ok(false) => Err(InputError::TooLarge {
            name: name.to_string(),
            limit: opts.max_decompressed,
        }),
        Err(e) if out.is_empty() => Err(corrupt(name, "gzip", e)),
        Err(e) => {
            warnings.push(truncated("gzip", out.len(), e));
            Ok(out)
        }
    }
}

/// zstd, every frame of a multi-frame stream. The decoder reads exactly one
/// frame from the slice and advances it past that frame.
fn decode_zstd(
    name: &str,
    raw: &[u8],
    opts: &LoadOptions,
    warnings: &mut Vec<String>,
) -> Result<Vec<u8>, InputError> {
    let mut src: &[u8] = raw;
    let mut out = Vec::new();
    while Compression::sniff(src) == Compression::Zstd {
        let mut decoder = match ruzstd::decoding::StreamingDecoder::new(&mut src) {
            Ok(decoder) => decoder,
            Err(e) if out.is_empty() => return Err(corrupt(name, "zstd", e)),
            Err(e) => {
                warnings.push(truncated("zstd", out.len(), e));
                break;
            }
        };
        // Each frame is decoded straight onto the end of `out`: the data
        // is held once.
        match read_capped(&mut decoder, &mut out, opts.max_decompressed) {
            Ok(true) => {}
            Ok(false) => {
                return Err(InputError::TooLarge {
                    name: name.to_string(),
                    limit: opts.max_decompressed,
                })
            }
            Err(e) => {
                if out.is_empty() {
                    return Err(corrupt(name, "zstd", e));
                }
                warnings.push(truncated("zstd", out.len(), e));
                break;
            }
        }
    }
    Ok(out)
}

/// Reads until EOF; `Ok(false)` when the cap was exceeded.
fn read_capped(r: &mut dyn Read, out: &mut dyn Out, cap: u64) -> std::io::Result<bool> {
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let count = match r.read(&mut buf) {
            Ok(0) => return Ok(true),
            Ok(count) => count,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if out.written() + count as u64 > cap {
            return Ok(false);
        }
        out.put(&buf[..count])?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn plain_bytes_pass_through() {
        let loaded = load_bytes("x", b"hello".to_vec(), &LoadOptions::default()).unwrap();
        assert_eq!(&*loaded.data, b"hello");
        assert_eq!(loaded.compression, Compression::None);
    }

    #[test]
    fn gzip_multi_member() {
        let mut raw = gz(b"goroutine 1 [running]:\n");
        raw.extend(gz(b"main.main()\n"));
        let loaded = load_bytes("x.gz", raw, &LoadOptions::default()).unwrap();
        assert_eq!(loaded.compression, Compression::Gzip);
        assert_eq!(&*loaded.data, b"goroutine 1 [running]:\nmain.main()\n");
        assert!(loaded.warnings.is_empty());
    }

    #[test]
    fn gzip_truncated_keeps_prefix() {
        let body: Vec<u8> = (0..200_000u32)
            .flat_map(|i| format!("line {i}\n").into_bytes())
            .collect();
        let raw = gz(&body);
        let cut = raw[..raw.len() / 2].to_vec();
        let loaded = load_bytes("x.gz", cut, &LoadOptions::default()).unwrap();
        assert!(!loaded.data.is_empty() && loaded.data.len() < body.len());
        assert!(body.starts_with(&loaded.data));
        assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
    }

    #[test]
    fn gzip_cap() {
        let raw = gz(&vec![b'a'; 100_000]);
        let err = load_bytes(
            "x.gz",
            raw,
            &LoadOptions {
                max_decompressed: 1000,
            },
        )
        .unwrap_err();
        assert!(
            matches!(err, InputError::TooLarge { limit: 1000, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("--max-decompressed"));
    }

    #[test]
    fn garbage_after_magic_is_corrupt() {
        let err = load_bytes(
            "x",
            vec![0x1f, 0x8b, 1, 2, 3, 4, 5],
            &LoadOptions::default(),
        )
        .unwrap_err();
        assert!(matches!(err, InputError::Corrupt { .. }), "{err}");
        let err = load_bytes(
            "x",
            vec![0x28, 0xb5, 0x2f, 0xfd, 0xff, 0xff],
            &LoadOptions::default(),
        )
        .unwrap_err();
        assert!(matches!(err, InputError::Corrupt { .. }), "{err}");
    }

    #[test]
    fn missing_file_is_io_error() {
        let err = load("/nonexistent/dump.txt", &LoadOptions::default()).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("cannot read '/nonexistent/dump.txt'"),
            "{err}"
        );
    }

    /// A compressed ELF core is decompressed into a temporary file that is
    /// mapped and removed at once; its cap is 16 times `--max-decompressed`.
    #[test]
    fn compressed_core_is_mapped_from_a_removed_temporary_file() {
        let mut core = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x04\0\xb7\0".to_vec();
        core.resize(300_000, 7);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("core.gz");
        std::fs::write(&path, gz(&core)).unwrap();
        let before = leftovers();
        let opts = LoadOptions {
            max_decompressed: 100_000,
        };
        let loaded = load(&path, &opts).unwrap();
        assert_eq!(loaded.compression, Compression::Gzip);
        assert_eq!(&*loaded.data, &core[..]);
        assert_eq!(leftovers(), before, "the temporary file is removed");
        // Over 16 times the cap: refused.
        let small = LoadOptions {
            max_decompressed: 10_000,
        };
        let err = load(&path, &small).unwrap_err();
        assert!(err.to_string().contains("--max-decompressed"), "{err}");
        assert_eq!(leftovers(), before);
        // Not a core: in memory, under the cap itself.
        let text = dir.path().join("text.gz");
        std::fs::write(&text, gz(&vec![b'a'; 200_000])).unwrap();
        assert!(load(&text, &opts).is_err());
    }

    fn leftovers() -> usize {
        let prefix = format!(".dumpscope-core-{}-", std::process::id());
        std::fs::read_dir(std::env::temp_dir())
            .map(|d| {
                d.filter_map(Result::ok)
                    .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
                    .count()
            })
            .unwrap_or(0)
    }
}
