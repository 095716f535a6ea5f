//! Content identification and dispatch to the format handlers.

use crate::compress::{Codec, Decompressor};
use crate::formats::{gguf::Gguf, hdf5::Hdf5, onnx::Onnx, safetensors::Safetensors, text::Text};
use crate::limits::Limits;
use crate::npy::Npy;
use crate::pickle::{Mode, Outcome, PickleStream};
use crate::report::{Sink, Verdict};
use crate::tar::Tar;
use crate::zip::Zip;

/// Bytes looked at to identify a format (tar's `ustar` sits at offset 257).
const SNIFF: usize = 512;
/// Bytes kept from the end of the stream to look for a zip end record (22 + max comment).
const TAIL: usize = 22 + 65535;

/// What the content is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Empty,
    Pickle,
    Zip,
    Tar,
    Npy,
    Compressed(Codec),
    Safetensors,
    Gguf,
    Onnx,
    Hdf5,
    Unsupported(&'static str),
    /// No magic: a protocol 0/1 pickle, text, or opaque data.
    Other,
}

/// Identify by magic bytes only.
pub(crate) fn identify(h: &[u8]) -> Kind {
    if h.is_empty() {
        return Kind::Empty;
    }
    if h.starts_with(b"PK\x03\x04") || h.starts_with(b"PK\x05\x06") {
        return Kind::Zip;
    }
    if h.len() >= 2 && h[0] == 0x80 && h[1] <= 5 {
        return Kind::Pickle;
    }
    if h.starts_with(b"\x93NUMPY") {
        return Kind::Npy;
    }
    if h.starts_with(b"\x1f\x8b") {
        return Kind::Compressed(Codec::Gzip);
    }
    if h.len() >= 4 && h.starts_with(b"BZh") && (b'1'..=b'9').contains(&h[3]) {
        return Kind::Compressed(Codec::Bzip2);
    }
    if h.starts_with(b"\xfd7zXZ\x00") {
        return Kind::Compressed(Codec::Xz);
    }
    if h.len() >= 13 && h[0] == 0x5d && h[1] == 0 && h[2] == 0 {
        return Kind::Compressed(Codec::Lzma);
    }
    if h.len() >= 2 && h[0] == 0x78 && (u16::from(h[0]) << 8 | u16::from(h[1])) % 31 == 0 {
        return Kind::Compressed(Codec::Zlib);
    }
    if h.starts_with(b"\x04\x22\x4d\x18") {
        return Kind::Unsupported("lz4");
    }
    if h.starts_with(b"\x28\xb5\x2f\xfd") {
        return Kind::Unsupported("zstd");
    }
    if h.starts_with(b"7z\xbc\xaf\x27\x1c") {
        return Kind::Unsupported("7z");
    }
    if h.starts_with(b"Rar!\x1a\x07") {
        return Kind::Unsupported("rar");
    }
    if h.starts_with(b"GGUF") {
        return Kind::Gguf;
    }
    if h.starts_with(b"GGML")
        || h.starts_with(b"GGJT")
        || h.starts_with(b"GGLA")
        || h.starts_with(b"GGMF")
    {
        return Kind::Unsupported("legacy ggml");
    }
    if h.starts_with(b"\x89HDF\r\n\x1a\n") {
        return Kind::Hdf5;
    }
    if h.len() >= 262 && &h[257..262] == b"ustar" {
        return Kind::Tar;
    }
    if h.len() >= 9 {
        let n = u64::from_le_bytes([h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]]);
        let rest = &h[8..];
        let first = rest
            .iter()
            .position(|c| !matches!(c, b' ' | b'\t' | b'\n' | b'\r'));
        // No reader accepts a header over 100 MB (the reference parser's limit): bytes that
        // claim one are not safetensors, whatever follows.
        if (2..=100_000_000).contains(&n) && first.is_some_and(|i| i < 64 && rest[i] == b'{') {
            return Kind::Safetensors;
        }
    }
    if crate::formats::onnx::looks_like_onnx(h) {
        return Kind::Onnx;
    }
    Kind::Other
}

#[allow(clippy::large_enum_variant)]
enum Handler {
    Empty,
    Pickle(Box<PickleStream>),
    Other {
        pickle: Box<PickleStream>,
        text: Text,
    },
    Zip(Box<Zip>),
    Tar(Box<Tar>),
    Npy(Box<Npy>),
    Compressed(Box<Decompressor>),
    Safetensors(Box<Safetensors>),
    Gguf(Box<Gguf>),
    Onnx(Box<Onnx>),
    Hdf5(Box<Hdf5>),
    Unsupported(&'static str),
}

/// A scan of one stream (a file, an archive member, a decompressed layer, a nested payload).
pub(crate) struct Core {
    depth: u8,
    lim: Limits,
    track_tail: bool,
    forced: Option<Mode>,
    total: u64,
    head: Vec<u8>,
    tail: Vec<u8>,
    handler: Option<Handler>,
    kind: Kind,
}

/// A nested scan with its own findings, merged into the parent by path.
pub(crate) type Child = Core;

impl std::fmt::Debug for Core {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Core")
            .field("depth", &self.depth)
            .field("total", &self.total)
            .finish()
    }
}

impl Core {
    /// `track_tail`: look for a zip end record at the end of non-zip content (polyglots).
    pub(crate) fn new(depth: u8, lim: &Limits, track_tail: bool) -> Self {
        Self {
            depth,
            lim: *lim,
            track_tail,
            forced: None,
            total: 0,
            head: Vec::new(),
            tail: Vec::new(),
            handler: None,
            kind: Kind::Other,
        }
    }

    /// A stream that its loader always reads as exactly one pickle (e.g. `data.pkl`).
    pub(crate) fn forced_pickle(depth: u8, lim: &Limits, mode: Mode) -> Self {
        let mut c = Self::new(depth, lim, false);
        c.forced = Some(mode);
        c
    }

    pub(crate) fn feed(&mut self, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        self.total += data.len() as u64;
        if self.track_tail {
            if data.len() >= TAIL {
                self.tail.clear();
                self.tail.extend_from_slice(&data[data.len() - TAIL..]);
            } else {
                self.tail.extend_from_slice(data);
                if self.tail.len() > 2 * TAIL {
                    let cut = self.tail.len() - TAIL;
                    self.tail.drain(..cut);
                }
            }
        }
        if self.handler.is_none() {
            let want = SNIFF - self.head.len();
            if data.len() < want {
                self.head.extend_from_slice(data);
                return;
            }
            self.head.extend_from_slice(&data[..want]);
            self.start();
            let head = std::mem::take(&mut self.head);
            self.dispatch(&head);
            self.dispatch(&data[want..]);
            return;
        }
        self.dispatch(data);
    }

    fn start(&mut self) {
        let kind = match self.forced {
            Some(_) => Kind::Pickle,
            None => identify(&self.head),
        };
        self.kind = kind;
        let (d, lim) = (self.depth, self.lim);
        self.handler = Some(match kind {
            Kind::Empty => Handler::Empty,
            Kind::Pickle => Handler::Pickle(Box::new(PickleStream::new(
                self.forced.unwrap_or(Mode::Raw),
                d,
                &lim,
            ))),
            Kind::Other => Handler::Other {
                pickle: Box::new(PickleStream::new(Mode::Speculative, d, &lim)),
                text: Text::new(),
            },
            Kind::Zip => Handler::Zip(Box::new(Zip::new(d, &lim))),
            Kind::Tar => Handler::Tar(Box::new(Tar::new(d, &lim))),
            Kind::Npy => Handler::Npy(Box::new(Npy::new(d, &lim))),
            Kind::Compressed(c) => Handler::Compressed(Box::new(Decompressor::new(c, d, &lim))),
            Kind::Safetensors => Handler::Safetensors(Box::new(Safetensors::new(&lim))),
            Kind::Gguf => Handler::Gguf(Box::new(Gguf::new(&lim))),
            Kind::Onnx => Handler::Onnx(Box::new(Onnx::new())),
            Kind::Hdf5 => Handler::Hdf5(Box::new(Hdf5::new())),
            Kind::Unsupported(n) => Handler::Unsupported(n),
        });
    }

    fn dispatch(&mut self, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        match self.handler.as_mut() {
            Some(Handler::Pickle(p)) => p.feed(data),
            Some(Handler::Other { pickle, text }) => {
                pickle.feed(data);
                text.feed(data);
            }
            Some(Handler::Zip(z)) => z.feed(data),
            Some(Handler::Tar(t)) => t.feed(data),
            Some(Handler::Npy(n)) => n.feed(data),
            Some(Handler::Compressed(c)) => c.feed(data),
            Some(Handler::Safetensors(s)) => s.feed(data),
            Some(Handler::Gguf(g)) => g.feed(data),
            Some(Handler::Onnx(o)) => o.feed(data),
            Some(Handler::Hdf5(h)) => h.feed(data),
            Some(Handler::Empty) | Some(Handler::Unsupported(_)) | None => {}
        }
    }

    /// Bytes fed so far.
    pub(crate) fn total(&self) -> u64 {
        self.total
    }

    /// End of stream: findings and the identified format name.
    pub(crate) fn finish(mut self) -> (Sink, &'static str) {
        if self.handler.is_none() {
            self.start();
            let head = std::mem::take(&mut self.head);
            self.dispatch(&head);
        }
        let mut sink = Sink::new();
        let format;
        match self.handler.take() {
            Some(Handler::Empty) | None => format = "empty",
            Some(Handler::Pickle(p)) => {
                let legacy = p.is_torch_legacy();
                let (_, s) = p.finish();
                sink.merge("", s);
                format = if legacy { "torch-legacy" } else { "pickle" };
            }
            Some(Handler::Other { pickle, text }) => {
                let (outcome, s) = pickle.finish();
                match outcome {
                    Outcome::Pickle => {
                        sink.merge("", s);
                        format = "pickle";
                    }
                    Outcome::NotPickle => {
                        let (f, s) = text.finish();
                        sink.merge("", s);
                        format = f;
                    }
                }
            }
            Some(Handler::Zip(z)) => {
                let (f, s) = z.finish();
                sink.merge("", s);
                format = f;
            }
            Some(Handler::Tar(t)) => {
                let (f, s) = t.finish();
                sink.merge("", s);
                format = f;
            }
            Some(Handler::Npy(n)) => {
                sink.merge("", n.finish());
                format = "numpy";
            }
            Some(Handler::Compressed(c)) => {
                let (f, s) = c.finish();
                sink.merge("", s);
                format = f;
            }
            Some(Handler::Safetensors(s)) => {
                sink.merge("", s.finish());
                format = "safetensors";
            }
            Some(Handler::Gguf(g)) => {
                sink.merge("", g.finish());
                format = "gguf";
            }
            Some(Handler::Onnx(o)) => {
                sink.merge("", o.finish());
                format = "onnx";
            }
            Some(Handler::Hdf5(h)) => {
                sink.merge("", h.finish());
                format = "hdf5";
            }
            Some(Handler::Unsupported(n)) => {
                sink.add(
                    "format.unsupported",
                    Verdict::Unknown,
                    0,
                    format!("{n} content cannot be inspected by this scanner"),
                );
                format = n;
            }
        }
        if self.track_tail
            && self.kind != Kind::Zip
            && let Some(at) = zip_end_at_tail(&self.tail)
        {
            let off = self.total - (self.tail.len() - at) as u64;
            sink.add(
                    "container.polyglot",
                    Verdict::Unsafe,
                    off,
                    "file ends with a zip end-of-central-directory record but does not start with a zip \
                     header (data before the first header, or a pickle/zip polyglot)",
                );
        }
        (sink, format)
    }
}

/// Position of a zip end-of-central-directory record whose comment runs exactly to the end.
/// (A record followed by more bytes is not flagged: benign pickles embed whole `torch.save`
/// archives in bytes literals, and such inner archives are scanned as nested content.)
fn zip_end_at_tail(tail: &[u8]) -> Option<usize> {
    if tail.len() < 22 {
        return None;
    }
    let mut i = tail.len() - 22;
    loop {
        if &tail[i..i + 4] == b"PK\x05\x06" {
            let clen = usize::from(u16::from_le_bytes([tail[i + 20], tail[i + 21]]));
            if i + 22 + clen == tail.len() {
                return Some(i);
            }
        }
        if i == 0 {
            return None;
        }
        i -= 1;
    }
}
