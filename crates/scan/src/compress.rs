//! Compression wrappers around pickles (joblib `compress=`, pandas, hand-made `.pkl.gz`):
//! decoded in a streaming fashion and the result scanned as a nested stream.

use crate::core::Core;
use crate::limits::Limits;
use crate::report::{Sink, Verdict};
use std::io::Write;

/// A compression format identified by its magic bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Codec {
    Gzip,
    Zlib,
    Bzip2,
    Xz,
    Lzma,
}

impl Codec {
    fn name(self) -> &'static str {
        match self {
            Codec::Gzip => "gzip",
            Codec::Zlib => "zlib",
            Codec::Bzip2 => "bzip2",
            Codec::Xz => "xz",
            Codec::Lzma => "lzma",
        }
    }
}

/// Collects decoded bytes between calls; drained into the nested scan after each input slice.
#[derive(Default)]
struct Out {
    buf: Vec<u8>,
}

impl Write for Out {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Feeds decoded bytes straight into the nested scan (used for xz).
struct Direct<'a> {
    d: &'a mut Decompressor,
}

impl Write for Direct<'_> {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.d.push(b);
        if self.d.produced > self.d.lim.max_decompressed {
            return Err(std::io::Error::other("decompression limit"));
        }
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

enum Dec {
    Gz(flate2::write::MultiGzDecoder<Out>),
    Zlib(flate2::write::ZlibDecoder<Out>),
    Bz(bzip2::write::BzDecoder<Out>),
    Lzma(Box<lzma_rs::decompress::Stream<Out>>),
    /// lzma-rs has no push decoder for xz: the compressed bytes are buffered (bounded by
    /// `Limits::max_header`) and decoded at the end.
    Xz(Vec<u8>),
    Off,
}

/// Input slice size: bounds the decoded bytes buffered per step (deflate expands ≤ ~1032×).
const STEP: usize = 4096;

pub(crate) struct Decompressor {
    codec: Codec,
    dec: Dec,
    core: Option<Core>,
    produced: u64,
    lim: Limits,
    sink: Sink,
    error: Option<String>,
}

impl Decompressor {
    pub(crate) fn new(codec: Codec, depth: u8, lim: &Limits) -> Self {
        let mut sink = Sink::new();
        let (dec, core) = if depth + 1 >= lim.max_depth {
            sink.add(
                "scan.limit",
                Verdict::Unsafe,
                0,
                "compressed layer beyond the nesting limit",
            );
            (Dec::Off, None)
        } else {
            let dec = match codec {
                Codec::Gzip => Dec::Gz(flate2::write::MultiGzDecoder::new(Out::default())),
                Codec::Zlib => Dec::Zlib(flate2::write::ZlibDecoder::new(Out::default())),
                Codec::Bzip2 => Dec::Bz(bzip2::write::BzDecoder::new(Out::default())),
                Codec::Lzma => {
                    Dec::Lzma(Box::new(lzma_rs::decompress::Stream::new(Out::default())))
                }
                Codec::Xz => Dec::Xz(Vec::new()),
            };
            (dec, Some(Core::new(depth + 1, lim, true)))
        };
        Self {
            codec,
            dec,
            core,
            produced: 0,
            lim: *lim,
            sink,
            error: None,
        }
    }

    fn out(&mut self) -> Option<&mut Out> {
        match &mut self.dec {
            Dec::Gz(d) => Some(d.get_mut()),
            Dec::Zlib(d) => Some(d.get_mut()),
            Dec::Bz(d) => Some(d.get_mut()),
            Dec::Lzma(d) => d.get_output_mut(),
            Dec::Xz(_) | Dec::Off => None,
        }
    }

    fn drain(&mut self) {
        let Some(out) = self.out() else { return };
        let buf = std::mem::take(&mut out.buf);
        self.push(&buf);
        if let Some(out) = self.out() {
            // Reuse the allocation.
            let mut b = buf;
            b.clear();
            out.buf = b;
        }
    }

    fn push(&mut self, b: &[u8]) {
        if b.is_empty() {
            return;
        }
        self.produced = self.produced.saturating_add(b.len() as u64);
        if self.produced > self.lim.max_decompressed {
            self.sink.add(
                "scan.limit",
                Verdict::Unsafe,
                0,
                format!(
                    "decompressed size exceeds {} bytes",
                    self.lim.max_decompressed
                ),
            );
            self.dec = Dec::Off;
            return;
        }
        if let Some(c) = self.core.as_mut() {
            c.feed(b);
        }
    }

    pub(crate) fn feed(&mut self, data: &[u8]) {
        for piece in data.chunks(STEP) {
            let r = match &mut self.dec {
                Dec::Gz(d) => d.write_all(piece),
                Dec::Zlib(d) => d.write_all(piece),
                Dec::Bz(d) => d.write_all(piece),
                Dec::Lzma(d) => d.write_all(piece),
                Dec::Xz(buf) => {
                    if buf.len() as u64 + piece.len() as u64 > self.lim.max_header {
                        self.sink.add(
                            "scan.limit",
                            Verdict::Unsafe,
                            0,
                            format!(
                                "xz stream larger than {} bytes cannot be inspected",
                                self.lim.max_header
                            ),
                        );
                        self.dec = Dec::Off;
                    } else {
                        buf.extend_from_slice(piece);
                    }
                    Ok(())
                }
                Dec::Off => return,
            };
            self.drain();
            if let Err(e) = r {
                self.error = Some(e.to_string());
                self.dec = Dec::Off;
                return;
            }
        }
    }

    pub(crate) fn finish(mut self) -> (&'static str, Sink) {
        let dec = std::mem::replace(&mut self.dec, Dec::Off);
        let r: Result<(), String> = match dec {
            Dec::Gz(mut d) => {
                let r = d.try_finish().map_err(|e| e.to_string());
                let b = std::mem::take(&mut d.get_mut().buf);
                self.push(&b);
                r
            }
            Dec::Zlib(mut d) => {
                let r = d.try_finish().map_err(|e| e.to_string());
                let b = std::mem::take(&mut d.get_mut().buf);
                self.push(&b);
                r
            }
            Dec::Bz(mut d) => {
                let r = d.try_finish().map_err(|e| e.to_string());
                let b = std::mem::take(&mut d.get_mut().buf);
                self.push(&b);
                r
            }
            Dec::Lzma(d) => match d.finish() {
                Ok(out) => {
                    self.push(&out.buf);
                    Ok(())
                }
                Err(e) => Err(e.to_string()),
            },
            Dec::Xz(buf) => {
                let mut input: &[u8] = &buf;
                let mut w = Direct { d: &mut self };
                // lzma-rs 0.3 computes `(backward_size + 1) << 2` from the stream footer
                // unchecked: a footer of 0xFFFFFFFF panics in builds with overflow checks (found
                // by fuzzing). A panic in the decoder is a corrupt stream, not a crash.
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    lzma_rs::xz_decompress(&mut input, &mut w).map_err(|e| e.to_string())
                }))
                .unwrap_or_else(|_| Err("the xz decoder rejected the stream footer".into()))
            }
            Dec::Off => Ok(()),
        };
        if let Some(e) = self.error.take().or(r.err()) {
            self.sink.add(
                "compress.error",
                Verdict::Unknown,
                0,
                format!("{} stream is corrupt or truncated: {e}", self.codec.name()),
            );
        }
        let name = self.codec.name();
        if let Some(core) = self.core.take() {
            let (s, _) = core.finish();
            self.sink.merge(name, s);
        }
        (name, self.sink)
    }
}
