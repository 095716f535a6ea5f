use super::*;

fn pseudo(n: usize, seed: u8) -> Vec<u8> {
    // Bytes that do not compress, without a random-number dependency.
    let mut x = 0x9e3779b97f4a7c15u64 ^ seed as u64;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

#[test]
fn a_real_xorb_checks_and_is_indexed() {
    let a = pseudo(70_000, 1);
    let b = vec![7u8; 50_000]; // compresses
    let (hash, body, _) = build::xorb(&[&a, &b]);
    let x = check_xorb(&hash, &body).expect("valid xorb");
    assert_eq!(x.index.len(), 2);
    assert_eq!(x.index.chunk_len(0), 70_000);
    assert_eq!(x.index.unpacked_len(0, 2), 120_000);
    assert_eq!(
        XorbIndex::decode(&x.index.encode()).ok(),
        Some(x.index.clone())
    );
    // The stored form reads back to the content.
    let r = x.index.byte_range(0, 2);
    let data = decode_chunks(&x.stored[r.start as usize..r.end as usize]).expect("decodes");
    assert_eq!(data, [a, b].concat());
}

#[test]
fn a_xorb_under_another_name_or_cut_short_is_refused() {
    let a = pseudo(10_000, 2);
    let (hash, body, _) = build::xorb(&[&a, &a[..5000]]);
    let other = build::xorb(&[&a]).0;
    assert!(matches!(
        check_xorb(&other, &body),
        Err(Error::XorbHashMismatch { .. })
    ));
    assert!(matches!(
        check_xorb(&hash, &body[..body.len() - 1]),
        Err(Error::BadXorb(_))
    ));
    // Cut at a chunk boundary: a valid xorb of fewer chunks, which is not `hash`.
    let first = 8 + 10_000;
    assert!(check_xorb(&hash, &body[..first]).is_err());
    assert!(check_xorb(&hash, &[]).is_err());
}

#[test]
fn a_chunk_header_claiming_too_much_is_refused_before_decompression() {
    let a = pseudo(1000, 3);
    let (hash, mut body, _) = build::xorb(&[&a]);
    // uncompressed length field: bytes 5..8
    body[5..8].copy_from_slice(&[0xff, 0xff, 0xff]);
    assert!(matches!(check_xorb(&hash, &body), Err(Error::BadXorb(_))));
}

#[test]
fn shards_round_trip_and_listings_are_checked() {
    let a = pseudo(30_000, 4);
    let b = pseudo(20_000, 5);
    let (xh, body, info) = build::xorb(&[&a, &b]);
    let index = check_xorb(&xh, &body).expect("valid").index;
    let fh = build::file_hash(&[&a, &b]);
    let sha = "ab".repeat(32);
    let shard = build::shard(
        &[build::File {
            hash: fh,
            terms: vec![(xh, 0, 2, 50_000)],
            sha256: Some(sha.clone()),
        }],
        vec![info],
    );
    let s = parse_shard(&shard).expect("parses");
    assert_eq!(s.files.len(), 1);
    assert_eq!(s.files[0].hash, fh);
    assert_eq!(s.files[0].sha256.as_deref(), Some(sha.as_str()));
    assert_eq!(
        s.files[0].terms,
        vec![Term {
            xorb: xh,
            start: 0,
            end: 2,
            len: 50_000
        }]
    );
    assert!(check_listing(&s.xorbs[0], &index).is_ok());
    let chunks: Vec<_> = (0..2)
        .map(|i| (index.chunks[i].hash, index.chunk_len(i)))
        .collect();
    assert_eq!(file_hash(&chunks), fh);
    let mut lie = s.xorbs[0].clone();
    lie.chunks[1].2 += 1;
    assert!(check_listing(&lie, &index).is_err());
    assert_eq!(
        decode_terms(&encode_terms(&s.files[0].terms)).ok(),
        Some(s.files[0].terms.clone())
    );
}

#[test]
fn garbage_is_not_a_shard() {
    assert!(parse_shard(b"not a shard at all").is_err());
    assert!(parse_shard(&[]).is_err());
}

#[test]
fn dedup_answers_parse_as_shards_listing_the_xorb() {
    let a = pseudo(9_000, 6);
    let (xh, body, _) = build::xorb(&[&a, &a[..100]]);
    let index = check_xorb(&xh, &body).expect("valid").index;
    let shard = dedup_shard(&xh, &index).expect("builds");
    let s = parse_shard(&shard).expect("parses");
    assert!(s.files.is_empty());
    assert_eq!(s.xorbs.len(), 1);
    assert!(check_listing(&s.xorbs[0], &index).is_ok());
}

#[test]
fn hashes_are_64_lowercase_hex() {
    assert!(parse_hash(&"a".repeat(64)).is_ok());
    assert!(parse_hash(&"A".repeat(64)).is_err());
    assert!(parse_hash(&"a".repeat(63)).is_err());
    assert!(parse_hash("../../etc/passwd").is_err());
}
