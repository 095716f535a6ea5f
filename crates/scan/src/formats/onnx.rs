//! ONNX: a streaming protobuf walk of `ModelProto` that descends only into the messages that
//! can name files or operator domains, and skips tensor payloads without buffering them.
//! Flags external-data locations that escape the model's directory and custom operator
//! domains (whose kernels come from libraries the runtime is told to load).

use crate::report::{Sink, Verdict};
use std::collections::HashSet;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Msg {
    Model,
    Graph,
    Node,
    Attr,
    Tensor,
    Sparse,
    Entry,
    OpSet,
    Function,
    Training,
}

/// Child message type of a length-delimited field, if it is one we descend into.
fn child(m: Msg, field: u64) -> Option<Msg> {
    use Msg::*;
    Some(match (m, field) {
        (Model, 7) => Graph,
        (Model, 8) => OpSet,
        (Model, 25) => Function,
        (Model, 20) => Training,
        (Training, 1 | 2) => Graph,
        (Graph, 1) => Node,
        (Graph, 5) => Tensor,
        (Graph, 15) => Sparse,
        (Node, 5) => Attr,
        (Attr, 5 | 10) => Tensor,
        (Attr, 6 | 11) => Graph,
        (Attr, 22 | 23) => Sparse,
        (Sparse, 1 | 2) => Tensor,
        (Tensor, 13) => Entry,
        (Function, 7) => Node,
        (Function, 9) => OpSet,
        _ => return None,
    })
}

/// String fields kept: node/opset/function domains, external-data key/value.
fn keep(m: Msg, field: u64) -> bool {
    matches!(
        (m, field),
        (Msg::Node, 7) | (Msg::OpSet, 1) | (Msg::Function, 10) | (Msg::Entry, 1 | 2)
    )
}

struct Frame {
    msg: Msg,
    end: u64,
    strings: Vec<(u64, Vec<u8>)>,
    at: u64,
}

enum St {
    Tag,
    Len { field: u64 },
    Varint,
    Skip { n: u64 },
    Keep { field: u64, n: u64, buf: Vec<u8> },
    Failed,
}

pub(crate) struct Onnx {
    pos: u64,
    st: St,
    var: Vec<u8>,
    stack: Vec<Frame>,
    domains: Vec<(u64, String)>,
    local_domains: HashSet<String>,
    sink: Sink,
}

/// Heuristic identification: field 1 (ir_version) varint, then another ModelProto field.
pub(crate) fn looks_like_onnx(h: &[u8]) -> bool {
    h.len() >= 4
        && h[0] == 0x08
        && (1..=20).contains(&h[1])
        && matches!(h[2], 0x12 | 0x1a | 0x22 | 0x28 | 0x32 | 0x3a | 0x42 | 0x72)
}

const STANDARD: &[&str] = &[
    "",
    "ai.onnx",
    "ai.onnx.ml",
    "ai.onnx.training",
    "ai.onnx.preview.training",
    "com.microsoft",
    "com.microsoft.nchwc",
    "com.microsoft.experimental",
    "ai.onnx.contrib",
];

impl Onnx {
    pub(crate) fn new() -> Self {
        Self {
            pos: 0,
            st: St::Tag,
            var: Vec::new(),
            stack: vec![Frame {
                msg: Msg::Model,
                end: u64::MAX,
                strings: Vec::new(),
                at: 0,
            }],
            domains: Vec::new(),
            local_domains: HashSet::new(),
            sink: Sink::new(),
        }
    }

    fn fail(&mut self, why: impl Into<String>) {
        let at = self.pos;
        self.sink.add("onnx.malformed", Verdict::Unsafe, at, why);
        self.st = St::Failed;
    }

    fn pop_frames(&mut self) {
        while self.stack.len() > 1 && self.stack.last().is_some_and(|f| f.end == self.pos) {
            if let Some(f) = self.stack.pop() {
                self.close(f);
            }
        }
    }

    fn close(&mut self, f: Frame) {
        let s = |k: u64| {
            f.strings
                .iter()
                .find(|(x, _)| *x == k)
                .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
        };
        match f.msg {
            Msg::Entry => {
                if s(1).as_deref() == Some("location")
                    && let Some(loc) = s(2)
                    && let Some(why) = escapes(&loc)
                {
                    self.sink.add(
                        "onnx.external-data-escape",
                        Verdict::Unsafe,
                        f.at,
                        format!("external data location {loc:?} {why}"),
                    );
                }
            }
            Msg::Node | Msg::OpSet => {
                let k = if f.msg == Msg::Node { 7 } else { 1 };
                if let Some(d) = s(k) {
                    self.domains.push((f.at, d));
                }
            }
            Msg::Function => {
                if let Some(d) = s(10) {
                    self.local_domains.insert(d);
                }
            }
            _ => {}
        }
    }

    pub(crate) fn feed(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            match &mut self.st {
                St::Failed => return,
                St::Tag | St::Len { .. } | St::Varint => {
                    let b = data[0];
                    data = &data[1..];
                    self.pos += 1;
                    self.var.push(b);
                    if self.var.len() > 10 {
                        self.fail("varint longer than 10 bytes");
                        continue;
                    }
                    if b & 0x80 != 0 {
                        continue;
                    }
                    let mut v: u64 = 0;
                    for (k, x) in self.var.iter().enumerate() {
                        v |= u64::from(x & 0x7f) << (7 * k as u32).min(63);
                    }
                    self.var.clear();
                    match std::mem::replace(&mut self.st, St::Tag) {
                        St::Tag => {
                            let (field, wt) = (v >> 3, v & 7);
                            match wt {
                                0 => self.st = St::Varint,
                                1 => self.st = St::Skip { n: 8 },
                                5 => self.st = St::Skip { n: 4 },
                                2 => self.st = St::Len { field },
                                _ => {
                                    self.fail(format!("unsupported wire type {wt}"));
                                    continue;
                                }
                            }
                        }
                        St::Len { field } => {
                            let parent = self.stack.last().map(|f| (f.msg, f.end));
                            let Some((msg, pend)) = parent else { return };
                            let end = self.pos.checked_add(v);
                            if end.is_none_or(|e| e > pend) {
                                self.fail("field runs past its enclosing message");
                                continue;
                            }
                            let end = end.unwrap_or(0);
                            if let Some(cm) = child(msg, field) {
                                if self.stack.len() > 64 {
                                    self.fail("messages nested too deeply");
                                    continue;
                                }
                                self.stack.push(Frame {
                                    msg: cm,
                                    end,
                                    strings: Vec::new(),
                                    at: self.pos,
                                });
                                self.st = St::Tag;
                            } else if keep(msg, field) {
                                self.st = St::Keep {
                                    field,
                                    n: v,
                                    buf: Vec::new(),
                                };
                            } else {
                                self.st = St::Skip { n: v };
                            }
                        }
                        _ => self.st = St::Tag,
                    }
                    if matches!(self.st, St::Tag) {
                        self.pop_frames();
                    }
                    if let St::Skip { n: 0 } | St::Keep { n: 0, .. } = self.st {
                        self.end_field();
                    }
                }
                St::Skip { n } => {
                    let k = (*n).min(data.len() as u64);
                    *n -= k;
                    data = &data[k as usize..];
                    self.pos += k;
                    if *n == 0 {
                        self.end_field();
                    }
                }
                St::Keep { n, buf, .. } => {
                    let k = (*n).min(data.len() as u64) as usize;
                    if buf.len() < 4096 {
                        buf.extend_from_slice(&data[..k.min(4096 - buf.len())]);
                    }
                    *n -= k as u64;
                    data = &data[k..];
                    self.pos += k as u64;
                    if *n == 0 {
                        self.end_field();
                    }
                }
            }
        }
    }

    fn end_field(&mut self) {
        if let St::Keep { field, buf, .. } = std::mem::replace(&mut self.st, St::Tag)
            && let Some(f) = self.stack.last_mut()
        {
            f.strings.push((field, buf));
        }
        self.st = St::Tag;
        self.pop_frames();
    }

    pub(crate) fn finish(mut self) -> Sink {
        if !matches!(self.st, St::Tag | St::Failed) || self.stack.len() > 1 || !self.var.is_empty()
        {
            let at = self.pos;
            self.sink.add(
                "onnx.truncated",
                Verdict::Unsafe,
                at,
                "model ends inside a message",
            );
        }
        let mut seen = HashSet::new();
        for (at, d) in std::mem::take(&mut self.domains) {
            if !STANDARD.contains(&d.as_str())
                && !self.local_domains.contains(&d)
                && seen.insert(d.clone())
            {
                self.sink.add(
                    "onnx.custom-domain",
                    Verdict::Unknown,
                    at,
                    format!("operator domain {d:?} is not standard: its kernels come from a custom library"),
                );
            }
        }
        self.sink
    }
}

/// Why an external-data location would escape the model directory.
fn escapes(loc: &str) -> Option<&'static str> {
    if loc.is_empty() {
        return Some("is empty");
    }
    if loc.contains('\0') {
        return Some("contains NUL");
    }
    if loc.starts_with('/') || loc.starts_with('\\') || loc.starts_with('~') {
        return Some("is absolute");
    }
    if loc.len() >= 2 && loc.as_bytes()[1] == b':' {
        return Some("has a drive letter");
    }
    if loc.split(['/', '\\']).any(|c| c == "..") {
        return Some("climbs out of the model directory");
    }
    if loc.contains("://") {
        return Some("is a URL");
    }
    None
}
