//! Input shapers for the fuzz targets: each one turns arbitrary bytes into something the content
//! identification of `agora-scan` routes to one parser, so that parser gets mutated bodies
//! instead of the rare input that happens to carry its magic number.
//!
//! Inputs that already carry the right magic are passed through unchanged, so the fixtures of
//! `crates/scan/tests/fixtures` are useful seeds for every target as they are.
#![forbid(unsafe_code)]

use agora_scan::{Report, Scanner, scan_bytes};

/// Scan `data` whole and in chunks of a size picked from the input: both must end in the same
/// report (the scanner is streaming; a report that depends on chunking is a parser
/// differential). Panics, hangs and runaway allocations are what the fuzzer looks for.
pub fn check(data: &[u8]) -> Report {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(tolerate_caught_decoder_panics);
    let whole = scan_bytes(data);
    let step = 1 + usize::from(data.last().copied().unwrap_or(0)) * 17;
    let mut s = Scanner::new();
    for c in data.chunks(step) {
        s.update(c);
    }
    let chunked = s.finish();
    assert_eq!(chunked, whole, "report depends on {step}-byte chunking");
    whole
}

/// libfuzzer-sys aborts on every panic, even one that is caught. The scanner catches panics of
/// the lzma-rs xz decoder (an unchecked `(backward_size + 1) << 2`, see `compress.rs`) and reports
/// a corrupt stream, so those unwind on; a panic that nothing catches still aborts in
/// libfuzzer-sys's own `catch_unwind`, and every other panic aborts here as before.
fn tolerate_caught_decoder_panics() {
    let abort = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if info
            .location()
            .is_some_and(|l| l.file().contains("/lzma-rs-"))
        {
            return;
        }
        abort(info);
    }));
}

fn prefixed(magic: &[u8], data: &[u8]) -> Vec<u8> {
    if data.starts_with(magic) {
        return data.to_vec();
    }
    let mut v = Vec::with_capacity(magic.len() + data.len());
    v.extend_from_slice(magic);
    v.extend_from_slice(data);
    v
}

/// A binary pickle: `\x80 <protocol 0..=5>` then the body (protocol 0/1 text pickles have no
/// magic and are reached by `scan_bytes`).
pub fn pickle(data: &[u8]) -> Vec<u8> {
    if data.len() >= 2 && data[0] == 0x80 && data[1] <= 5 {
        return data.to_vec();
    }
    let Some((&sel, body)) = data.split_first() else {
        return b"\x80\x04".to_vec();
    };
    let mut v = vec![0x80, sel % 6];
    v.extend_from_slice(body);
    v
}

/// A zip: a local file header signature (or an end record for an empty archive).
pub fn zip(data: &[u8]) -> Vec<u8> {
    if data.starts_with(b"PK\x05\x06") {
        return data.to_vec();
    }
    prefixed(b"PK\x03\x04", data)
}

/// A NumPy `.npy` array.
pub fn npy(data: &[u8]) -> Vec<u8> {
    prefixed(b"\x93NUMPY", data)
}

/// GGUF.
pub fn gguf(data: &[u8]) -> Vec<u8> {
    prefixed(b"GGUF", data)
}

/// HDF5 (Keras `.h5`).
pub fn hdf5(data: &[u8]) -> Vec<u8> {
    prefixed(b"\x89HDF\r\n\x1a\n", data)
}

const CODECS: [&[u8]; 5] = [
    b"\x1f\x8b\x08",                                         // gzip, deflate
    b"BZh9",                                                 // bzip2
    b"\xfd7zXZ\x00",                                         // xz
    b"\x5d\x00\x00\x80\x00\xff\xff\xff\xff\xff\xff\xff\xff", // lzma-alone, unknown size
    b"\x78\x9c",                                             // zlib
];

/// A compressed stream (gzip, bzip2, xz, lzma, zlib): the first byte picks the codec unless
/// the input already starts with one's magic.
pub fn compressed(data: &[u8]) -> Vec<u8> {
    if CODECS[..3].iter().any(|m| data.starts_with(m))
        || data.starts_with(b"\x5d\x00\x00")
        || (data.len() >= 2 && data[0] == 0x78 && (0x7800 | u16::from(data[1])) % 31 == 0)
    {
        return data.to_vec();
    }
    let Some((&sel, body)) = data.split_first() else {
        return CODECS[0].to_vec();
    };
    let mut v = CODECS[usize::from(sel) % CODECS.len()].to_vec();
    v.extend_from_slice(body);
    v
}

/// safetensors: an 8-byte little-endian header length, then a JSON header, then data. The
/// header runs to the last `}` of the input, so what follows it is the tensor data.
pub fn safetensors(data: &[u8]) -> Vec<u8> {
    if data.len() >= 9 {
        let n = u64::from_le_bytes([
            data[0], data[1], data[2], data[3], data[4], data[5], data[6], data[7],
        ]);
        if n >= 2 && data[8] == b'{' {
            return data.to_vec();
        }
    }
    let body = prefixed(b"{", data);
    let n = body
        .iter()
        .rposition(|c| *c == b'}')
        .map_or(body.len(), |i| i + 1);
    let mut v = (n as u64).to_le_bytes().to_vec();
    v.extend_from_slice(&body);
    v
}

/// An ONNX `ModelProto`: `ir_version` (field 1) then the input as further fields; a graph
/// (field 7) tag is inserted when the input does not start with a field the sniffer knows.
pub fn onnx(data: &[u8]) -> Vec<u8> {
    let known = |c: u8| matches!(c, 0x12 | 0x1a | 0x22 | 0x28 | 0x32 | 0x3a | 0x42 | 0x72);
    if data.len() >= 4 && data[0] == 0x08 && (1..=20).contains(&data[1]) && known(data[2]) {
        return data.to_vec();
    }
    let mut v = b"\x08\x07".to_vec();
    if !data.first().is_some_and(|c| known(*c)) {
        v.push(0x3a);
    }
    v.extend_from_slice(data);
    v
}

fn octal(field: &[u8]) -> Option<u64> {
    let s = std::str::from_utf8(field).ok()?;
    let s = s.trim_matches(|c: char| c == '\0' || c == ' ');
    if s.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(s, 8).ok()
}

fn fix_tar_checksum(h: &mut [u8]) {
    h[148..156].fill(b' ');
    let sum: u32 = h[..512].iter().map(|b| u32::from(*b)).sum();
    let s = format!("{sum:06o}\0 ");
    h[148..156].copy_from_slice(&s.as_bytes()[..8]);
}

/// A POSIX tar: the first block becomes a `ustar` header, and every header reached by
/// following the member sizes gets a correct checksum (a wrong one is reached by `scan_bytes`).
pub fn tar(data: &[u8]) -> Vec<u8> {
    let mut v = data.to_vec();
    if v.len() < 512 {
        v.resize(512, 0);
    }
    v[257..263].copy_from_slice(b"ustar\0");
    v[263..265].copy_from_slice(b"00");
    let mut at = 0usize;
    while at + 512 <= v.len() {
        let h = &mut v[at..at + 512];
        if h.iter().all(|c| *c == 0) {
            break;
        }
        fix_tar_checksum(h);
        let Some(size) = octal(&h[124..136]) else {
            break;
        };
        let Some(next) = usize::try_from(size)
            .ok()
            .and_then(|s| s.checked_add(511))
            .map(|s| s / 512 * 512)
            .and_then(|s| s.checked_add(at + 512))
        else {
            break;
        };
        at = next;
    }
    v
}

/// CRC-32 (IEEE), bitwise: inputs are small.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A well-formed zip of stored members.
pub fn stored_zip(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, body) in members {
        let off = out.len() as u32;
        let crc = crc32(body);
        let len = body.len() as u32;
        let name_len = name.len() as u16;
        out.extend_from_slice(b"PK\x03\x04");
        out.extend_from_slice(&20u16.to_le_bytes()); // version needed
        out.extend_from_slice(&0u16.to_le_bytes()); // flags
        out.extend_from_slice(&0u16.to_le_bytes()); // stored
        out.extend_from_slice(&[0, 0, 0x21, 0]); // time, date (1980-01-01)
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&name_len.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes()); // extra
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(body);

        central.extend_from_slice(b"PK\x01\x02");
        central.extend_from_slice(&20u16.to_le_bytes()); // version made by
        central.extend_from_slice(&20u16.to_le_bytes()); // version needed
        central.extend_from_slice(&0u16.to_le_bytes());
        central.extend_from_slice(&0u16.to_le_bytes());
        central.extend_from_slice(&[0, 0, 0x21, 0]);
        central.extend_from_slice(&crc.to_le_bytes());
        central.extend_from_slice(&len.to_le_bytes());
        central.extend_from_slice(&len.to_le_bytes());
        central.extend_from_slice(&name_len.to_le_bytes());
        central.extend_from_slice(&[0; 8]); // extra, comment, disk, internal attrs
        central.extend_from_slice(&0u32.to_le_bytes()); // external attrs
        central.extend_from_slice(&off.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let cd_at = out.len() as u32;
    let n = members.len() as u16;
    out.extend_from_slice(&central);
    out.extend_from_slice(b"PK\x05\x06");
    out.extend_from_slice(&[0; 4]); // disk numbers
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_at.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

/// A Keras v3 `.keras` archive whose `config.json` is the input (zips pass through, so the
/// `.keras` fixture is mutated as a whole too).
pub fn keras(data: &[u8]) -> Vec<u8> {
    if data.starts_with(b"PK\x03\x04") {
        return data.to_vec();
    }
    stored_zip(&[
        (
            "metadata.json",
            br#"{"keras_version": "3.6.0", "date_saved": "2024-01-01@00:00:00"}"#,
        ),
        ("config.json", data),
        ("model.weights.h5", b""),
    ])
}

/// A `tokenizer_config.json` whose `chat_template` is the input (JSON inputs pass through):
/// the Jinja checker.
pub fn chat_template(data: &[u8]) -> Vec<u8> {
    if data.first() == Some(&b'{') {
        return data.to_vec();
    }
    let t = String::from_utf8_lossy(data);
    let mut v = br#"{"add_bos_token": true, "chat_template": "#.to_vec();
    v.extend_from_slice(serde_json::to_string(&t).unwrap_or_default().as_bytes());
    v.push(b'}');
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_reference_value() {
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
    }

    #[test]
    fn shaped_inputs_reach_their_parser() {
        let fmt = |v: Vec<u8>| scan_bytes(&v).format;
        assert_eq!(
            fmt(keras(br#"{"class_name": "Sequential", "config": {}}"#)),
            "keras"
        );
        assert_eq!(fmt(chat_template(b"Hi {{ messages }}")), "json");
        assert_eq!(fmt(npy(b"\x01\x00")), "numpy");
        assert_eq!(fmt(gguf(b"")), "gguf");
        assert_eq!(fmt(onnx(b"\x00")), "onnx");
        assert_eq!(fmt(hdf5(b"")), "hdf5");
        assert_eq!(fmt(safetensors(b"\"a\":1}")), "safetensors");
        assert_eq!(fmt(tar(b"x")), scan_bytes(&tar(b"x")).format);
        assert_ne!(fmt(tar(b"x")), "data");
        assert_ne!(fmt(zip(b"")), "data");
        for s in 0..5u8 {
            assert_ne!(fmt(compressed(&[s, 1, 2, 3])), "data", "codec {s}");
        }
        assert_eq!(fmt(pickle(b"\x02N.")), "pickle");
    }
}
