//! Git's object model with real git ids: an object's id is the SHA-1 of `"<type> <len>\0" + body`.
//!
//! Only the body is stored (the type is always known from where the id was found), so a blob's
//! size is the stored object's size.

use std::fmt;

use sha1::{Digest, Sha1};

use crate::Error;

#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectId(pub [u8; 20]);

impl ObjectId {
    pub fn hash(kind: Kind, body: &[u8]) -> Self {
        let mut h = Sha1::new();
        h.update(kind.as_str().as_bytes());
        h.update(b" ");
        h.update(body.len().to_string().as_bytes());
        h.update([0u8]);
        h.update(body);
        ObjectId(h.finalize().into())
    }

    pub fn parse(hex_str: &str) -> Option<Self> {
        if hex_str.len() != 40
            || !hex_str
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return None;
        }
        let mut out = [0u8; 20];
        hex::decode_to_slice(hex_str, &mut out).ok()?;
        Some(ObjectId(out))
    }

    pub fn hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Object-store key: fanned out like git's own loose objects.
    pub fn key(&self) -> String {
        let h = self.hex();
        format!("git/{}/{}", &h[..2], &h[2..])
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.hex())
    }
}

impl fmt::Debug for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ObjectId({})", self.hex())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Blob,
    Tree,
    Commit,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Blob => "blob",
            Kind::Tree => "tree",
            Kind::Commit => "commit",
        }
    }
}

pub const MODE_FILE: &str = "100644";
pub const MODE_DIR: &str = "40000";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreeEntry {
    pub name: String,
    pub is_dir: bool,
    pub id: ObjectId,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tree {
    /// In git's order (see [`Tree::sort`]).
    pub entries: Vec<TreeEntry>,
}

impl Tree {
    /// Git orders entries bytewise, comparing a directory as if its name ended in `/`.
    pub fn sort(&mut self) {
        fn sort_key(e: &TreeEntry) -> Vec<u8> {
            let mut k = e.name.as_bytes().to_vec();
            if e.is_dir {
                k.push(b'/');
            }
            k
        }
        self.entries.sort_by_cached_key(sort_key);
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.entries.len() * 40);
        for e in &self.entries {
            out.extend_from_slice(if e.is_dir { MODE_DIR } else { MODE_FILE }.as_bytes());
            out.push(b' ');
            out.extend_from_slice(e.name.as_bytes());
            out.push(0);
            out.extend_from_slice(&e.id.0);
        }
        out
    }

    pub fn decode(body: &[u8]) -> Result<Self, Error> {
        let bad = || Error::Corrupt("malformed tree object".into());
        let mut entries = Vec::new();
        let mut rest = body;
        while !rest.is_empty() {
            let sp = rest.iter().position(|&b| b == b' ').ok_or_else(bad)?;
            let mode = &rest[..sp];
            rest = &rest[sp + 1..];
            let nul = rest.iter().position(|&b| b == 0).ok_or_else(bad)?;
            let name = std::str::from_utf8(&rest[..nul])
                .map_err(|_| bad())?
                .to_owned();
            rest = &rest[nul + 1..];
            if rest.len() < 20 {
                return Err(bad());
            }
            let mut id = [0u8; 20];
            id.copy_from_slice(&rest[..20]);
            rest = &rest[20..];
            entries.push(TreeEntry {
                name,
                is_dir: mode == MODE_DIR.as_bytes(),
                id: ObjectId(id),
            });
        }
        Ok(Tree { entries })
    }

    pub fn get(&self, name: &str) -> Option<&TreeEntry> {
        self.entries.iter().find(|e| e.name == name)
    }
}

/// `Name <email> <unix seconds> +0000`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signature {
    pub name: String,
    pub email: String,
    pub seconds: i64,
}

impl Signature {
    fn encode(&self) -> String {
        // Angle brackets and newlines would break the header line; git strips them too.
        let clean = |s: &str| {
            s.chars()
                .filter(|c| !matches!(c, '<' | '>' | '\n' | '\r' | '\0'))
                .collect::<String>()
        };
        format!(
            "{} <{}> {} +0000",
            clean(&self.name),
            clean(&self.email),
            self.seconds
        )
    }

    fn decode(s: &str) -> Option<Self> {
        let lt = s.find('<')?;
        let gt = s.rfind('>')?;
        let name = s[..lt].trim_end().to_owned();
        let email = s[lt + 1..gt].to_owned();
        let seconds = s[gt + 1..].split_whitespace().next()?.parse().ok()?;
        Some(Signature {
            name,
            email,
            seconds,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Commit {
    pub tree: ObjectId,
    pub parents: Vec<ObjectId>,
    pub author: Signature,
    pub committer: Signature,
    pub message: String,
}

impl Commit {
    pub fn encode(&self) -> Vec<u8> {
        let mut s = format!("tree {}\n", self.tree);
        for p in &self.parents {
            s.push_str(&format!("parent {p}\n"));
        }
        s.push_str(&format!("author {}\n", self.author.encode()));
        s.push_str(&format!("committer {}\n\n", self.committer.encode()));
        s.push_str(&self.message);
        s.into_bytes()
    }

    pub fn decode(body: &[u8]) -> Result<Self, Error> {
        let bad = || Error::Corrupt("malformed commit object".into());
        let text = std::str::from_utf8(body).map_err(|_| bad())?;
        let (headers, message) = text.split_once("\n\n").unwrap_or((text, ""));
        let (mut tree, mut parents, mut author, mut committer) = (None, Vec::new(), None, None);
        for line in headers.lines() {
            let (k, v) = line.split_once(' ').ok_or_else(bad)?;
            match k {
                "tree" => tree = ObjectId::parse(v),
                "parent" => parents.push(ObjectId::parse(v).ok_or_else(bad)?),
                "author" => author = Signature::decode(v),
                "committer" => committer = Signature::decode(v),
                _ => {}
            }
        }
        Ok(Commit {
            tree: tree.ok_or_else(bad)?,
            parents,
            author: author.ok_or_else(bad)?,
            committer: committer.ok_or_else(bad)?,
            message: message.to_owned(),
        })
    }

    /// First line of the message.
    pub fn title(&self) -> &str {
        self.message.lines().next().unwrap_or("")
    }

    /// Everything after the title and the blank line that follows it.
    pub fn body(&self) -> &str {
        match self.message.split_once('\n') {
            Some((_, rest)) => rest.trim_start_matches('\n').trim_end_matches('\n'),
            None => "",
        }
    }
}

/// Message in git's shape: summary, blank line, description, final newline.
pub fn message(summary: &str, description: &str) -> String {
    let summary = summary.trim();
    let description = description.trim();
    if description.is_empty() {
        format!("{summary}\n")
    } else {
        format!("{summary}\n\n{description}\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_ids_match_git() {
        // `printf 'hello\n' | git hash-object --stdin`
        assert_eq!(
            ObjectId::hash(Kind::Blob, b"hello\n").hex(),
            "ce013625030ba8dba906f756967f9e9ca394464a"
        );
        // The empty tree every git knows.
        assert_eq!(
            ObjectId::hash(Kind::Tree, &Tree::default().encode()).hex(),
            "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
        );
    }

    #[test]
    fn directories_sort_as_if_they_ended_in_a_slash() {
        let id = ObjectId([0; 20]);
        let mut t = Tree {
            entries: vec![
                TreeEntry {
                    name: "a.txt".into(),
                    is_dir: false,
                    id,
                },
                TreeEntry {
                    name: "a".into(),
                    is_dir: true,
                    id,
                },
                TreeEntry {
                    name: "a-b".into(),
                    is_dir: false,
                    id,
                },
            ],
        };
        t.sort();
        let names: Vec<_> = t.entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["a-b", "a.txt", "a"]);
        assert_eq!(Tree::decode(&t.encode()).expect("decode"), t);
    }

    #[test]
    fn commits_round_trip() {
        let sig = Signature {
            name: "Ada".into(),
            email: "ada@example.org".into(),
            seconds: 1_700_000_000,
        };
        let c = Commit {
            tree: ObjectId([1; 20]),
            parents: vec![ObjectId([2; 20])],
            author: sig.clone(),
            committer: sig,
            message: message("Add weights", "Trained for 3 epochs."),
        };
        let back = Commit::decode(&c.encode()).expect("decode");
        assert_eq!(back, c);
        assert_eq!(back.title(), "Add weights");
        assert_eq!(back.body(), "Trained for 3 epochs.");
    }
}
