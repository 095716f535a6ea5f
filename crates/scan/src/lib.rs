//! # agora-scan
//!
//! A fail-closed scanner for AI model artifacts. Content is identified by magic bytes, never
//! by file name; pickles are judged by an emulator of the pickle machine against an allowlist
//! of (global, allowed use); containers are walked the way their real loaders read them and
//! rejected when two readers could disagree; non-pickle formats get strict validators.
//!
//! Three verdicts: [`Verdict::Safe`] (fully parsed, only allowlisted content),
//! [`Verdict::Unknown`] (needs review) and [`Verdict::Unsafe`] (known gadget, parser anomaly,
//! differential trick, or a limit was hit). Nothing is ever reported as "skipped".
//!
//! Streaming: feed any chunking of the bytes to [`Scanner::update`] (e.g. in the same pass
//! that computes a SHA-256), then call [`Scanner::finish`]. Memory does not depend on tensor
//! payload size; the only buffers are bounded by [`Limits`]: a zip central directory, a
//! safetensors/GGUF header, a Keras `config.json`, xz input, and a 64 KiB tail used to detect
//! zip end records behind non-zip content.
//!
//! ## Use from the hub
//!
//! ```text
//! let mut scanner = Scanner::new();          // one per uploaded file
//! for chunk in body { hasher.update(&chunk); scanner.update(&chunk); }
//! let report = scanner.finish();              // Report: verdict, format, findings, imports
//! store(report.verdict, report.ruleset_version, serde_json::to_string(&report));
//! ```
//!
//! `report.verdict` maps to the Hub's `securityFileStatus.status` (`safe`/`unknown`→`caution`/
//! `unsafe`); `report.imports` is the `pickleImportScan.imports` list (`module`, `name`,
//! `safety` ∈ innocuous/suspicious/dangerous). Store [`RULESET_VERSION`] with every verdict and
//! rescan when it changes. [`cli::run`] is `agora scan`.
//!
//! ```
//! let mut s = agora_scan::Scanner::new();
//! s.update(b"\x80\x02cos\nsystem\n)R.");
//! let report = s.finish();
//! assert_eq!(report.verdict, agora_scan::Verdict::Unsafe);
//! ```
#![forbid(unsafe_code)]

pub mod cli;
mod compress;
mod core;
mod error;
mod formats;
mod globals;
mod limits;
mod npy;
mod pickle;
mod report;
mod tar;
mod zip;

pub use error::Error;
pub use limits::Limits;
pub use report::{Finding, Import, RULESET_VERSION, Report, Safety, Verdict};

/// Streaming scanner for one file. `Send`, so it can live across `.await` points.
#[derive(Debug)]
pub struct Scanner {
    core: core::Core,
}

impl Default for Scanner {
    fn default() -> Self {
        Self::new()
    }
}

impl Scanner {
    /// A scanner with default [`Limits`].
    pub fn new() -> Self {
        Self::with_limits(Limits::default())
    }

    /// A scanner with custom limits.
    pub fn with_limits(limits: Limits) -> Self {
        Self {
            core: core::Core::new(0, &limits, true),
        }
    }

    /// Feed the next chunk of the file (any size, including empty).
    pub fn update(&mut self, chunk: &[u8]) {
        self.core.feed(chunk);
    }

    /// Bytes fed so far.
    pub fn bytes_seen(&self) -> u64 {
        self.core.total()
    }

    /// End of file: the report.
    pub fn finish(self) -> Report {
        let size = self.core.total();
        let (sink, format) = self.core.finish();
        sink.into_report(format, size)
    }
}

const _: fn() = || {
    fn send<T: Send>() {}
    send::<Scanner>();
    send::<Report>();
};

/// Scan a whole file held in memory.
pub fn scan_bytes(data: &[u8]) -> Report {
    let mut s = Scanner::new();
    s.update(data);
    s.finish()
}

/// Scan anything readable, in 1 MiB chunks.
pub fn scan_reader<R: std::io::Read>(mut r: R) -> Result<Report, Error> {
    let mut s = Scanner::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::Io(e)),
        };
        s.update(&buf[..n]);
    }
    Ok(s.finish())
}

/// The report for a symbolic link, which is never followed.
pub(crate) fn symlink_report() -> Report {
    let mut sink = report::Sink::new();
    sink.add(
        "file.symlink",
        Verdict::Unknown,
        0,
        "symbolic link: not followed (repositories must not contain links)",
    );
    sink.into_report("symlink", 0)
}

/// Scan a file on disk.
pub fn scan_path(path: &std::path::Path) -> Result<Report, Error> {
    let f = std::fs::File::open(path).map_err(Error::Io)?;
    if f.metadata().map_err(Error::Io)?.is_dir() {
        return Err(Error::NotAFile(path.display().to_string()));
    }
    scan_reader(f)
}
