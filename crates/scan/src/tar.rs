//! Tar archives, including PyTorch's legacy tar checkpoints (members `sys_info`, `pickle`,
//! `storages`, `tensors`, all of which `torch.load` unpickles).

use crate::core::Core;
use crate::limits::Limits;
use crate::pickle::Mode;
use crate::report::{Sink, Verdict};

enum St {
    Header,
    Pax {
        remaining: u64,
        buf: Vec<u8>,
        global: bool,
    },
    LongName {
        remaining: u64,
        buf: Vec<u8>,
    },
    Member {
        remaining: u64,
        pad: u64,
    },
    Pad {
        remaining: u64,
    },
    End,
    /// After a fatal finding: the rest of the stream is not parsed. (A state of its own, not a
    /// padding of `u64::MAX` bytes, so that no chunking of the stream can ever count it down.)
    Skip,
}

pub(crate) struct Tar {
    depth: u8,
    lim: Limits,
    pos: u64,
    buf: Vec<u8>,
    st: St,
    core: Option<(String, Core)>,
    next_name: Option<String>,
    next_size: Option<u64>,
    members: u64,
    names: Vec<String>,
    sink: Sink,
    zero_blocks: u32,
    pending_pad: u64,
}

fn octal(b: &[u8]) -> Option<u64> {
    if b.first().is_some_and(|c| c & 0x80 != 0) {
        // base-256
        let mut v: u64 = 0;
        for (k, c) in b.iter().enumerate() {
            let c = if k == 0 { c & 0x7f } else { *c };
            v = v.checked_mul(256)?.checked_add(u64::from(c))?;
        }
        return Some(v);
    }
    let s: String = b
        .iter()
        .take_while(|c| **c != 0)
        .map(|&c| char::from(c))
        .collect();
    let t = s.trim();
    if t.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(t, 8).ok()
}

fn cstr(b: &[u8]) -> String {
    let end = b.iter().position(|c| *c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

impl Tar {
    pub(crate) fn new(depth: u8, lim: &Limits) -> Self {
        Self {
            depth,
            lim: *lim,
            pos: 0,
            buf: Vec::new(),
            st: St::Header,
            core: None,
            next_name: None,
            next_size: None,
            members: 0,
            names: Vec::new(),
            sink: Sink::new(),
            zero_blocks: 0,
            pending_pad: 0,
        }
    }

    pub(crate) fn feed(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            match &mut self.st {
                St::Skip => {
                    self.pos += data.len() as u64;
                    return;
                }
                St::End => {
                    if let Some(i) = data.iter().position(|c| *c != 0) {
                        let at = self.pos + i as u64;
                        self.sink.add(
                            "container.trailing-bytes",
                            Verdict::Unsafe,
                            at,
                            "data after the end of the tar archive",
                        );
                        self.pos += data.len() as u64;
                        self.st = St::Skip;
                        return;
                    }
                    self.pos += data.len() as u64;
                    return;
                }
                St::Pad { remaining } => {
                    let n = (*remaining).min(data.len() as u64) as usize;
                    *remaining -= n as u64;
                    if *remaining == 0 {
                        self.st = St::Header;
                    }
                    data = &data[n..];
                    self.pos += n as u64;
                }
                St::Header => {
                    let take = (512 - self.buf.len()).min(data.len());
                    self.buf.extend_from_slice(&data[..take]);
                    data = &data[take..];
                    self.pos += take as u64;
                    if self.buf.len() == 512 {
                        let h = std::mem::take(&mut self.buf);
                        self.header(&h);
                    }
                }
                St::Pax { remaining, buf, .. } | St::LongName { remaining, buf } => {
                    let n = (*remaining).min(data.len() as u64) as usize;
                    buf.extend_from_slice(&data[..n]);
                    *remaining -= n as u64;
                    data = &data[n..];
                    self.pos += n as u64;
                    if *remaining == 0 {
                        self.meta_done();
                    }
                }
                St::Member { remaining, pad } => {
                    let n = (*remaining).min(data.len() as u64) as usize;
                    *remaining -= n as u64;
                    let done = *remaining == 0;
                    let pad = *pad;
                    if let Some((_, c)) = self.core.as_mut() {
                        c.feed(&data[..n]);
                    }
                    data = &data[n..];
                    self.pos += n as u64;
                    if done {
                        self.end_member();
                        self.st = if pad > 0 {
                            St::Pad { remaining: pad }
                        } else {
                            St::Header
                        };
                    }
                }
            }
        }
    }

    fn header(&mut self, h: &[u8]) {
        let at = self.pos - 512;
        if h.iter().all(|c| *c == 0) {
            self.zero_blocks += 1;
            if self.zero_blocks >= 2 {
                self.st = St::End;
            }
            return;
        }
        self.zero_blocks = 0;
        let sum: u64 = h
            .iter()
            .enumerate()
            .map(|(k, c)| {
                if (148..156).contains(&k) {
                    32
                } else {
                    u64::from(*c)
                }
            })
            .sum();
        if octal(&h[148..156]) != Some(sum) {
            self.sink.add(
                "tar.corrupt",
                Verdict::Unsafe,
                at,
                "tar header checksum mismatch",
            );
            self.st = St::Skip;
            return;
        }
        let Some(mut size) = octal(&h[124..136]) else {
            self.sink
                .add("tar.corrupt", Verdict::Unsafe, at, "bad tar size field");
            self.st = St::Skip;
            return;
        };
        if let Some(s) = self.next_size.take() {
            size = s;
        }
        let typ = h[156];
        let mut name = cstr(&h[0..100]);
        if &h[257..262] == b"ustar" {
            let prefix = cstr(&h[345..500]);
            if !prefix.is_empty() {
                name = format!("{prefix}/{name}");
            }
        }
        if let Some(n) = self.next_name.take() {
            name = n;
        }
        let pad = (512 - size % 512) % 512;
        match typ {
            b'x' | b'g' => {
                if size > 1 << 20 {
                    self.sink
                        .add("tar.corrupt", Verdict::Unsafe, at, "oversized pax header");
                    self.st = St::Skip;
                    return;
                }
                self.st = St::Pax {
                    remaining: size,
                    buf: Vec::new(),
                    global: typ == b'g',
                };
                self.buf = Vec::new();
                self.pending_pad = pad;
                if size == 0 {
                    self.meta_done();
                }
                return;
            }
            b'L' => {
                if size > 1 << 16 {
                    self.sink
                        .add("tar.corrupt", Verdict::Unsafe, at, "oversized long name");
                    self.st = St::Skip;
                    return;
                }
                self.st = St::LongName {
                    remaining: size,
                    buf: Vec::new(),
                };
                self.pending_pad = pad;
                if size == 0 {
                    self.meta_done();
                }
                return;
            }
            _ => {}
        }
        self.members += 1;
        if self.members > self.lim.max_members {
            self.sink
                .add("archive.limit", Verdict::Unsafe, at, "too many tar members");
            self.st = St::Skip;
            return;
        }
        if let Some(why) = crate::zip::unsafe_member_name(&name) {
            self.sink.add(
                "archive.path",
                Verdict::Unsafe,
                at,
                format!("{why}: {name:?}"),
            );
        }
        match typ {
            b'0' | 0 | b'7' => {
                let base = name.rsplit('/').next().unwrap_or(&name).to_owned();
                let core = if self.depth + 1 >= self.lim.max_depth {
                    self.sink.add(
                        "scan.limit",
                        Verdict::Unsafe,
                        at,
                        "archive nested beyond the depth limit",
                    );
                    None
                } else {
                    let d = self.depth + 1;
                    Some(match base.as_str() {
                        "pickle" | "sys_info" => Core::forced_pickle(d, &self.lim, Mode::Single),
                        "storages" => Core::forced_pickle(d, &self.lim, Mode::TarStorages),
                        "tensors" => Core::forced_pickle(d, &self.lim, Mode::TarTensors),
                        _ => Core::new(d, &self.lim, false),
                    })
                };
                self.names.push(name.clone());
                self.core = core.map(|c| (name, c));
                self.st = St::Member {
                    remaining: size,
                    pad,
                };
                if size == 0 {
                    self.end_member();
                    self.st = if pad > 0 {
                        St::Pad { remaining: pad }
                    } else {
                        St::Header
                    };
                }
            }
            b'5' => {
                self.st = if size + pad > 0 {
                    St::Pad {
                        remaining: size + pad,
                    }
                } else {
                    St::Header
                };
            }
            b'1' | b'2' => {
                let link = cstr(&h[157..257]);
                self.sink.add(
                    "archive.symlink",
                    Verdict::Unsafe,
                    at,
                    format!("member {name:?} is a link to {link:?}"),
                );
                self.st = if size + pad > 0 {
                    St::Pad {
                        remaining: size + pad,
                    }
                } else {
                    St::Header
                };
            }
            t => {
                self.sink.add(
                    "archive.special-file",
                    Verdict::Unsafe,
                    at,
                    format!("member {name:?} has special type {:?}", char::from(t)),
                );
                self.st = if size + pad > 0 {
                    St::Pad {
                        remaining: size + pad,
                    }
                } else {
                    St::Header
                };
            }
        }
    }

    fn meta_done(&mut self) {
        let pad = std::mem::take(&mut self.pending_pad);
        match std::mem::replace(&mut self.st, St::Header) {
            St::Pax { buf, global, .. } if !global => {
                for rec in String::from_utf8_lossy(&buf).split('\n') {
                    let Some((_, kv)) = rec.split_once(' ') else {
                        continue;
                    };
                    if let Some(p) = kv.strip_prefix("path=") {
                        self.next_name = Some(p.to_owned());
                    } else if let Some(s) = kv.strip_prefix("size=") {
                        self.next_size = s.parse().ok();
                    }
                }
            }
            St::LongName { buf, .. } => self.next_name = Some(cstr(&buf)),
            _ => {}
        }
        self.st = if pad > 0 {
            St::Pad { remaining: pad }
        } else {
            St::Header
        };
    }

    fn end_member(&mut self) {
        if let Some((name, c)) = self.core.take() {
            let (s, _) = c.finish();
            self.sink.merge(&name, s);
        }
    }

    pub(crate) fn finish(mut self) -> (&'static str, Sink) {
        match self.st {
            St::End | St::Header | St::Skip => {}
            _ => {
                let at = self.pos;
                self.end_member();
                self.sink.add(
                    "tar.truncated",
                    Verdict::Unsafe,
                    at,
                    "tar archive ends inside a member",
                );
            }
        }
        let torch = ["pickle", "storages", "tensors"]
            .iter()
            .all(|n| self.names.iter().any(|m| m == n));
        (if torch { "torch-legacy-tar" } else { "tar" }, self.sink)
    }
}
