//! GGUF (llama.cpp): bounded parse of the header, metadata and tensor infos, the checks of
//! ggml's own reader (string/array limits, duplicate keys and names, dimensions, types,
//! sequential aligned offsets, data inside the file), and the Jinja chat template.

use crate::limits::Limits;
use crate::report::{Sink, Verdict};
use std::collections::HashSet;

const MAX_STRING: u64 = 64 << 20;
const MAX_ARRAY: u64 = 64 << 20;
const MAX_COUNT: u64 = 1 << 24;

enum E {
    More,
    Bad(String),
}

struct Cur<'a> {
    b: &'a [u8],
    p: usize,
}

impl<'a> Cur<'a> {
    fn take(&mut self, n: u64) -> Result<&'a [u8], E> {
        let n = usize::try_from(n).map_err(|_| E::Bad("length overflow".into()))?;
        if self.b.len() - self.p < n {
            return Err(E::More);
        }
        let s = &self.b[self.p..self.p + n];
        self.p += n;
        Ok(s)
    }
    fn u32(&mut self) -> Result<u32, E> {
        let s = self.take(4)?;
        Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }
    fn u64(&mut self) -> Result<u64, E> {
        let s = self.take(8)?;
        Ok(u64::from_le_bytes([
            s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7],
        ]))
    }
    fn string(&mut self) -> Result<&'a [u8], E> {
        let n = self.u64()?;
        if n > MAX_STRING {
            return Err(E::Bad(format!("string of {n} bytes")));
        }
        self.take(n)
    }
}

/// (block size, bytes per block) of ggml types whose layout is certain.
fn type_size(t: u32) -> Option<(u64, u64)> {
    Some(match t {
        0 => (1, 4),
        1 => (1, 2),
        2 => (32, 18),
        3 => (32, 20),
        6 => (32, 22),
        7 => (32, 24),
        8 => (32, 34),
        9 => (32, 36),
        10 => (256, 84),
        11 => (256, 110),
        12 => (256, 144),
        13 => (256, 176),
        14 => (256, 210),
        15 => (256, 292),
        24 => (1, 1),
        25 => (1, 2),
        26 => (1, 4),
        27 => (1, 8),
        28 => (1, 8),
        30 => (1, 2),
        _ => return None,
    })
}

/// Types ggml knows but whose exact size this scanner does not model.
fn known_type(t: u32) -> bool {
    type_size(t).is_some() || matches!(t, 16..=23 | 29 | 34 | 35 | 39)
}

pub(crate) struct Gguf {
    lim: Limits,
    buf: Vec<u8>,
    next_try: usize,
    done: Option<u64>,
    total: u64,
    sink: Sink,
}

impl Gguf {
    pub(crate) fn new(lim: &Limits) -> Self {
        Self {
            lim: *lim,
            buf: Vec::new(),
            next_try: 4096,
            done: None,
            total: 0,
            sink: Sink::new(),
        }
    }

    pub(crate) fn feed(&mut self, data: &[u8]) {
        self.total += data.len() as u64;
        if self.done.is_some() {
            return;
        }
        let room = (self.lim.max_header as usize)
            .saturating_sub(self.buf.len())
            .min(data.len());
        self.buf.extend_from_slice(&data[..room]);
        if self.buf.len() >= self.next_try {
            self.attempt(false);
            self.next_try = self.buf.len().saturating_mul(2);
        }
    }

    fn attempt(&mut self, eof: bool) {
        let buf = std::mem::take(&mut self.buf);
        let mut sink = Sink::new();
        match parse(&buf, &mut sink) {
            Ok(need) => {
                self.done = Some(need);
                self.sink.merge("", sink);
            }
            Err(E::More) if !eof && (buf.len() as u64) < self.lim.max_header => self.buf = buf,
            Err(E::More) => {
                let why = if eof {
                    "file ends inside the GGUF header".to_owned()
                } else {
                    format!("GGUF metadata larger than {} bytes", self.lim.max_header)
                };
                self.sink.add(
                    if eof { "gguf.truncated" } else { "scan.limit" },
                    Verdict::Unsafe,
                    0,
                    why,
                );
                self.done = Some(0);
            }
            Err(E::Bad(why)) => {
                self.sink.merge("", sink);
                self.sink.add("gguf.invalid", Verdict::Unsafe, 0, why);
                self.done = Some(0);
            }
        }
    }

    pub(crate) fn finish(mut self) -> Sink {
        if self.done.is_none() {
            self.attempt(true);
        }
        if let Some(need) = self.done
            && need > self.total
        {
            self.sink.add(
                "gguf.truncated",
                Verdict::Unsafe,
                0,
                format!(
                    "tensor data needs {need} bytes but the file has {}",
                    self.total
                ),
            );
        }
        self.sink
    }
}

/// Returns the file size the tensor infos require.
fn parse(b: &[u8], sink: &mut Sink) -> Result<u64, E> {
    let mut c = Cur { b, p: 4 };
    let version = c.u32()?;
    if !(2..=3).contains(&version) {
        return Err(E::Bad(format!("unsupported GGUF version {version}")));
    }
    let n_tensors = c.u64()?;
    let n_kv = c.u64()?;
    if n_tensors > MAX_COUNT || n_kv > MAX_COUNT {
        return Err(E::Bad(format!(
            "implausible counts: {n_tensors} tensors, {n_kv} keys"
        )));
    }
    let mut keys = HashSet::new();
    let mut alignment: u64 = 32;
    for _ in 0..n_kv {
        let at = c.p as u64;
        let key = String::from_utf8_lossy(c.string()?).into_owned();
        if key.len() > 65535 {
            return Err(E::Bad("key longer than 65535 bytes".into()));
        }
        if !keys.insert(key.clone()) {
            return Err(E::Bad(format!("duplicate key {key:?}")));
        }
        let t = c.u32()?;
        match t {
            8 => {
                let s = c.string()?;
                if key.starts_with("tokenizer.chat_template") {
                    match std::str::from_utf8(s) {
                        Ok(t) => crate::formats::jinja::check(t, &key, at, sink),
                        Err(_) => return Err(E::Bad(format!("{key} is not UTF-8"))),
                    }
                }
            }
            9 => {
                let et = c.u32()?;
                let n = c.u64()?;
                if n > MAX_ARRAY {
                    return Err(E::Bad(format!("array of {n} elements")));
                }
                match et {
                    8 => {
                        for _ in 0..n {
                            c.string()?;
                        }
                    }
                    9 => return Err(E::Bad("nested arrays".into())),
                    _ => {
                        let sz = scalar_size(et)
                            .ok_or_else(|| E::Bad(format!("invalid array type {et}")))?;
                        c.take(sz * n)?;
                    }
                }
            }
            _ => {
                let sz = scalar_size(t).ok_or_else(|| E::Bad(format!("invalid value type {t}")))?;
                let v = c.take(sz)?;
                if key == "general.alignment" {
                    if t != 4 {
                        return Err(E::Bad("general.alignment is not u32".into()));
                    }
                    alignment = u64::from(u32::from_le_bytes([v[0], v[1], v[2], v[3]]));
                    if alignment == 0 || !alignment.is_power_of_two() || alignment > 1 << 20 {
                        return Err(E::Bad(format!("invalid alignment {alignment}")));
                    }
                }
            }
        }
    }
    let mut names = HashSet::new();
    let mut expect: u64 = 0;
    let mut exact = true;
    let mut data_end: u64 = 0;
    for _ in 0..n_tensors {
        let name = String::from_utf8_lossy(c.string()?).into_owned();
        if name.len() >= 64 {
            return Err(E::Bad(format!(
                "tensor name {name:?} is 64 bytes or longer"
            )));
        }
        if !names.insert(name.clone()) {
            return Err(E::Bad(format!("duplicate tensor {name:?}")));
        }
        let nd = c.u32()?;
        if nd == 0 || nd > 4 {
            return Err(E::Bad(format!("tensor {name:?} has {nd} dimensions")));
        }
        let mut count: u64 = 1;
        let mut ne0 = 0;
        for k in 0..nd {
            let d = c.u64()?;
            if d > i64::MAX as u64 {
                return Err(E::Bad(format!("tensor {name:?} has a negative dimension")));
            }
            if k == 0 {
                ne0 = d;
            }
            count = count
                .checked_mul(d)
                .filter(|n| *n < i64::MAX as u64)
                .ok_or_else(|| E::Bad(format!("tensor {name:?} size overflows")))?;
        }
        let t = c.u32()?;
        let off = c.u64()?;
        if !known_type(t) {
            return Err(E::Bad(format!("tensor {name:?} has unknown type {t}")));
        }
        if off % alignment != 0 {
            return Err(E::Bad(format!(
                "tensor {name:?} offset {off} is not aligned to {alignment}"
            )));
        }
        match type_size(t) {
            Some((blk, bytes)) if exact => {
                if ne0 % blk != 0 {
                    return Err(E::Bad(format!(
                        "tensor {name:?} row is not a whole number of blocks"
                    )));
                }
                let size = (count / blk)
                    .checked_mul(bytes)
                    .ok_or_else(|| E::Bad("tensor size overflows".into()))?;
                if off != expect {
                    return Err(E::Bad(format!(
                        "tensor {name:?} offset {off} is not the expected {expect}"
                    )));
                }
                let end = off
                    .checked_add(size)
                    .ok_or_else(|| E::Bad("offset overflows".into()))?;
                data_end = end;
                expect = end.div_ceil(alignment) * alignment;
            }
            _ => {
                exact = false;
                data_end = data_end.max(off);
            }
        }
    }
    let data_start = (c.p as u64).div_ceil(alignment) * alignment;
    // ggml reads every tensor padded to the alignment.
    Ok(data_start + if exact { expect } else { data_end })
}

fn scalar_size(t: u32) -> Option<u64> {
    Some(match t {
        0 | 1 | 7 => 1,
        2 | 3 => 2,
        4..=6 => 4,
        10..=12 => 8,
        _ => return None,
    })
}
