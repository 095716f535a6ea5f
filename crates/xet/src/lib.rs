//! The Xet formats, as Agora's CAS checks them: xorbs (chunks of content, compressed), shards
//! (which files are made of which chunk ranges of which xorbs) and their hashes.
//!
//! Formats and hashes come from Hugging Face's own `xet-core-structures`; this crate adds what a
//! server needs on top: everything a client sends is hostile, so every hash is recomputed and
//! every length and index is checked before anything is trusted. No I/O here.

mod error;

use std::io::Cursor;

pub use error::{Error, Result};
pub use xet_core_structures::merklehash::MerkleHash;
use xet_core_structures::{
    merklehash,
    metadata_shard::{
        hash_is_global_dedup_eligible,
        shard_in_memory::MDBInMemoryShard,
        streaming_shard::MDBMinimalShard,
        xorb_structs::{MDBXorbInfo, XorbChunkSequenceEntry, XorbChunkSequenceHeader},
    },
    xorb_object::{self, XorbChunkHeader},
};

/// Largest chunk the chunker produces (128 KiB); anything larger is not a real client's.
pub const MAX_CHUNK: u32 = 128 << 10;
/// Largest xorb body accepted: 64 MiB of chunks plus headers and a footer.
pub const MAX_XORB_BYTES: usize = (64 << 20) + (8 << 20);
/// Most chunks in one xorb.
pub const MAX_XORB_CHUNKS: usize = 8 * 1024;

/// A 64-hex Xet hash (lowercase, as the CAS API writes them) to a hash.
pub fn parse_hash(hex: &str) -> Result<MerkleHash> {
    if hex.len() != 64 || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Err(Error::BadHash(hex.chars().take(80).collect()));
    }
    MerkleHash::from_hex(hex).map_err(|_| Error::BadHash(hex.to_owned()))
}

/// One chunk of a stored xorb.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chunk {
    pub hash: MerkleHash,
    /// End of the chunk (header and compressed bytes) in the stored xorb.
    pub end: u32,
    /// End of the chunk's content if every chunk before it were decompressed.
    pub unpacked_end: u32,
}

/// Where every chunk of a xorb is: computed by the server from the xorb's bytes, never taken
/// from a client.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct XorbIndex {
    pub chunks: Vec<Chunk>,
}

const CHUNK_RECORD: usize = 32 + 4 + 4;

impl XorbIndex {
    pub fn len(&self) -> usize {
        self.chunks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }

    /// Byte range of chunks `[a, b)` in the stored xorb.
    pub fn byte_range(&self, a: usize, b: usize) -> std::ops::Range<u64> {
        let start = if a == 0 { 0 } else { self.chunks[a - 1].end };
        start as u64..self.chunks[b - 1].end as u64
    }

    /// Where chunk `i` starts in the xorb's decompressed content.
    pub fn unpacked_start(&self, i: usize) -> u64 {
        if i == 0 {
            0
        } else {
            self.chunks[i - 1].unpacked_end as u64
        }
    }

    /// Content length of chunk `i`.
    pub fn chunk_len(&self, i: usize) -> u64 {
        let start = if i == 0 {
            0
        } else {
            self.chunks[i - 1].unpacked_end
        };
        (self.chunks[i].unpacked_end - start) as u64
    }

    /// Content length of chunks `[a, b)`.
    pub fn unpacked_len(&self, a: usize, b: usize) -> u64 {
        let start = if a == 0 {
            0
        } else {
            self.chunks[a - 1].unpacked_end
        };
        (self.chunks[b - 1].unpacked_end - start) as u64
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.chunks.len() * CHUNK_RECORD);
        for c in &self.chunks {
            out.extend_from_slice(c.hash.as_bytes());
            out.extend_from_slice(&c.end.to_le_bytes());
            out.extend_from_slice(&c.unpacked_end.to_le_bytes());
        }
        out
    }

    pub fn decode(b: &[u8]) -> Result<Self> {
        if !b.len().is_multiple_of(CHUNK_RECORD) {
            return Err(Error::Corrupt("xorb index length".into()));
        }
        let chunks = b
            .chunks_exact(CHUNK_RECORD)
            .map(|r| {
                let mut h = [0u8; 32];
                h.copy_from_slice(&r[..32]);
                Chunk {
                    hash: MerkleHash::from(h),
                    end: u32::from_le_bytes([r[32], r[33], r[34], r[35]]),
                    unpacked_end: u32::from_le_bytes([r[36], r[37], r[38], r[39]]),
                }
            })
            .collect();
        Ok(XorbIndex { chunks })
    }
}

/// A xorb whose bytes were checked against its hash: what to store (the chunks followed by a
/// footer the server wrote) and where its chunks are.
pub struct CheckedXorb {
    pub stored: Vec<u8>,
    pub index: XorbIndex,
}

/// Checks a xorb as uploaded (clients send it without a footer; one they send is ignored and
/// rewritten): every chunk header is sane, every chunk decompresses, and the merkle hash of the
/// chunk hashes is `claimed`.
pub fn check_xorb(claimed: &MerkleHash, body: &[u8]) -> Result<CheckedXorb> {
    if body.is_empty() {
        return Err(Error::BadXorb("empty xorb".into()));
    }
    if body.len() > MAX_XORB_BYTES {
        return Err(Error::BadXorb(format!(
            "larger than {MAX_XORB_BYTES} bytes"
        )));
    }
    // Bound every chunk before anything is decompressed: a chunk header names its lengths, and
    // a decompressor fed a hostile frame must not be able to allocate beyond them.
    let mut at = 0usize;
    let mut n = 0usize;
    while at + xorb_object::XORB_CHUNK_HEADER_LENGTH <= body.len() {
        let mut r = Cursor::new(&body[at..]);
        let h: XorbChunkHeader = match xorb_object::deserialize_chunk_header(&mut r) {
            Ok(h) => h,
            // A footer (or trailing bytes) ends the chunks, as in the reference reader.
            Err(_) => break,
        };
        if h.get_uncompressed_length() == 0 || h.get_uncompressed_length() > MAX_CHUNK {
            return Err(Error::BadXorb(format!(
                "chunk {n} declares {} bytes (at most {MAX_CHUNK})",
                h.get_uncompressed_length()
            )));
        }
        if h.get_compressed_length() > 2 * MAX_CHUNK {
            return Err(Error::BadXorb(format!("chunk {n} is too large compressed")));
        }
        at += xorb_object::XORB_CHUNK_HEADER_LENGTH + h.get_compressed_length() as usize;
        n += 1;
        if n > MAX_XORB_CHUNKS {
            return Err(Error::BadXorb(format!(
                "more than {MAX_XORB_CHUNKS} chunks"
            )));
        }
    }
    if at > body.len() {
        return Err(Error::BadXorb(
            "truncated: the last chunk is cut short".into(),
        ));
    }
    let mut stored = Vec::with_capacity(body.len() + 64 * n + 256);
    let (obj, hash) = xorb_object::reconstruct_xorb_with_footer(&mut stored, body)
        .map_err(|e| Error::BadXorb(e.to_string()))?;
    let info = &obj.info;
    if info.chunk_hashes.is_empty() {
        return Err(Error::BadXorb("no chunks".into()));
    }
    if hash != *claimed {
        return Err(Error::XorbHashMismatch {
            claimed: claimed.hex(),
            actual: hash.hex(),
        });
    }
    let mut prev = 0u32;
    let mut chunks = Vec::with_capacity(info.chunk_hashes.len());
    for (i, h) in info.chunk_hashes.iter().enumerate() {
        let (Some(&end), Some(&unpacked_end)) = (
            info.chunk_boundary_offsets.get(i),
            info.unpacked_chunk_offsets.get(i),
        ) else {
            return Err(Error::BadXorb("inconsistent chunk offsets".into()));
        };
        // What a chunk decompressed to, whatever its header claimed.
        if unpacked_end.saturating_sub(prev) > MAX_CHUNK || unpacked_end <= prev {
            return Err(Error::BadXorb(format!(
                "chunk {i} decompresses to a bad length"
            )));
        }
        prev = unpacked_end;
        chunks.push(Chunk {
            hash: *h,
            end,
            unpacked_end,
        });
    }
    Ok(CheckedXorb {
        stored,
        index: XorbIndex { chunks },
    })
}

/// Decompresses the chunks of a stored byte range (whole chunks, as [`XorbIndex::byte_range`]
/// gives them).
pub fn decode_chunks(stored: &[u8]) -> Result<Vec<u8>> {
    let (data, _) = xorb_object::deserialize_chunks(&mut Cursor::new(stored))
        .map_err(|e| Error::Corrupt(format!("stored chunks do not decode: {e}")))?;
    Ok(data)
}

/// One term of a file: chunks `[start, end)` of a xorb, `len` bytes once decompressed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Term {
    pub xorb: MerkleHash,
    pub start: u32,
    pub end: u32,
    pub len: u32,
}

const TERM_RECORD: usize = 32 + 12;

pub fn encode_terms(terms: &[Term]) -> Vec<u8> {
    let mut out = Vec::with_capacity(terms.len() * TERM_RECORD);
    for t in terms {
        out.extend_from_slice(t.xorb.as_bytes());
        out.extend_from_slice(&t.start.to_le_bytes());
        out.extend_from_slice(&t.end.to_le_bytes());
        out.extend_from_slice(&t.len.to_le_bytes());
    }
    out
}

pub fn decode_terms(b: &[u8]) -> Result<Vec<Term>> {
    if !b.len().is_multiple_of(TERM_RECORD) {
        return Err(Error::Corrupt("file terms length".into()));
    }
    Ok(b.chunks_exact(TERM_RECORD)
        .map(|r| {
            let mut h = [0u8; 32];
            h.copy_from_slice(&r[..32]);
            let u = |i: usize| u32::from_le_bytes([r[i], r[i + 1], r[i + 2], r[i + 3]]);
            Term {
                xorb: MerkleHash::from(h),
                start: u(32),
                end: u(36),
                len: u(40),
            }
        })
        .collect())
}

/// A file as a shard describes it (claims, until checked against stored xorbs).
#[derive(Clone, Debug)]
pub struct ShardFile {
    pub hash: MerkleHash,
    pub terms: Vec<Term>,
    /// The sha256 the client says the content has.
    pub sha256: Option<String>,
}

/// A xorb as a shard lists it (claims).
#[derive(Clone, Debug)]
pub struct ShardXorb {
    pub hash: MerkleHash,
    pub chunks: Vec<(MerkleHash, u32, u32)>,
    /// Chunks the client marks for global deduplication.
    pub flagged: Vec<MerkleHash>,
}

pub struct Shard {
    pub files: Vec<ShardFile>,
    pub xorbs: Vec<ShardXorb>,
}

/// Most files and xorbs one shard may describe.
pub const MAX_SHARD_ENTRIES: usize = 100_000;

/// Parses a shard as clients upload it (no footer; one that is present is not needed).
pub fn parse_shard(body: &[u8]) -> Result<Shard> {
    let shard = MDBMinimalShard::from_reader(&mut Cursor::new(body), true, true)
        .map_err(|e| Error::BadShard(e.to_string()))?;
    if shard.num_files() + shard.num_xorb() > MAX_SHARD_ENTRIES {
        return Err(Error::BadShard("too many entries".into()));
    }
    let mut files = Vec::with_capacity(shard.num_files());
    for i in 0..shard.num_files() {
        let Some(f) = shard.file(i) else { break };
        let terms = (0..f.num_entries())
            .map(|j| {
                let e = f.entry(j);
                Term {
                    xorb: e.xorb_hash,
                    start: e.chunk_index_start,
                    end: e.chunk_index_end,
                    len: e.unpacked_segment_bytes,
                }
            })
            .collect();
        files.push(ShardFile {
            hash: f.file_hash(),
            terms,
            sha256: f.metadata_ext().map(|m| sha256_hex(&m.sha256)),
        });
    }
    let mut xorbs = Vec::with_capacity(shard.num_xorb());
    for i in 0..shard.num_xorb() {
        let Some(x) = shard.xorb(i) else { break };
        let mut chunks = Vec::with_capacity(x.num_entries());
        let mut flagged = Vec::new();
        for j in 0..x.num_entries() {
            let c = x.chunk(j);
            if c.is_global_dedup_eligible() {
                flagged.push(c.chunk_hash);
            }
            chunks.push((
                c.chunk_hash,
                c.chunk_byte_range_start,
                c.unpacked_segment_bytes,
            ));
        }
        xorbs.push(ShardXorb {
            hash: x.xorb_hash(),
            chunks,
            flagged,
        });
    }
    Ok(Shard { files, xorbs })
}

/// The sha256 of a shard's metadata extension as the usual hex (clients build it with
/// `from_be_bytes`, so `hex` prints the digest in order).
fn sha256_hex(h: &MerkleHash) -> String {
    h.hex()
}

/// Checks a shard's listing of a xorb against the server's index of it: same chunks, same
/// hashes, lengths and places. `Err` names the first difference.
pub fn check_listing(x: &ShardXorb, index: &XorbIndex) -> std::result::Result<(), String> {
    if x.chunks.len() != index.len() {
        return Err(format!(
            "{} chunks listed, {} stored",
            x.chunks.len(),
            index.len()
        ));
    }
    for (i, (h, start, len)) in x.chunks.iter().enumerate() {
        // Shards place chunks by their offset in the xorb's decompressed content.
        let s = index.unpacked_start(i);
        if *h != index.chunks[i].hash || *start as u64 != s || *len as u64 != index.chunk_len(i) {
            return Err(format!(
                "chunk {i}: listed {} at {start} ({len} bytes), stored {} at {s} ({} bytes)",
                h.hex(),
                index.chunks[i].hash.hex(),
                index.chunk_len(i)
            ));
        }
    }
    Ok(())
}

/// The Xet hash of a file made of these chunks (hash, length).
pub fn file_hash(chunks: &[(MerkleHash, u64)]) -> MerkleHash {
    merklehash::file_hash(chunks)
}

/// Chunks the client will ask the global deduplication API about.
pub fn dedup_eligible(h: &MerkleHash) -> bool {
    hash_is_global_dedup_eligible(h)
}

/// A shard listing one xorb (no files): the answer to a global deduplication query, built from
/// the server's index, never from what a client once claimed.
pub fn dedup_shard(xorb: &MerkleHash, index: &XorbIndex) -> Result<Vec<u8>> {
    let mut shard = MDBInMemoryShard::default();
    let total = index.chunks.last().map(|c| c.unpacked_end).unwrap_or(0);
    let chunks = (0..index.len())
        .map(|i| {
            let h = index.chunks[i].hash;
            XorbChunkSequenceEntry::new(
                h,
                index.chunk_len(i) as u32,
                index.unpacked_start(i) as u32,
            )
            .with_global_dedup_flag(dedup_eligible(&h))
        })
        .collect();
    let mut header = XorbChunkSequenceHeader::new(*xorb, index.len() as u32, total);
    header.num_bytes_on_disk = index.chunks.last().map(|c| c.end).unwrap_or(0);
    shard
        .add_xorb_block(MDBXorbInfo {
            metadata: header,
            chunks,
        })
        .map_err(|e| Error::Corrupt(e.to_string()))?;
    shard.to_bytes().map_err(|e| Error::Corrupt(e.to_string()))
}

#[cfg(test)]
mod tests;

/// Builds what a client sends (xorbs and shards), for tests and benchmarks: the server's side
/// is checked against the reference format code rather than against itself.
pub mod build {
    use xet_core_structures::{
        merklehash::{self, MerkleHash, compute_data_hash},
        metadata_shard::{
            file_structs::{
                FileDataSequenceEntry, FileDataSequenceHeader, FileMetadataExt, MDBFileInfo,
            },
            shard_in_memory::MDBInMemoryShard,
            xorb_structs::{MDBXorbInfo, XorbChunkSequenceEntry, XorbChunkSequenceHeader},
        },
        xorb_object::{CompressionScheme, serialize_chunk},
    };

    /// A xorb of these chunks (LZ4 where it helps), without a footer, as clients upload it;
    /// with its hash and its shard listing.
    pub fn xorb(chunks: &[&[u8]]) -> (MerkleHash, Vec<u8>, MDBXorbInfo) {
        let mut body = Vec::new();
        let mut hashes = Vec::new();
        let mut entries = Vec::new();
        let mut unpacked = 0u32;
        for c in chunks {
            let h = compute_data_hash(c);
            let _ = serialize_chunk(c, &mut body, CompressionScheme::LZ4);
            hashes.push((h, c.len() as u64));
            entries.push(XorbChunkSequenceEntry::new(h, c.len() as u32, unpacked));
            unpacked += c.len() as u32;
        }
        let hash = merklehash::xorb_hash(&hashes);
        let info = MDBXorbInfo {
            metadata: XorbChunkSequenceHeader::new(hash, chunks.len() as u32, unpacked),
            chunks: entries,
        };
        (hash, body, info)
    }

    /// The Xet hash of a file made of these chunks.
    pub fn file_hash(chunks: &[&[u8]]) -> MerkleHash {
        let v: Vec<_> = chunks
            .iter()
            .map(|c| (compute_data_hash(c), c.len() as u64))
            .collect();
        merklehash::file_hash(&v)
    }

    /// A file of a shard: its hash, terms (xorb, first chunk, end chunk, bytes) and the sha256
    /// its shard claims (hex).
    pub struct File {
        pub hash: MerkleHash,
        pub terms: Vec<(MerkleHash, u32, u32, u32)>,
        pub sha256: Option<String>,
    }

    /// A shard describing `files` and listing `xorbs`.
    pub fn shard(files: &[File], xorbs: Vec<MDBXorbInfo>) -> Vec<u8> {
        let mut s = MDBInMemoryShard::default();
        for f in files {
            let sha = f
                .sha256
                .as_deref()
                .and_then(|h| MerkleHash::from_hex(h).ok());
            let _ = s.add_file_reconstruction_info(MDBFileInfo {
                metadata: FileDataSequenceHeader::new(f.hash, f.terms.len(), false, sha.is_some()),
                segments: f
                    .terms
                    .iter()
                    .map(|&(x, a, b, n)| FileDataSequenceEntry::new(x, n, a, b))
                    .collect(),
                verification: vec![],
                metadata_ext: sha.map(FileMetadataExt::new),
            });
        }
        for x in xorbs {
            let _ = s.add_xorb_block(x);
        }
        s.to_bytes().unwrap_or_default()
    }
}
