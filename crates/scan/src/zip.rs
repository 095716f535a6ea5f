//! Zip archives (PyTorch checkpoints, TorchScript, torch.package, `.npz`, `.keras`, plain zips).
//!
//! Streaming: local headers are walked in order and each member's bytes are scanned as they
//! pass. The central directory — which PyTorch (miniz), NumPy and Keras use to find members —
//! is buffered (bounded by `Limits::max_central_directory`) and cross-checked at the end
//! against what was walked: every central entry must point at a walked local header with the
//! same name and sizes, no name may repeat, nothing may sit before the first header, between
//! members, or after the end record. Any disagreement means two readers could see different
//! archives, so it is `unsafe`.

use crate::core::Core;
use crate::limits::Limits;
use crate::pickle::Mode;
use crate::report::{Sink, Verdict};
use std::collections::HashSet;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Scanned by content (nested core).
    Content,
    /// Always loaded as one pickle (`*.pkl`).
    Pickle,
    /// Raw tensor storage of a torch checkpoint: never unpickled, not inspected.
    Storage,
    /// Small JSON kept for analysis (Keras `config.json`).
    Config,
}

struct Local {
    offset: u64,
    name: String,
    method: u16,
    flags: u16,
    csize: u64,
    usize: u64,
}

enum St {
    /// Collecting a 4-byte signature + fixed header.
    Sig,
    /// Collecting the variable part of a local header (name + extra).
    LocalVar { fixed: Vec<u8> },
    /// Member data.
    Data {
        remaining: Option<u64>,
        inflate: Option<Box<flate2::Decompress>>,
        descriptor: bool,
        zip64: bool,
    },
    /// Data descriptor after a deflated member with flag bit 3.
    Descriptor { zip64: bool },
    /// Central directory and end records: buffered.
    Central,
    /// Gave up walking (reported).
    Stopped,
}

struct Member {
    role: Role,
    core: Option<Core>,
    config: Vec<u8>,
    produced: u64,
}

pub(crate) struct Zip {
    depth: u8,
    lim: Limits,
    pos: u64,
    buf: Vec<u8>,
    st: St,
    locals: Vec<Local>,
    member: Option<Member>,
    central: Vec<u8>,
    central_at: u64,
    sink: Sink,
    saw_pkl: bool,
    total_uncompressed: u64,
    outbuf: Vec<u8>,
}

fn u16le(b: &[u8], i: usize) -> u16 {
    u16::from_le_bytes([b[i], b[i + 1]])
}
fn u32le(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}
fn u64le(b: &[u8], i: usize) -> u64 {
    u64::from_le_bytes([
        b[i],
        b[i + 1],
        b[i + 2],
        b[i + 3],
        b[i + 4],
        b[i + 5],
        b[i + 6],
        b[i + 7],
    ])
}

/// zip64 extended information: values present only for fields saturated in the header.
fn zip64_extra(extra: &[u8], want: &[bool]) -> Vec<Option<u64>> {
    let mut out = vec![None; want.len()];
    let mut i = 0;
    while i + 4 <= extra.len() {
        let id = u16le(extra, i);
        let len = usize::from(u16le(extra, i + 2));
        let body = &extra[i + 4..(i + 4 + len).min(extra.len())];
        if id == 1 {
            let mut p = 0;
            for (k, w) in want.iter().enumerate() {
                if *w && p + 8 <= body.len() {
                    out[k] = Some(u64le(body, p));
                    p += 8;
                }
            }
        }
        i += 4 + len;
    }
    out
}

/// Names that would escape an extraction directory, or are otherwise ambiguous.
pub(crate) fn unsafe_member_name(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        return Some("empty member name");
    }
    if name.contains('\0') {
        return Some("NUL byte in member name");
    }
    if name.starts_with('/') || name.starts_with('\\') {
        return Some("absolute member path");
    }
    if name.len() >= 2 && name.as_bytes()[1] == b':' {
        return Some("drive-letter member path");
    }
    if name.split(['/', '\\']).any(|c| c == "..") {
        return Some("member path with '..' (zip-slip)");
    }
    None
}

fn is_storage_name(name: &str) -> bool {
    let mut parts = name.rsplitn(3, '/');
    let last = parts.next().unwrap_or("");
    let dir = parts.next().unwrap_or("");
    dir == "data" && !last.is_empty() && last.bytes().all(|b| b.is_ascii_digit())
}

impl Zip {
    pub(crate) fn new(depth: u8, lim: &Limits) -> Self {
        Self {
            depth,
            lim: *lim,
            pos: 0,
            buf: Vec::new(),
            st: St::Sig,
            locals: Vec::new(),
            member: None,
            central: Vec::new(),
            central_at: 0,
            sink: Sink::new(),
            saw_pkl: false,
            total_uncompressed: 0,
            outbuf: Vec::new(),
        }
    }

    fn stop(&mut self, rule: &'static str, verdict: Verdict, at: u64, why: impl Into<String>) {
        self.sink.add(rule, verdict, at, why);
        self.end_member();
        self.st = St::Stopped;
    }

    pub(crate) fn feed(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            match &mut self.st {
                St::Stopped => {
                    self.pos += data.len() as u64;
                    return;
                }
                St::Central => {
                    if (self.central.len() + data.len()) as u64 > self.lim.max_central_directory {
                        let at = self.pos;
                        self.stop(
                            "scan.limit",
                            Verdict::Unsafe,
                            at,
                            format!(
                                "zip central directory larger than {} bytes",
                                self.lim.max_central_directory
                            ),
                        );
                        continue;
                    }
                    self.central.extend_from_slice(data);
                    self.pos += data.len() as u64;
                    return;
                }
                St::Sig => {
                    let need = 30usize;
                    let take = need.saturating_sub(self.buf.len()).min(data.len());
                    self.buf.extend_from_slice(&data[..take]);
                    data = &data[take..];
                    self.pos += take as u64;
                    if self.buf.len() >= 4 && &self.buf[..4] != b"PK\x03\x04" {
                        // End of local entries: the rest is the central directory (or junk).
                        let start = self.pos - self.buf.len() as u64;
                        self.central_at = start;
                        self.central = std::mem::take(&mut self.buf);
                        self.st = St::Central;
                        continue;
                    }
                    if self.buf.len() < need {
                        continue;
                    }
                    let fixed = std::mem::take(&mut self.buf);
                    self.st = St::LocalVar { fixed };
                }
                St::LocalVar { fixed } => {
                    let var = usize::from(u16le(fixed, 26)) + usize::from(u16le(fixed, 28));
                    let take = (var - self.buf.len()).min(data.len());
                    self.buf.extend_from_slice(&data[..take]);
                    data = &data[take..];
                    self.pos += take as u64;
                    if self.buf.len() < var {
                        continue;
                    }
                    let fixed = std::mem::take(fixed);
                    let var = std::mem::take(&mut self.buf);
                    self.begin_member(&fixed, &var);
                }
                St::Data {
                    remaining,
                    inflate,
                    descriptor,
                    zip64,
                } => {
                    let at = self.pos;
                    let (descriptor, zip64) = (*descriptor, *zip64);
                    let Some(mut dec) = inflate.take() else {
                        let Some(rem) = remaining else {
                            self.stop(
                                "zip.unsupported",
                                Verdict::Unknown,
                                at,
                                "stored member without sizes",
                            );
                            continue;
                        };
                        let n = (*rem).min(data.len() as u64) as usize;
                        *rem -= n as u64;
                        let done = *rem == 0;
                        let chunk = &data[..n];
                        data = &data[n..];
                        self.pos += n as u64;
                        self.member_bytes(chunk);
                        if done {
                            self.end_member();
                            self.st = St::Sig;
                        }
                        continue;
                    };
                    let rem = *remaining;
                    let limit = rem.map_or(data.len(), |r| r.min(data.len() as u64) as usize);
                    let mut input = &data[..limit];
                    let mut out = std::mem::take(&mut self.outbuf);
                    out.resize(64 << 10, 0);
                    let (mut ended, mut err, mut consumed) = (false, None, 0usize);
                    loop {
                        let (bi, bo) = (dec.total_in(), dec.total_out());
                        let r = dec.decompress(input, &mut out, flate2::FlushDecompress::None);
                        let used = (dec.total_in() - bi) as usize;
                        let made = (dec.total_out() - bo) as usize;
                        input = &input[used..];
                        consumed += used;
                        self.member_bytes(&out[..made]);
                        match r {
                            Ok(flate2::Status::StreamEnd) => {
                                ended = true;
                                break;
                            }
                            Ok(_) => {}
                            Err(e) => {
                                err = Some(e.to_string());
                                break;
                            }
                        }
                        if used == 0 && made < out.len() {
                            break;
                        }
                    }
                    self.outbuf = out;
                    data = &data[consumed..];
                    self.pos += consumed as u64;
                    let rem = rem.map(|r| r - consumed as u64);
                    let at = self.pos;
                    if let Some(e) = err {
                        self.stop(
                            "zip.corrupt",
                            Verdict::Unsafe,
                            at,
                            format!("deflate error: {e}"),
                        );
                    } else if ended {
                        if rem.is_some_and(|r| r != 0) {
                            self.stop(
                                "zip.corrupt",
                                Verdict::Unsafe,
                                at,
                                "deflate stream ends before the member's size",
                            );
                            continue;
                        }
                        self.end_member();
                        self.st = if descriptor {
                            St::Descriptor { zip64 }
                        } else {
                            St::Sig
                        };
                    } else if rem == Some(0) {
                        self.stop(
                            "zip.corrupt",
                            Verdict::Unsafe,
                            at,
                            "deflate stream longer than the member's size",
                        );
                    } else {
                        self.st = St::Data {
                            remaining: rem,
                            inflate: Some(dec),
                            descriptor,
                            zip64,
                        };
                    }
                }
                St::Descriptor { zip64 } => {
                    let zip64 = *zip64;
                    // Optional signature, crc, sizes.
                    let body = if zip64 { 20 } else { 12 };
                    let need = if self.buf.len() >= 4 && &self.buf[..4] == b"PK\x07\x08" {
                        body + 4
                    } else {
                        body
                    };
                    let want = if self.buf.len() < 4 { 4 } else { need };
                    let take = (want - self.buf.len()).min(data.len());
                    self.buf.extend_from_slice(&data[..take]);
                    data = &data[take..];
                    self.pos += take as u64;
                    let need = if self.buf.len() >= 4 && &self.buf[..4] == b"PK\x07\x08" {
                        body + 4
                    } else {
                        body
                    };
                    if self.buf.len() >= need {
                        self.buf.clear();
                        self.st = St::Sig;
                    }
                }
            }
        }
    }

    fn begin_member(&mut self, fixed: &[u8], var: &[u8]) {
        let offset = self.pos - (fixed.len() + var.len()) as u64;
        let flags = u16le(fixed, 6);
        let method = u16le(fixed, 8);
        let mut csize = u64::from(u32le(fixed, 18));
        let mut usize_ = u64::from(u32le(fixed, 22));
        let nlen = usize::from(u16le(fixed, 26));
        let name_bytes = &var[..nlen];
        let extra = &var[nlen..];
        let zip64 = csize == 0xFFFF_FFFF || usize_ == 0xFFFF_FFFF;
        if zip64 {
            let z = zip64_extra(extra, &[usize_ == 0xFFFF_FFFF, csize == 0xFFFF_FFFF]);
            if let Some(u) = z[0] {
                usize_ = u;
            }
            if let Some(c) = z[1] {
                csize = c;
            }
        }
        let name = String::from_utf8_lossy(name_bytes).into_owned();
        if self.locals.len() as u64 >= self.lim.max_members {
            let m = self.lim.max_members;
            self.stop(
                "archive.limit",
                Verdict::Unsafe,
                offset,
                format!("more than {m} members"),
            );
            return;
        }
        if let Some(why) = unsafe_member_name(&name) {
            self.sink.add(
                "archive.path",
                Verdict::Unsafe,
                offset,
                format!("{why}: {name:?}"),
            );
        }
        self.total_uncompressed = self.total_uncompressed.saturating_add(usize_);
        if self.total_uncompressed > self.lim.max_decompressed {
            self.stop(
                "archive.limit",
                Verdict::Unsafe,
                offset,
                "archive expands beyond the decompression limit",
            );
            return;
        }
        let descriptor = flags & 0x08 != 0;
        self.locals.push(Local {
            offset,
            name: name.clone(),
            method,
            flags,
            csize,
            usize: usize_,
        });
        if flags & 0x41 != 0 {
            self.sink.add(
                "zip.encrypted",
                Verdict::Unknown,
                offset,
                format!("encrypted member {name:?} cannot be inspected"),
            );
        }
        let base = name.rsplit('/').next().unwrap_or(&name);
        let role = if name.ends_with('/') {
            Role::Storage
        } else if name.ends_with(".pkl") {
            self.saw_pkl = true;
            Role::Pickle
        } else if self.saw_pkl && is_storage_name(&name) {
            Role::Storage
        } else if base == "config.json" {
            Role::Config
        } else {
            Role::Content
        };
        let core = match role {
            Role::Content | Role::Config if self.depth + 1 < self.lim.max_depth => {
                Some(Core::new(self.depth + 1, &self.lim, false))
            }
            Role::Pickle if self.depth + 1 < self.lim.max_depth => {
                Some(Core::forced_pickle(self.depth + 1, &self.lim, Mode::Single))
            }
            Role::Storage => None,
            _ => {
                self.sink.add(
                    "scan.limit",
                    Verdict::Unsafe,
                    offset,
                    "archive nested beyond the depth limit",
                );
                None
            }
        };
        self.member = Some(Member {
            role,
            core,
            config: Vec::new(),
            produced: 0,
        });
        if flags & 0x41 != 0 && !descriptor {
            // Skip encrypted data without scanning.
            if let Some(m) = self.member.as_mut() {
                m.core = None;
                m.role = Role::Storage;
            }
            self.st = St::Data {
                remaining: Some(csize),
                inflate: None,
                descriptor: false,
                zip64,
            };
            if csize == 0 {
                self.end_member();
                self.st = St::Sig;
            }
            return;
        }
        match method {
            0 => {
                if descriptor {
                    self.member = None;
                    self.stop(
                        "zip.unsupported",
                        Verdict::Unknown,
                        offset,
                        "stored member with a data descriptor cannot be walked without the central directory",
                    );
                    return;
                }
                if csize != usize_ {
                    self.sink.add(
                        "zip.corrupt",
                        Verdict::Unsafe,
                        offset,
                        "stored member with different sizes",
                    );
                }
                self.st = St::Data {
                    remaining: Some(csize),
                    inflate: None,
                    descriptor: false,
                    zip64,
                };
                if csize == 0 {
                    self.end_member();
                    self.st = St::Sig;
                }
            }
            8 => {
                self.st = St::Data {
                    remaining: if descriptor { None } else { Some(csize) },
                    inflate: Some(Box::new(flate2::Decompress::new(false))),
                    descriptor,
                    zip64,
                };
            }
            m => {
                self.sink.add(
                    "zip.unsupported",
                    Verdict::Unknown,
                    offset,
                    format!("member {name:?} uses compression method {m}, which is not inspected"),
                );
                if descriptor {
                    self.stop(
                        "zip.unsupported",
                        Verdict::Unknown,
                        offset,
                        "unsupported member with data descriptor",
                    );
                    return;
                }
                if let Some(mm) = self.member.as_mut() {
                    mm.core = None;
                }
                self.st = St::Data {
                    remaining: Some(csize),
                    inflate: None,
                    descriptor: false,
                    zip64,
                };
                if csize == 0 {
                    self.end_member();
                    self.st = St::Sig;
                }
            }
        }
    }

    fn member_bytes(&mut self, b: &[u8]) {
        if b.is_empty() {
            return;
        }
        let max = self.lim.max_header;
        if let Some(m) = self.member.as_mut() {
            m.produced = m.produced.saturating_add(b.len() as u64);
            if m.role == Role::Config && (m.config.len() as u64) < max {
                let room = (max as usize).saturating_sub(m.config.len()).min(b.len());
                m.config.extend_from_slice(&b[..room]);
            }
            if let Some(c) = m.core.as_mut() {
                c.feed(b);
            }
        }
    }

    fn end_member(&mut self) {
        let Some(m) = self.member.take() else { return };
        let name = self
            .locals
            .last()
            .map(|l| l.name.clone())
            .unwrap_or_default();
        if let Some(l) = self.locals.last()
            && l.method == 8
            && l.flags & 0x08 == 0
            && m.produced != l.usize
            && m.core.is_some()
        {
            self.sink.add(
                "zip.corrupt",
                Verdict::Unsafe,
                l.offset,
                format!("{name:?} inflates to a size other than declared"),
            );
        }
        if let Some(c) = m.core {
            let (s, _) = c.finish();
            self.sink.merge(&name, s);
        }
        if m.role == Role::Config {
            crate::formats::keras::check_config(&m.config, &name, &mut self.sink);
        }
    }

    pub(crate) fn finish(mut self) -> (&'static str, Sink) {
        let end = self.pos;
        match self.st {
            St::Central => {}
            St::Stopped => return (self.kind(), self.sink),
            _ => {
                self.end_member();
                self.sink.add(
                    "zip.truncated",
                    Verdict::Unsafe,
                    end,
                    "archive ends inside a member or header",
                );
                return (self.kind(), self.sink);
            }
        }
        self.check_central();
        let kind = self.kind();
        (kind, self.sink)
    }

    fn kind(&mut self) -> &'static str {
        let names: Vec<&str> = self.locals.iter().map(|l| l.name.as_str()).collect();
        let has = |pred: &dyn Fn(&str) -> bool| names.iter().any(|n| pred(n));
        let py = has(&|n| n.ends_with(".py"));
        if has(&|n| {
            n.starts_with(".data/") || n.contains("/.data/extern_modules") || n == ".data/version"
        }) && py
        {
            let mut sink = std::mem::take(&mut self.sink);
            for l in self.locals.iter().filter(|l| l.name.ends_with(".py")) {
                sink.add(
                    "torch-package.code",
                    Verdict::Unsafe,
                    l.offset,
                    format!(
                        "torch.package module {:?} is Python source executed by load_pickle",
                        l.name
                    ),
                );
            }
            self.sink = sink;
            return "torch-package";
        }
        if has(&|n| n.contains("/code/") || n.ends_with("/constants.pkl") || n == "constants.pkl") {
            let at = self
                .locals
                .iter()
                .find(|l| l.name.contains("/code/"))
                .map_or(0, |l| l.offset);
            self.sink.add(
                "torchscript.code",
                Verdict::Unknown,
                at,
                "TorchScript archive: its code/ members are programs run by torch.jit.load",
            );
            return "torchscript";
        }
        if py {
            for l in self.locals.iter().filter(|l| l.name.ends_with(".py")) {
                self.sink.add(
                    "archive.code",
                    Verdict::Unknown,
                    l.offset,
                    format!("Python source member {:?}", l.name),
                );
            }
        }
        if has(&|n| n.ends_with("data.pkl")) {
            return "torch-zip";
        }
        if has(&|n| n == "config.json")
            && has(&|n| n.ends_with(".weights.h5") || n == "metadata.json")
        {
            return "keras";
        }
        if !names.is_empty() && names.iter().all(|n| n.ends_with(".npy")) {
            return "npz";
        }
        "zip"
    }

    fn check_central(&mut self) {
        let cd = std::mem::take(&mut self.central);
        let base = self.central_at;
        let mut i = 0usize;
        let mut seen = HashSet::new();
        let mut referenced = HashSet::new();
        let mut entries = 0u64;
        while i + 4 <= cd.len() && &cd[i..i + 4] == b"PK\x01\x02" {
            if i + 46 > cd.len() {
                self.sink.add(
                    "zip.corrupt",
                    Verdict::Unsafe,
                    base + i as u64,
                    "truncated central directory entry",
                );
                return;
            }
            let e = &cd[i..];
            let made_by = u16le(e, 4);
            let method = u16le(e, 10);
            let mut csize = u64::from(u32le(e, 20));
            let mut usize_ = u64::from(u32le(e, 24));
            let nlen = usize::from(u16le(e, 28));
            let xlen = usize::from(u16le(e, 30));
            let clen = usize::from(u16le(e, 32));
            let ext_attr = u32le(e, 38);
            let mut off = u64::from(u32le(e, 42));
            if i + 46 + nlen + xlen + clen > cd.len() {
                self.sink.add(
                    "zip.corrupt",
                    Verdict::Unsafe,
                    base + i as u64,
                    "truncated central directory entry",
                );
                return;
            }
            let name = String::from_utf8_lossy(&e[46..46 + nlen]).into_owned();
            let extra = &e[46 + nlen..46 + nlen + xlen];
            let z = zip64_extra(
                extra,
                &[
                    usize_ == 0xFFFF_FFFF,
                    csize == 0xFFFF_FFFF,
                    off == 0xFFFF_FFFF,
                ],
            );
            if let Some(v) = z[0] {
                usize_ = v;
            }
            if let Some(v) = z[1] {
                csize = v;
            }
            if let Some(v) = z[2] {
                off = v;
            }
            let at = base + i as u64;
            if !seen.insert(name.clone()) {
                self.sink.add(
                    "zip.duplicate-name",
                    Verdict::Unsafe,
                    at,
                    format!("member name {name:?} appears twice (readers disagree on which one is loaded)"),
                );
            }
            if made_by >> 8 == 3 && (ext_attr >> 16) & 0o170000 == 0o120000 {
                self.sink.add(
                    "archive.symlink",
                    Verdict::Unsafe,
                    at,
                    format!("member {name:?} is a symbolic link"),
                );
            }
            match self.locals.iter().position(|l| l.offset == off) {
                Some(k) => {
                    referenced.insert(k);
                    let l = &self.locals[k];
                    if l.name != name {
                        self.sink.add(
                            "zip.name-mismatch",
                            Verdict::Unsafe,
                            at,
                            format!("central directory names {name:?} but the local header says {:?}", l.name),
                        );
                    }
                    let sizes_known = l.flags & 0x08 == 0;
                    if l.method != method || (sizes_known && (l.csize != csize || l.usize != usize_)) {
                        self.sink.add(
                            "zip.header-mismatch",
                            Verdict::Unsafe,
                            at,
                            format!("central directory and local header of {name:?} disagree on method or sizes"),
                        );
                    }
                }
                None => self.sink.add(
                    "zip.hidden-entry",
                    Verdict::Unsafe,
                    at,
                    format!("central directory entry {name:?} points at offset {off}, which is not a member header"),
                ),
            }
            entries += 1;
            i += 46 + nlen + xlen + clen;
        }
        if referenced.len() != self.locals.len() {
            for (k, l) in self.locals.iter().enumerate() {
                if !referenced.contains(&k) {
                    self.sink.add(
                        "zip.hidden-entry",
                        Verdict::Unsafe,
                        l.offset,
                        format!(
                            "local member {:?} is not listed in the central directory",
                            l.name
                        ),
                    );
                }
            }
        }
        let cd_size = i as u64;
        // Optional zip64 end record and locator.
        let mut z64: Option<(u64, u64, u64)> = None; // entries, cd size, cd offset
        if i + 4 <= cd.len() && &cd[i..i + 4] == b"PK\x06\x06" {
            if i + 56 > cd.len() {
                self.sink.add(
                    "zip.corrupt",
                    Verdict::Unsafe,
                    base + i as u64,
                    "truncated zip64 end record",
                );
                return;
            }
            let rec_len = u64le(&cd, i + 4);
            z64 = Some((u64le(&cd, i + 32), u64le(&cd, i + 40), u64le(&cd, i + 48)));
            let Some(next) = usize::try_from(rec_len)
                .ok()
                .and_then(|r| (i + 12).checked_add(r))
            else {
                self.sink.add(
                    "zip.corrupt",
                    Verdict::Unsafe,
                    base + i as u64,
                    "bad zip64 end record length",
                );
                return;
            };
            i = next;
            if i + 20 <= cd.len() && &cd[i..i + 4] == b"PK\x06\x07" {
                i += 20;
            } else {
                self.sink.add(
                    "zip.corrupt",
                    Verdict::Unsafe,
                    base + i as u64,
                    "zip64 end record without locator",
                );
                return;
            }
        }
        if i + 22 > cd.len() || &cd[i..i + 4] != b"PK\x05\x06" {
            self.sink.add(
                "zip.corrupt",
                Verdict::Unsafe,
                base + i as u64,
                "unexpected bytes after the members (no central directory / end record where expected)",
            );
            return;
        }
        let mut n_entries = u64::from(u16le(&cd, i + 10));
        let mut size = u64::from(u32le(&cd, i + 12));
        let mut offset = u64::from(u32le(&cd, i + 16));
        let clen = usize::from(u16le(&cd, i + 20));
        if let Some((e, s, o)) = z64 {
            if n_entries == 0xFFFF {
                n_entries = e;
            }
            if size == 0xFFFF_FFFF {
                size = s;
            }
            if offset == 0xFFFF_FFFF {
                offset = o;
            }
        }
        let end = i + 22 + clen;
        if end > cd.len() {
            self.sink.add(
                "zip.truncated",
                Verdict::Unsafe,
                base + i as u64,
                "end record comment runs past the end",
            );
            return;
        }
        if end < cd.len() {
            self.sink.add(
                "zip.trailing-bytes",
                Verdict::Unsafe,
                base + end as u64,
                "bytes after the zip end record (ambiguous archive)",
            );
        }
        if n_entries != entries || size != cd_size || offset != base {
            self.sink.add(
                "zip.end-record-mismatch",
                Verdict::Unsafe,
                base + i as u64,
                "end record disagrees with the central directory that precedes it (readers would locate a different directory)",
            );
        }
    }
}
