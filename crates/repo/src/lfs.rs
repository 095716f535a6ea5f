//! Git LFS pointers: the small text a git tree holds in place of a large file.

const VERSION: &str = "version https://git-lfs.github.com/spec/v1";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pointer {
    /// Lower-case hex SHA-256 of the content.
    pub oid: String,
    pub size: u64,
}

impl Pointer {
    pub fn encode(&self) -> String {
        format!("{VERSION}\noid sha256:{}\nsize {}\n", self.oid, self.size)
    }

    /// Parses a pointer in its canonical form only, so that a file is a pointer exactly when
    /// re-encoding it gives back the same bytes.
    pub fn parse(data: &[u8]) -> Option<Self> {
        if data.len() > 200 || !data.starts_with(VERSION.as_bytes()) {
            return None;
        }
        let text = std::str::from_utf8(data).ok()?;
        let mut lines = text.strip_suffix('\n')?.split('\n');
        lines.next()?;
        let oid = lines.next()?.strip_prefix("oid sha256:")?;
        let size = lines.next()?.strip_prefix("size ")?;
        if lines.next().is_some() || !is_sha256(oid) {
            return None;
        }
        let p = Pointer {
            oid: oid.to_owned(),
            size: size.parse().ok()?,
        };
        (p.encode().as_bytes() == data).then_some(p)
    }

    /// Where the content lives in the object store.
    pub fn key(&self) -> String {
        content_key(&self.oid)
    }
}

pub fn content_key(oid: &str) -> String {
    format!("lfs/{}/{}/{}", &oid[..2], &oid[2..4], oid)
}

pub fn is_sha256(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_round_trip_and_only_canonical_text_parses() {
        let p = Pointer {
            oid: "a".repeat(64),
            size: 42,
        };
        assert_eq!(Pointer::parse(p.encode().as_bytes()), Some(p.clone()));
        assert_eq!(
            Pointer::parse(p.encode().replace("size 42", "size 042").as_bytes()),
            None
        );
        assert_eq!(Pointer::parse(p.encode().trim_end().as_bytes()), None);
        assert_eq!(Pointer::parse(b"hello"), None);
    }
}
