//! NumPy `.npy`: a header, then raw array bytes — or, for object arrays, a pickle that
//! `np.load(allow_pickle=True)` unpickles.

use crate::core::Core;
use crate::limits::Limits;
use crate::pickle::Mode;
use crate::report::{Sink, Verdict};

enum St {
    Header,
    Pickle(Box<Core>),
    Data,
    Done,
}

pub(crate) struct Npy {
    depth: u8,
    lim: Limits,
    head: Vec<u8>,
    st: St,
    sink: Sink,
    data_at: u64,
}

/// Max header accepted (numpy itself caps headers at 10 000 bytes unless told otherwise).
const MAX_HEADER: usize = 1 << 20;

impl Npy {
    pub(crate) fn new(depth: u8, lim: &Limits) -> Self {
        Self {
            depth,
            lim: *lim,
            head: Vec::new(),
            st: St::Header,
            sink: Sink::new(),
            data_at: 0,
        }
    }

    pub(crate) fn feed(&mut self, data: &[u8]) {
        match &mut self.st {
            St::Header => {
                self.head.extend_from_slice(data);
                if self.head.len() < 10 {
                    return;
                }
                let major = self.head[6];
                let (hlen, pre) = match major {
                    1 => (
                        usize::from(u16::from_le_bytes([self.head[8], self.head[9]])),
                        10,
                    ),
                    2 | 3 => {
                        if self.head.len() < 12 {
                            return;
                        }
                        let n = u32::from_le_bytes([
                            self.head[8],
                            self.head[9],
                            self.head[10],
                            self.head[11],
                        ]);
                        (n as usize, 12)
                    }
                    v => {
                        self.sink.add(
                            "numpy.header",
                            Verdict::Unknown,
                            6,
                            format!("unknown .npy version {v}"),
                        );
                        self.st = St::Done;
                        return;
                    }
                };
                if hlen > MAX_HEADER {
                    self.sink
                        .add("numpy.header", Verdict::Unsafe, 8, "oversized .npy header");
                    self.st = St::Done;
                    return;
                }
                if self.head.len() < pre + hlen {
                    return;
                }
                let header = String::from_utf8_lossy(&self.head[pre..pre + hlen]).into_owned();
                let rest = self.head.split_off(pre + hlen);
                self.data_at = (pre + hlen) as u64;
                match object_dtype(&header) {
                    Some(true) => {
                        if self.depth + 1 >= self.lim.max_depth {
                            self.sink.add(
                                "scan.limit",
                                Verdict::Unsafe,
                                0,
                                "object array beyond the nesting limit",
                            );
                            self.st = St::Done;
                            return;
                        }
                        self.st = St::Pickle(Box::new(Core::forced_pickle(
                            self.depth + 1,
                            &self.lim,
                            Mode::Single,
                        )));
                    }
                    Some(false) => self.st = St::Data,
                    None => {
                        self.sink.add(
                            "numpy.header",
                            Verdict::Unknown,
                            pre as u64,
                            "unparseable .npy header",
                        );
                        self.st = St::Done;
                    }
                }
                self.head = Vec::new();
                self.feed(&rest);
            }
            St::Pickle(core) => core.feed(data),
            St::Data | St::Done => {}
        }
    }

    pub(crate) fn finish(mut self) -> Sink {
        match std::mem::replace(&mut self.st, St::Done) {
            St::Header => {
                self.sink
                    .add("numpy.header", Verdict::Unsafe, 0, "truncated .npy header")
            }
            St::Pickle(core) => {
                let (s, _) = core.finish();
                let at = self.data_at;
                self.sink.merge(&format!("object-array@{at}"), s);
            }
            St::Data | St::Done => {}
        }
        self.sink
    }
}

/// Whether the header's `descr` holds Python objects. `None` when it cannot be parsed.
fn object_dtype(header: &str) -> Option<bool> {
    let h = header.trim();
    if !h.starts_with('{') {
        return None;
    }
    let i = h.find("'descr'").or_else(|| h.find("\"descr\""))?;
    let after = h[i + 7..].trim_start().strip_prefix(':')?.trim_start();
    // Value: a quoted dtype string or a list (structured dtype).
    if let Some(q) = after.chars().next().filter(|c| *c == '\'' || *c == '"') {
        let body = &after[1..];
        let end = body.find(q)?;
        let code = &body[..end];
        return Some(code.contains('O'));
    }
    if after.starts_with('[') {
        // Structured: any field whose type string contains 'O'.
        let mut depth = 0i32;
        let mut end = 0;
        for (k, c) in after.char_indices() {
            match c {
                '[' | '(' => depth += 1,
                ']' | ')' => {
                    depth -= 1;
                    if depth == 0 {
                        end = k;
                        break;
                    }
                }
                _ => {}
            }
        }
        let list = &after[..=end];
        let quoted: Vec<&str> = list.split(['\'', '"']).skip(1).step_by(2).collect();
        return Some(
            quoted
                .iter()
                .any(|s| s.starts_with(['|', '<', '>', '=']) && s.contains('O') || *s == "O"),
        );
    }
    None
}
