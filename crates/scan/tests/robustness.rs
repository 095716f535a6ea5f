//! Bad input ends in a verdict, never a panic or a hang: truncations and byte mutations of
//! every fixture, arbitrary chunkings of the stream, and hostile lengths and depths.

use agora_scan::{Report, Scanner, Verdict, scan_bytes};
use std::path::{Path, PathBuf};

fn all_fixtures() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut v = Vec::new();
    for d in ["benign", "malicious"] {
        for e in std::fs::read_dir(root.join(d)).expect("fixtures") {
            v.push(e.expect("entry").path());
        }
    }
    v.sort();
    v
}

fn chunked(data: &[u8], size: usize) -> Report {
    let mut s = Scanner::new();
    for c in data.chunks(size.max(1)) {
        s.update(c);
    }
    s.finish()
}

/// Deterministic xorshift, so failures reproduce.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

#[test]
fn the_report_does_not_depend_on_how_the_stream_is_chunked() {
    for p in all_fixtures() {
        let data = std::fs::read(&p).expect("readable");
        let whole = scan_bytes(&data);
        for size in [1usize, 7, 509, 4096, 65_537] {
            if size == 1 && data.len() > 300_000 {
                continue;
            }
            let r = chunked(&data, size);
            assert_eq!(r, whole, "{} with {size}-byte chunks", p.display());
        }
    }
}

#[test]
fn truncated_fixtures_never_panic_and_malicious_prefixes_are_never_safe_after_the_payload() {
    for p in all_fixtures() {
        let data = std::fs::read(&p).expect("readable");
        let mut cuts: Vec<usize> = (0..data.len().min(64)).collect();
        cuts.extend((1..32).map(|k| data.len() * k / 32));
        for cut in cuts {
            let r = scan_bytes(&data[..cut]);
            // A truncated non-empty pickle/zip/safetensors is never clean.
            if cut > 0
                && cut < data.len()
                && matches!(r.format, "pickle" | "torch-zip" | "safetensors" | "gguf")
            {
                assert_ne!(
                    r.verdict,
                    Verdict::Safe,
                    "{} cut at {cut}: {r:#?}",
                    p.display()
                );
            }
        }
    }
}

#[test]
fn mutated_fixtures_never_panic() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for p in all_fixtures() {
        let data = std::fs::read(&p).expect("readable");
        if data.is_empty() {
            continue;
        }
        for _ in 0..60 {
            let mut m = data.clone();
            for _ in 0..1 + rng.below(8) {
                let i = rng.below(m.len());
                match rng.below(4) {
                    0 => m[i] = rng.next() as u8,
                    1 => m[i] ^= 0x80,
                    2 => m[i] = [0x00, 0xff, b'(', b'.', b'\n', 0x80, 0x95][rng.below(7)],
                    _ => {
                        let j = rng.below(m.len());
                        m.truncate(i.max(j));
                    }
                }
                if m.is_empty() {
                    break;
                }
            }
            let _ = scan_bytes(&m);
            let _ = chunked(&m, 1 + rng.below(999));
        }
    }
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(42);
    for len in [0usize, 1, 2, 8, 9, 13, 100, 600, 5000] {
        for _ in 0..200 {
            let mut b: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            // Give half of them a real magic number so the parsers behind it are exercised.
            let magics: [&[u8]; 10] = [
                b"\x80\x04",
                b"PK\x03\x04",
                b"\x93NUMPY\x01\x00",
                b"GGUF\x03\x00\x00\x00",
                b"\x1f\x8b",
                b"BZh9",
                b"\xfd7zXZ\x00",
                b"\x89HDF\r\n\x1a\n",
                b"\x08\x07\x3a",
                b"x\x9c",
            ];
            if rng.below(2) == 0 {
                let m = magics[rng.below(magics.len())];
                let n = m.len().min(b.len());
                b[..n].copy_from_slice(&m[..n]);
            }
            let _ = scan_bytes(&b);
        }
    }
}

#[test]
fn zero_length_input_is_safe_and_empty() {
    let r = scan_bytes(b"");
    assert_eq!((r.verdict, r.format, r.size), (Verdict::Safe, "empty", 0));
}

#[test]
fn deeply_nested_containers_end_in_a_verdict() {
    // 500k nested tuples built by TUPLE1: no recursion in the emulator.
    let mut b = b"\x80\x02N".to_vec();
    b.extend(std::iter::repeat_n(0x85u8, 500_000));
    b.push(b'.');
    assert_eq!(scan_bytes(&b).verdict, Verdict::Safe);
    // gzip inside gzip inside gzip ... beyond the depth limit.
    let mut layer = b"\x80\x02N.".to_vec();
    for _ in 0..10 {
        use std::io::Write;
        let mut e = flate2_gz(&layer);
        e.flush().expect("flush");
        layer = e.into_inner();
    }
    let r = scan_bytes(&layer);
    assert_eq!(r.verdict, Verdict::Unsafe, "{r:#?}");
    assert!(r.has_rule("scan.limit"));
}

/// A tiny stored-deflate gzip writer (no compression), to avoid a dev-dependency.
fn flate2_gz(data: &[u8]) -> std::io::Cursor<Vec<u8>> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];
    let mut chunks = data.chunks(65_535).peekable();
    if data.is_empty() {
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    while let Some(c) = chunks.next() {
        out.push(u8::from(chunks.peek().is_none()));
        let n = c.len() as u16;
        out.extend_from_slice(&n.to_le_bytes());
        out.extend_from_slice(&(!n).to_le_bytes());
        out.extend_from_slice(c);
    }
    out.extend_from_slice(&crc32(data).to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    let mut c = std::io::Cursor::new(out);
    c.set_position(c.get_ref().len() as u64);
    c
}

fn crc32(data: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for &b in data {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
    }
    !c
}

#[test]
fn large_tensor_payloads_are_streamed_not_buffered() {
    // A 64 MiB BINBYTES8 fed in 1 MiB chunks: the scan completes and is safe.
    let mut s = Scanner::new();
    let n: u64 = 64 << 20;
    let mut head = b"\x80\x04\x8e".to_vec();
    head.extend_from_slice(&n.to_le_bytes());
    s.update(&head);
    let chunk = vec![0x11u8; 1 << 20];
    for _ in 0..64 {
        s.update(&chunk);
    }
    s.update(b".");
    let r = s.finish();
    assert_eq!(r.verdict, Verdict::Safe, "{r:#?}");
}

/// Cross-check against the reference `safetensors` crate: files it writes are safe; whatever
/// it refuses to read is never safe.
#[test]
fn safetensors_agrees_with_the_reference_crate() {
    use safetensors::tensor::{Dtype, SafeTensors, TensorView, serialize};
    let data_f32 = vec![0u8; 4 * 6];
    let data_i64 = vec![1u8; 8 * 3];
    let data_bf16 = vec![2u8; 2 * 5];
    let tensors = vec![
        (
            "a",
            TensorView::new(Dtype::F32, vec![2, 3], &data_f32).expect("view"),
        ),
        (
            "b",
            TensorView::new(Dtype::I64, vec![3], &data_i64).expect("view"),
        ),
        (
            "c",
            TensorView::new(Dtype::BF16, vec![5], &data_bf16).expect("view"),
        ),
        (
            "z",
            TensorView::new(Dtype::F16, vec![0, 4], &[]).expect("view"),
        ),
    ];
    let mut meta = std::collections::HashMap::new();
    meta.insert("format".to_string(), "pt".to_string());
    let bytes = serialize(tensors, Some(meta)).expect("serialize");
    let r = scan_bytes(&bytes);
    assert_eq!(
        (r.verdict, r.format),
        (Verdict::Safe, "safetensors"),
        "{r:#?}"
    );

    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut checked = 0;
    for d in ["benign", "malicious"] {
        for e in std::fs::read_dir(root.join(d)).expect("fixtures") {
            let p = e.expect("entry").path();
            if p.extension().and_then(|x| x.to_str()) != Some("safetensors") {
                continue;
            }
            let b = std::fs::read(&p).expect("readable");
            let ours = scan_bytes(&b);
            if SafeTensors::deserialize(&b).is_err() {
                assert_ne!(
                    ours.verdict,
                    Verdict::Safe,
                    "{}: reference rejects, we said safe",
                    p.display()
                );
            }
            if d == "benign" {
                assert!(SafeTensors::deserialize(&b).is_ok(), "{}", p.display());
                assert_eq!(ours.verdict, Verdict::Safe, "{}", p.display());
            }
            checked += 1;
        }
    }
    assert!(checked >= 7);
    // Random mutations of a valid file: whenever the reference rejects it, we never call it a
    // safe safetensors file (a mutation may also turn it into unrecognisable data, which no
    // loader executes).
    let mut rng = Rng(7);
    for _ in 0..2000 {
        let mut m = bytes.clone();
        let i = rng.below(m.len());
        m[i] = rng.next() as u8;
        let r = scan_bytes(&m);
        if SafeTensors::deserialize(&m).is_err() && r.format == "safetensors" {
            assert_ne!(r.verdict, Verdict::Safe, "mutation at {i}: {r:#?}");
        }
    }
}

#[test]
fn long_text_arguments_in_tiny_chunks_stay_linear() {
    // Protocol 0: a 900 KB UNICODE line delivered one byte at a time.
    let mut b = b"V".to_vec();
    b.extend(std::iter::repeat_n(b'a', 900_000));
    b.extend_from_slice(b"\n.");
    let start = std::time::Instant::now();
    let r = chunked(&b, 1);
    assert_eq!(r.verdict, Verdict::Safe, "{r:#?}");
    assert!(
        start.elapsed() < std::time::Duration::from_secs(20),
        "took {:?}",
        start.elapsed()
    );
    // Longer than the limit: fails closed.
    let mut b = b"V".to_vec();
    b.extend(std::iter::repeat_n(b'a', 3 << 20));
    let r = chunked(&b, 4096);
    assert!(r.has_rule("pickle.limit"), "{r:#?}");
}

#[test]
fn a_limit_hit_before_the_payload_is_never_safe_even_without_magic() {
    // Protocol 0, no PROTO: a 3 MB string line, then a payload.
    let mut b = b"V".to_vec();
    b.extend(std::iter::repeat_n(b'a', 3 << 20));
    b.extend_from_slice(b"\n0cos\nsystem\n(S'id'\ntR.");
    let r = scan_bytes(&b);
    assert_eq!(r.verdict, Verdict::Unsafe, "{r:#?}");
}

#[test]
fn an_extension_code_is_unsafe_in_a_pickle_and_data_without_a_protocol_header() {
    // With PROTO 2 it is a pickle resolving a global through copyreg's registry: unsafe.
    let r = scan_bytes(b"\x80\x02\x82\x01)R.");
    assert_eq!(r.verdict, Verdict::Unsafe, "{r:#?}");
    // Without it, a loader fails at the opcode (CPython's registry is empty and nothing an
    // attacker can ship fills it) before importing anything: 1 in 85 opaque files starts so.
    let r = scan_bytes(b"\x82\x01)R\xff");
    assert_eq!(r.verdict, Verdict::Safe, "{r:#?}");
}

/// Text that starts with a protocol-0 opcode letter (`i` is INST, `c` is GLOBAL) is text: the
/// names it would give the loader cannot be imported, so nothing could run.
#[test]
fn text_that_reads_like_protocol_0_is_text() {
    for text in [
        &b"id,text,label\n0,sentence number 0,0\n1,sentence number 1,1\n"[..],
        b"con,fig\nvalue,here\n",
        b"i\n\n",
    ] {
        let r = agora_scan::scan_bytes(text);
        assert_eq!(
            r.verdict,
            agora_scan::Verdict::Safe,
            "{:?}: {r:?}",
            String::from_utf8_lossy(text)
        );
        assert_ne!(r.format, "pickle");
    }
    // A gadget before the unimportable name has already run: still unsafe.
    let after_gadget = b"cos\nsystem\n(S'echo'\ntR0id,text\nlabel\n.";
    assert_eq!(
        agora_scan::scan_bytes(after_gadget).verdict,
        agora_scan::Verdict::Unsafe
    );
    // With a magic number it claims to be a pickle: a malformed name stays fail-closed.
    let with_magic = b"\x80\x02id,text\nlabel\n.";
    assert_eq!(
        agora_scan::scan_bytes(with_magic).verdict,
        agora_scan::Verdict::Unsafe
    );
    // A real gadget is still a gadget.
    assert_eq!(
        agora_scan::scan_bytes(b"cos\nsystem\n(S'echo'\ntR.").verdict,
        agora_scan::Verdict::Unsafe
    );
}

/// Opaque binary data (encrypted blobs, raw tensor bytes such as ONNX external data) is data:
/// bytes that start like a protocol-2+ opcode or a safetensors length without being one must not
/// make a hub refuse the file.
#[test]
fn opaque_bytes_that_start_like_a_format_are_data() {
    let mut tail = [0u8; 2048];
    for (i, b) in tail.iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(97).wrapping_add(13);
    }
    for head in [
        &b"\x82\x07"[..],                     // EXT1: the extension registry is empty
        b"\x84\xff\xff\xff\x7f",              // EXT4
        b"\x97",                              // NEXT_BUFFER: no out-of-band buffers
        b"\x8b\xff\xff\xff\x00",              // LONG4 longer than the file
        b"\xb5\xa1\x9c\x2f\xf1\x7e\xd8\xac{", // a "safetensors" header of 12 EB
    ] {
        let mut data = head.to_vec();
        data.extend_from_slice(&tail);
        let r = agora_scan::scan_bytes(&data);
        assert_eq!(r.verdict, agora_scan::Verdict::Safe, "{head:02x?}: {r:?}");
    }
    // With a protocol header they are pickles, judged as such.
    assert_eq!(
        agora_scan::scan_bytes(b"\x80\x02\x82\x07.").verdict,
        agora_scan::Verdict::Unsafe
    );
}

/// Inputs found by `scripts/fuzz` (cargo-fuzz targets in crates/scan/fuzz), minimised. Each
/// one panicked or diverged before its fix; now each ends in a verdict, the same in any chunking.
#[test]
fn fuzz_findings_end_in_a_verdict() {
    let cases: &[(&str, &[u8], Option<Verdict>)] = &[
        // scan_chunked: a FRAME length near u64::MAX overflowed `at + 9 + len` (in release it
        // wrapped into a short frame). CPython refuses lengths above PY_SSIZE_T_MAX.
        (
            "frame length overflow",
            b"\x80\x04\x95\xff\xff\xff\xff\xff\xff\xff\xffN.",
            Some(Verdict::Unsafe),
        ),
        (
            "frame length overflow, protocol 0 prefix",
            b"c+\x95\x953\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff",
            None,
        ),
        // scan_chunked: BINUNICODE8 of length u64::MAX overflowed the header + length sum,
        // and inside a frame the frame-boundary check `at + len`.
        (
            "8-byte length overflow",
            b"\x80\x04\x8d\xff\xff\xff\xff\xff\xff\xff\xff",
            Some(Verdict::Unsafe),
        ),
        (
            "8-byte length overflow inside a frame",
            b"\x80\x04\x95\x20\x00\x00\x00\x00\x00\x00\x00\x8d\xff\xff\xff\xff\xff\xff\xff\xff",
            Some(Verdict::Unsafe),
        ),
    ];
    for (what, data, want) in cases {
        let whole = scan_bytes(data);
        for size in [1, 2, 3, 7, 64] {
            assert_eq!(chunked(data, size), whole, "{what}: {size}-byte chunks");
        }
        if let Some(v) = want {
            assert_eq!(whole.verdict, *v, "{what}: {whole:#?}");
        }
    }
}

/// `tar` target: after the end-of-archive blocks, the "skip the rest" state was a padding of
/// `u64::MAX` bytes that later chunks counted down (adding a `tar.truncated` finding only when
/// the trailing bytes came in several chunks), and the trailing-bytes offset was the start of
/// the chunk rather than of the data.
#[test]
fn tar_trailing_bytes_are_reported_the_same_in_any_chunking() {
    let mut h = [0u8; 512];
    h[..1].copy_from_slice(b"a");
    h[100..108].copy_from_slice(b"0000644\0");
    h[124..136].copy_from_slice(b"00000000000\0");
    h[156] = b'0';
    h[257..265].copy_from_slice(b"ustar\x0000");
    h[148..156].fill(b' ');
    let sum: u32 = h.iter().map(|c| u32::from(*c)).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    let mut data = h.to_vec();
    data.extend_from_slice(&[0; 1024 + 300]);
    data.extend_from_slice(b"trailing");
    data.extend_from_slice(&[0; 700]);
    let whole = scan_bytes(&data);
    assert_eq!(whole.format, "tar");
    for size in [1, 7, 509, 1536, 1537] {
        assert_eq!(chunked(&data, size), whole, "{size}-byte chunks");
    }
    let f: Vec<_> = whole.findings.iter().map(|f| (f.rule, f.offset)).collect();
    assert_eq!(
        f,
        [("container.trailing-bytes", 512 + 1024 + 300)],
        "{whole:#?}"
    );
}

/// `tar` target (an xz stream behind the tar shaping): lzma-rs 0.3 computes
/// `(backward_size + 1) << 2` unchecked, so a stream footer whose backward size is 0xFFFFFFFF
/// panicked the decoder in builds with overflow checks. The scanner reports a corrupt stream,
/// and still judges what was decoded before the footer.
#[test]
fn an_xz_footer_that_overflows_the_decoder_is_a_corrupt_stream() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/malicious");
    let mut data = std::fs::read(root.join("02_xz_wrapped.xz")).expect("fixture");
    let n = data.len();
    assert_eq!(&data[n - 2..], b"YZ");
    data[n - 8..n - 4].fill(0xff);
    let r = scan_bytes(&data);
    assert!(
        // (Without overflow checks lzma-rs wraps and reports the mismatch itself.)
        r.findings.iter().any(|f| f.rule == "compress.error"),
        "{r:#?}"
    );
    assert_eq!(
        r.verdict,
        Verdict::Unsafe,
        "the decoded payload is still judged: {r:#?}"
    );
    assert_eq!(chunked(&data, 7), r);
}

/// `safetensors` target: text with a NUL in its first 4 KiB was `data` when that NUL arrived in
/// a chunk ending within the first 4 KiB and `text` when it came in a larger one (the check only
/// ran while the buffer was at most 4 KiB long).
#[test]
fn a_nul_in_the_first_4_kib_makes_data_in_any_chunking() {
    let mut data = b"{\"chat_template\": \"{{ x }}\"".to_vec();
    data.resize(1000, b' ');
    data.push(0);
    data.resize(5000, b' ');
    let whole = scan_bytes(&data);
    assert_eq!(whole.format, "data", "{whole:#?}");
    for size in [1, 700, 1650, 4096, 4097] {
        assert_eq!(chunked(&data, size), whole, "{size}-byte chunks");
    }
}

/// Opaque data that a pickle reader would follow for a while (a persistent id, an out-of-band
/// buffer, an operation on the wrong type) and then reject, without any global resolved, is data.
#[test]
fn magicless_bytes_that_fail_without_resolving_a_global_are_data() {
    // BINPERSID on an int, then an invalid opcode.
    assert_eq!(scan_bytes(b"K\x01Q\xff\xfe\xfd").verdict, Verdict::Safe);
    // APPEND to an int, then the stream ends.
    assert_eq!(scan_bytes(b"K\x01K\x02a").verdict, Verdict::Safe);
    // The same with a global before the failure is judged as a pickle.
    assert_ne!(
        scan_bytes(b"cos\nsystem\nK\x01Q\xff").verdict,
        Verdict::Safe
    );
    // And with a protocol header the anomaly stays unsafe.
    assert_eq!(scan_bytes(b"\x80\x02K\x01K\x02a.").verdict, Verdict::Unsafe);
}
