//! safetensors: the reference reader's rules (header size, UTF-8 JSON, known dtypes, sizes
//! that match shapes, offsets that tile the buffer exactly) plus stricter ones that close
//! parser differentials: duplicate keys, unknown fields, control characters in names.

use crate::limits::Limits;
use crate::report::{Sink, Verdict};
use serde::Deserialize;
use serde::de::{self, MapAccess, Visitor};
use std::collections::{HashMap, HashSet};
use std::fmt;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Info {
    dtype: String,
    shape: Vec<u64>,
    data_offsets: (u64, u64),
}

/// A tensor entry that may carry unknown fields (reported separately).
#[derive(Deserialize)]
struct LooseInfo {
    dtype: String,
    shape: Vec<u64>,
    data_offsets: (u64, u64),
}

/// A tensor entry: strictly parsed, or the strict error plus a lenient parse.
type Entry = Result<Info, (String, Option<LooseInfo>)>;

struct Header {
    tensors: Vec<(String, Entry)>,
    metadata: Option<HashMap<String, String>>,
    duplicates: Vec<String>,
}

struct HeaderVisitor;

impl<'de> Visitor<'de> for HeaderVisitor {
    type Value = Header;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a safetensors header object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Header, A::Error> {
        let mut seen = HashSet::new();
        let mut h = Header {
            tensors: Vec::new(),
            metadata: None,
            duplicates: Vec::new(),
        };
        while let Some(k) = map.next_key::<String>()? {
            if !seen.insert(k.clone()) {
                h.duplicates.push(k.clone());
            }
            if k == "__metadata__" {
                if h.metadata.is_some() {
                    return Err(de::Error::custom("duplicate __metadata__"));
                }
                h.metadata = Some(map.next_value::<HashMap<String, String>>()?);
            } else {
                let v = map.next_value::<serde_json::Value>()?;
                let strict = serde_json::from_value::<Info>(v.clone())
                    .map_err(|e| (e.to_string(), serde_json::from_value::<LooseInfo>(v).ok()));
                h.tensors.push((k, strict));
            }
        }
        Ok(h)
    }
}

impl<'de> Deserialize<'de> for Header {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(HeaderVisitor)
    }
}

/// Bits per element; `None` for unknown dtypes.
fn dtype_bits(d: &str) -> Option<u64> {
    Some(match d {
        "BOOL" | "U8" | "I8" | "F8_E5M2" | "F8_E4M3" | "F8_E8M0" | "F8_E4M3FNUZ"
        | "F8_E5M2FNUZ" => 8,
        "F4" => 4,
        "F6_E2M3" | "F6_E3M2" => 6,
        "I16" | "U16" | "F16" | "BF16" => 16,
        "I32" | "U32" | "F32" => 32,
        "C64" | "F64" | "I64" | "U64" => 64,
        _ => return None,
    })
}

enum St {
    Len,
    Header { n: usize },
    Data,
    Done,
}

pub(crate) struct Safetensors {
    lim: Limits,
    buf: Vec<u8>,
    st: St,
    data_len: u64,
    expected: Option<u64>,
    sink: Sink,
}

impl Safetensors {
    pub(crate) fn new(lim: &Limits) -> Self {
        Self {
            lim: *lim,
            buf: Vec::new(),
            st: St::Len,
            data_len: 0,
            expected: None,
            sink: Sink::new(),
        }
    }

    pub(crate) fn feed(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            match self.st {
                St::Len => {
                    let take = (8 - self.buf.len()).min(data.len());
                    self.buf.extend_from_slice(&data[..take]);
                    data = &data[take..];
                    if self.buf.len() == 8 {
                        let mut b = [0u8; 8];
                        b.copy_from_slice(&self.buf);
                        let n = u64::from_le_bytes(b);
                        self.buf.clear();
                        if n > self.lim.max_header {
                            self.sink.add(
                                "safetensors.header",
                                Verdict::Unsafe,
                                0,
                                format!("header length {n} exceeds {}", self.lim.max_header),
                            );
                            self.st = St::Done;
                            return;
                        }
                        self.st = St::Header { n: n as usize };
                    }
                }
                St::Header { n } => {
                    let take = (n - self.buf.len()).min(data.len());
                    self.buf.extend_from_slice(&data[..take]);
                    data = &data[take..];
                    if self.buf.len() == n {
                        let h = std::mem::take(&mut self.buf);
                        self.expected = self.validate(&h);
                        self.st = if self.expected.is_some() {
                            St::Data
                        } else {
                            St::Done
                        };
                    }
                }
                St::Data => {
                    self.data_len += data.len() as u64;
                    return;
                }
                St::Done => return,
            }
        }
    }

    /// Returns the data length the header declares when the header is valid.
    fn validate(&mut self, h: &[u8]) -> Option<u64> {
        let bad = |s: &mut Sink, why: String| {
            s.add("safetensors.header", Verdict::Unsafe, 8, why);
            None
        };
        let Ok(text) = std::str::from_utf8(h) else {
            return bad(&mut self.sink, "header is not UTF-8".into());
        };
        let trimmed = text.trim_start_matches([' ', '\t', '\n', '\r']);
        if !trimmed.starts_with('{') {
            return bad(&mut self.sink, "header does not start with '{'".into());
        }
        if trimmed.len() != text.len() {
            self.sink.add(
                "safetensors.strict",
                Verdict::Unknown,
                8,
                "header starts with whitespace (accepted by the reference reader, not by the specification)",
            );
        }
        let header: Header = match serde_json::from_str(text.trim_end_matches(' ')) {
            Ok(h) => h,
            Err(e) => return bad(&mut self.sink, format!("header JSON: {e}")),
        };
        for d in &header.duplicates {
            self.sink.add(
                "safetensors.duplicate-key",
                Verdict::Unsafe,
                8,
                format!("tensor {d:?} is declared twice (readers disagree on which entry wins)"),
            );
        }
        if let Some(meta) = &header.metadata {
            for (k, v) in meta {
                if v.contains("{%") || v.contains("{{") {
                    crate::formats::jinja::check(
                        v,
                        &format!("__metadata__.{k}"),
                        8,
                        &mut self.sink,
                    );
                }
            }
        }
        let mut spans: Vec<(u64, u64, String)> = Vec::new();
        for (name, info) in &header.tensors {
            if name.chars().any(|c| c.is_control()) {
                self.sink.add(
                    "safetensors.name",
                    Verdict::Unsafe,
                    8,
                    format!("tensor name {name:?} contains control characters"),
                );
            }
            let info = match info {
                Ok(i) => (i.dtype.as_str(), &i.shape, i.data_offsets),
                Err((e, Some(l))) => {
                    self.sink.add(
                        "safetensors.strict",
                        Verdict::Unknown,
                        8,
                        format!("tensor {name:?}: {e}"),
                    );
                    (l.dtype.as_str(), &l.shape, l.data_offsets)
                }
                Err((e, None)) => return bad(&mut self.sink, format!("tensor {name:?}: {e}")),
            };
            let (dtype, shape, (b, e)) = info;
            let Some(bits) = dtype_bits(dtype) else {
                return bad(
                    &mut self.sink,
                    format!("tensor {name:?} has unknown dtype {dtype:?}"),
                );
            };
            let mut n: u64 = 1;
            for d in shape {
                let Some(m) = n.checked_mul(*d) else {
                    return bad(&mut self.sink, format!("tensor {name:?}: shape overflows"));
                };
                n = m;
            }
            let Some(total_bits) = n.checked_mul(bits) else {
                return bad(&mut self.sink, format!("tensor {name:?}: size overflows"));
            };
            if total_bits % 8 != 0 {
                return bad(
                    &mut self.sink,
                    format!("tensor {name:?}: sub-byte tensor does not end on a byte"),
                );
            }
            if e < b || e - b != total_bits / 8 {
                return bad(
                    &mut self.sink,
                    format!("tensor {name:?}: offsets [{b}, {e}) do not match its dtype and shape"),
                );
            }
            spans.push((b, e, name.clone()));
        }
        spans.sort();
        let mut end = 0u64;
        for (b, e, name) in &spans {
            if *b != end {
                let why = if *b < end {
                    "overlaps the previous tensor"
                } else {
                    "leaves a hole before it"
                };
                return bad(&mut self.sink, format!("tensor {name:?} {why}"));
            }
            end = *e;
        }
        Some(end)
    }

    pub(crate) fn finish(mut self) -> Sink {
        match self.st {
            St::Len | St::Header { .. } => {
                self.sink.add(
                    "safetensors.truncated",
                    Verdict::Unsafe,
                    0,
                    "file ends inside the header",
                );
            }
            St::Data => {
                if let Some(exp) = self.expected
                    && exp != self.data_len
                {
                    let why = if self.data_len > exp {
                        format!(
                            "{} bytes after the last tensor (hidden data)",
                            self.data_len - exp
                        )
                    } else {
                        format!("data section is {} bytes short", exp - self.data_len)
                    };
                    self.sink
                        .add("safetensors.coverage", Verdict::Unsafe, 0, why);
                }
            }
            St::Done => {}
        }
        self.sink
    }
}
