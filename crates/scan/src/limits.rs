//! Resource limits. Hitting any of them ends in `unsafe` (fail closed), never in "skipped".

/// Bounds on work and memory for one scan. The defaults accept every benign file we know of
/// (e.g. 20 000-tensor checkpoints) while keeping memory independent of tensor payload size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Pickle stack entries (values above all marks).
    pub max_stack: usize,
    /// Pickle mark-stack depth.
    pub max_marks: usize,
    /// Pickle memo entries.
    pub max_memo: usize,
    /// Emulated objects created by one pickle.
    pub max_objects: usize,
    /// Longest protocol-0 text argument (`GLOBAL`, `INT`, `STRING` …).
    pub max_line: usize,
    /// Strings and bytes up to this length are kept for analysis; longer ones are streamed.
    pub retain_bytes: usize,
    /// Nesting of containers inside containers (archives, compression, nested pickles).
    pub max_depth: u8,
    /// Members of one archive.
    pub max_members: u64,
    /// Size of a zip central directory that is buffered for cross-checking.
    pub max_central_directory: u64,
    /// Total bytes produced by decompression within one file.
    pub max_decompressed: u64,
    /// Metadata header buffered for a format that needs it whole (safetensors JSON, GGUF KV,
    /// Keras `config.json`).
    pub max_header: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_stack: 16 << 20,
            max_marks: 1 << 16,
            max_memo: 32 << 20,
            max_objects: 32 << 20,
            max_line: 1 << 20,
            retain_bytes: 64 << 10,
            max_depth: 6,
            max_members: 200_000,
            max_central_directory: 64 << 20,
            max_decompressed: 64 << 30,
            max_header: 100_000_000,
        }
    }
}
