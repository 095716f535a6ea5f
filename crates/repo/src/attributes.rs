//! Which paths are stored through LFS (`.gitattributes`) and which are ignored (`.gitignore`).

use ignore::gitignore::{Gitignore, GitignoreBuilder};

/// The `.gitattributes` every new model repository starts with, as on the Hub.
pub const MODEL_GITATTRIBUTES: &str = "\
*.7z filter=lfs diff=lfs merge=lfs -text
*.arrow filter=lfs diff=lfs merge=lfs -text
*.bin filter=lfs diff=lfs merge=lfs -text
*.bz2 filter=lfs diff=lfs merge=lfs -text
*.ckpt filter=lfs diff=lfs merge=lfs -text
*.ftz filter=lfs diff=lfs merge=lfs -text
*.gz filter=lfs diff=lfs merge=lfs -text
*.h5 filter=lfs diff=lfs merge=lfs -text
*.joblib filter=lfs diff=lfs merge=lfs -text
*.lfs.* filter=lfs diff=lfs merge=lfs -text
*.mlmodel filter=lfs diff=lfs merge=lfs -text
*.model filter=lfs diff=lfs merge=lfs -text
*.msgpack filter=lfs diff=lfs merge=lfs -text
*.npy filter=lfs diff=lfs merge=lfs -text
*.npz filter=lfs diff=lfs merge=lfs -text
*.onnx filter=lfs diff=lfs merge=lfs -text
*.ot filter=lfs diff=lfs merge=lfs -text
*.parquet filter=lfs diff=lfs merge=lfs -text
*.pb filter=lfs diff=lfs merge=lfs -text
*.pickle filter=lfs diff=lfs merge=lfs -text
*.pkl filter=lfs diff=lfs merge=lfs -text
*.pt filter=lfs diff=lfs merge=lfs -text
*.pth filter=lfs diff=lfs merge=lfs -text
*.rar filter=lfs diff=lfs merge=lfs -text
*.safetensors filter=lfs diff=lfs merge=lfs -text
saved_model/**/* filter=lfs diff=lfs merge=lfs -text
*.tar.* filter=lfs diff=lfs merge=lfs -text
*.tar filter=lfs diff=lfs merge=lfs -text
*.tflite filter=lfs diff=lfs merge=lfs -text
*.tgz filter=lfs diff=lfs merge=lfs -text
*.wasm filter=lfs diff=lfs merge=lfs -text
*.xz filter=lfs diff=lfs merge=lfs -text
*.zip filter=lfs diff=lfs merge=lfs -text
*.zst filter=lfs diff=lfs merge=lfs -text
*tfevents* filter=lfs diff=lfs merge=lfs -text
";

/// Datasets add compressed shards and media.
pub const DATASET_GITATTRIBUTES_EXTRA: &str = "\
*.lz4 filter=lfs diff=lfs merge=lfs -text
*.mds filter=lfs diff=lfs merge=lfs -text
# Audio files - uncompressed
*.pcm filter=lfs diff=lfs merge=lfs -text
*.sam filter=lfs diff=lfs merge=lfs -text
*.raw filter=lfs diff=lfs merge=lfs -text
# Audio files - compressed
*.aac filter=lfs diff=lfs merge=lfs -text
*.flac filter=lfs diff=lfs merge=lfs -text
*.mp3 filter=lfs diff=lfs merge=lfs -text
*.ogg filter=lfs diff=lfs merge=lfs -text
*.wav filter=lfs diff=lfs merge=lfs -text
# Image files - uncompressed
*.bmp filter=lfs diff=lfs merge=lfs -text
*.gif filter=lfs diff=lfs merge=lfs -text
*.png filter=lfs diff=lfs merge=lfs -text
*.tiff filter=lfs diff=lfs merge=lfs -text
# Image files - compressed
*.jpg filter=lfs diff=lfs merge=lfs -text
*.jpeg filter=lfs diff=lfs merge=lfs -text
*.webp filter=lfs diff=lfs merge=lfs -text
# Video files - compressed
*.mp4 filter=lfs diff=lfs merge=lfs -text
*.webm filter=lfs diff=lfs merge=lfs -text
";

/// LFS rules of a `.gitattributes` file: the last line matching a path decides.
pub struct LfsRules(Gitignore);

impl LfsRules {
    pub fn parse(text: &str) -> Self {
        let mut b = GitignoreBuilder::new("");
        for line in text.lines().take(10_000) {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut parts = line.split_whitespace();
            let Some(pattern) = parts.next() else {
                continue;
            };
            let mut lfs = None;
            for attr in parts {
                match attr {
                    "filter=lfs" => lfs = Some(true),
                    "-filter" | "!filter" => lfs = Some(false),
                    a if a.starts_with("filter=") => lfs = Some(false),
                    _ => {}
                }
            }
            // A line that sets LFS is an "ignore" rule; one that unsets it, a negation.
            let _ = match lfs {
                Some(true) => b.add_line(None, pattern),
                Some(false) => b.add_line(None, &format!("!{pattern}")),
                None => continue,
            };
        }
        LfsRules(b.build().unwrap_or_else(|_| Gitignore::empty()))
    }

    pub fn is_lfs(&self, path: &str) -> bool {
        self.0.matched(path, false).is_ignore()
    }
}

/// A `.gitignore` file: `shouldIgnore` in preupload.
pub struct IgnoreRules(Gitignore);

impl IgnoreRules {
    pub fn parse(text: &str) -> Self {
        let mut b = GitignoreBuilder::new("");
        for line in text.lines().take(10_000) {
            let _ = b.add_line(None, line);
        }
        IgnoreRules(b.build().unwrap_or_else(|_| Gitignore::empty()))
    }

    pub fn is_ignored(&self, path: &str) -> bool {
        self.0.matched_path_or_any_parents(path, false).is_ignore()
    }
}

pub fn default_gitattributes(kind: agora_storage::model::RepoType) -> String {
    match kind {
        agora_storage::model::RepoType::Model => MODEL_GITATTRIBUTES.to_owned(),
        agora_storage::model::RepoType::Dataset => {
            format!("{MODEL_GITATTRIBUTES}{DATASET_GITATTRIBUTES_EXTRA}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_rules_send_weights_to_lfs_and_text_to_git() {
        let r = LfsRules::parse(MODEL_GITATTRIBUTES);
        for lfs in [
            "model.safetensors",
            "sub/pytorch_model.bin",
            "saved_model/variables/x",
            "events.out.tfevents.1",
            "a.tar.gz",
        ] {
            assert!(r.is_lfs(lfs), "{lfs}");
        }
        for git in ["README.md", "config.json", "tokenizer.json", "binary"] {
            assert!(!r.is_lfs(git), "{git}");
        }
    }

    #[test]
    fn later_lines_override_earlier_ones() {
        let r = LfsRules::parse("*.bin filter=lfs diff=lfs merge=lfs -text\nsmall.bin -filter\n");
        assert!(r.is_lfs("big.bin"));
        assert!(!r.is_lfs("small.bin"));
    }

    #[test]
    fn gitignore_matches_files_and_folders() {
        let r = IgnoreRules::parse("*.log\nbuild/\n");
        assert!(r.is_ignored("debug.log"));
        assert!(r.is_ignored("build/out.txt"));
        assert!(!r.is_ignored("src/main.py"));
    }
}
