use std::{path::PathBuf, pin::Pin, sync::Arc};

use bytes::Bytes;
use futures::{Stream, StreamExt};
use object_store::{
    GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart,
    local::LocalFileSystem, memory::InMemory, path::Path,
};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use crate::{Error, Result};

pub type ByteStream = Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send>>;

/// Content store. Keys are derived from hashes, so a key's bytes never change once written.
#[derive(Clone, Debug)]
pub struct Objects {
    store: Arc<dyn ObjectStore>,
    /// Set when the store is a local folder: downloads then read the file directly with large
    /// buffers, which is several times faster than object_store's 8 KiB local reads.
    local_root: Option<PathBuf>,
}

/// Reads in 1 MiB pieces: below ~256 KiB per read, serving speed collapses (see stack.md §4).
const READ_CHUNK: usize = 1 << 20;

impl Objects {
    pub fn local(root: impl Into<PathBuf>) -> Result<Self> {
        let root = root.into();
        std::fs::create_dir_all(&root)?;
        let root = root.canonicalize()?;
        let store = LocalFileSystem::new_with_prefix(&root)?.with_automatic_cleanup(true);
        Ok(Self {
            store: Arc::new(store),
            local_root: Some(root),
        })
    }

    pub fn in_memory() -> Self {
        Self {
            store: Arc::new(InMemory::new()),
            local_root: None,
        }
    }

    pub async fn put(&self, key: &str, data: Bytes) -> Result<()> {
        self.store
            .put(&Path::from(key), PutPayload::from(data))
            .await?;
        Ok(())
    }

    pub async fn get(&self, key: &str) -> Result<Bytes> {
        match self.store.get(&Path::from(key)).await {
            Ok(r) => Ok(r.bytes().await?),
            Err(object_store::Error::NotFound { .. }) => Err(Error::NotFound),
            Err(e) => Err(e.into()),
        }
    }

    /// Size of the object, or `None` when absent.
    pub async fn size(&self, key: &str) -> Result<Option<u64>> {
        match self.store.head(&Path::from(key)).await {
            Ok(m) => Ok(Some(m.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn delete(&self, key: &str) -> Result<()> {
        match self.store.delete(&Path::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Moves an object to a new key (atomic on a local folder).
    pub async fn rename(&self, from: &str, to: &str) -> Result<()> {
        self.store
            .rename(&Path::from(from), &Path::from(to))
            .await?;
        Ok(())
    }

    /// On a local folder, a file to write `key` at `offset`: the parts of a multipart upload go
    /// straight to their place in one file (no second copy). `None` on other stores.
    pub async fn open_at(&self, key: &str, offset: u64) -> Result<Option<tokio::fs::File>> {
        let Some(root) = &self.local_root else {
            return Ok(None);
        };
        let path = root.join(key);
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await?;
        }
        let mut f = tokio::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .await?;
        f.seek(std::io::SeekFrom::Start(offset)).await?;
        Ok(Some(f))
    }

    /// Makes a local object durable (fsync); other stores are durable once a write returns.
    pub async fn sync(&self, key: &str) -> Result<()> {
        if let Some(root) = &self.local_root {
            tokio::fs::File::open(root.join(key))
                .await?
                .sync_all()
                .await?;
        }
        Ok(())
    }

    pub fn is_local(&self) -> bool {
        self.local_root.is_some()
    }

    /// Writes the concatenation of `parts` to `dest`. On a local folder the kernel copies the
    /// bytes (`copy_file_range`); elsewhere they stream through this process.
    pub async fn concat(&self, parts: &[String], dest: &str) -> Result<()> {
        if let Some(root) = self.local_root.clone() {
            let parts: Vec<PathBuf> = parts.iter().map(|p| root.join(p)).collect();
            let dest = root.join(dest);
            return tokio::task::spawn_blocking(move || -> Result<()> {
                if let Some(dir) = dest.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                let mut out = std::fs::File::create(&dest)?;
                for p in &parts {
                    let mut f = match std::fs::File::open(p) {
                        Ok(f) => f,
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                            return Err(Error::NotFound);
                        }
                        Err(e) => return Err(e.into()),
                    };
                    std::io::copy(&mut f, &mut out)?;
                }
                out.sync_all()?;
                Ok(())
            })
            .await
            .map_err(|e| Error::Io(std::io::Error::other(e)))?;
        }
        let mut up = self.upload(dest).await?;
        for p in parts {
            let mut s = self.read(p, None).await?;
            while let Some(chunk) = s.next().await {
                up.write(&chunk?).await?;
            }
        }
        up.finish().await
    }

    /// Starts a streamed write. Nothing is visible under `key` until [`Upload::finish`]; an
    /// upload dropped or aborted half-way leaves nothing behind.
    pub async fn upload(&self, key: &str) -> Result<Upload> {
        let inner = self.store.put_multipart(&Path::from(key)).await?;
        Ok(Upload {
            writer: Some(WriteMultipart::new_with_chunk_size(inner, 8 << 20)),
        })
    }

    /// Streams `range` (or everything) of an object.
    pub async fn read(&self, key: &str, range: Option<std::ops::Range<u64>>) -> Result<ByteStream> {
        if let Some(root) = &self.local_root {
            let path = root.join(key);
            let mut file = match tokio::fs::File::open(&path).await {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(Error::NotFound),
                Err(e) => return Err(e.into()),
            };
            let (start, len) = match range {
                Some(r) => (r.start, r.end - r.start),
                None => (0, file.metadata().await?.len()),
            };
            file.seek(std::io::SeekFrom::Start(start)).await?;
            file.set_max_buf_size(READ_CHUNK);
            let stream = futures::stream::try_unfold((file, len), |(mut file, left)| async move {
                if left == 0 {
                    return Ok(None);
                }
                let want = left.min(READ_CHUNK as u64) as usize;
                let mut buf = vec![0u8; want];
                let mut filled = 0;
                while filled < want {
                    let n = file.read(&mut buf[filled..]).await?;
                    if n == 0 {
                        return Err(std::io::Error::new(
                            std::io::ErrorKind::UnexpectedEof,
                            "object shorter than recorded",
                        ));
                    }
                    filled += n;
                }
                Ok(Some((Bytes::from(buf), (file, left - want as u64))))
            });
            return Ok(Box::pin(stream));
        }
        let opts = GetOptions {
            range: range.map(|r| GetRange::Bounded(r.start..r.end)),
            ..Default::default()
        };
        let res = match self.store.get_opts(&Path::from(key), opts).await {
            Ok(r) => r,
            Err(object_store::Error::NotFound { .. }) => return Err(Error::NotFound),
            Err(e) => return Err(e.into()),
        };
        Ok(Box::pin(
            res.into_stream().map(|r| r.map_err(std::io::Error::other)),
        ))
    }
}

/// A streamed write in progress; see [`Objects::upload`].
pub struct Upload {
    writer: Option<WriteMultipart>,
}

impl Upload {
    pub async fn write(&mut self, data: &[u8]) -> Result<()> {
        if let Some(w) = self.writer.as_mut() {
            w.wait_for_capacity(4).await?;
            w.write(data);
        }
        Ok(())
    }

    pub async fn finish(mut self) -> Result<()> {
        if let Some(w) = self.writer.take() {
            w.finish().await?;
        }
        Ok(())
    }

    pub async fn abort(mut self) -> Result<()> {
        if let Some(w) = self.writer.take() {
            w.abort().await?;
        }
        Ok(())
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        // An upload dropped mid-way (client went away) must not leave a staging file behind.
        if let Some(w) = self.writer.take() {
            tokio::spawn(async move {
                let _ = w.abort().await;
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn collect(mut s: ByteStream) -> Vec<u8> {
        let mut out = Vec::new();
        while let Some(b) = s.next().await {
            out.extend_from_slice(&b.expect("chunk"));
        }
        out
    }

    #[tokio::test]
    async fn a_finished_upload_is_readable_whole_and_by_range() {
        let dir = tempfile::tempdir().expect("tmp");
        let objects = Objects::local(dir.path()).expect("store");
        let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        let mut up = objects.upload("lfs/ab/cd").await.expect("start");
        for chunk in data.chunks(700_000) {
            up.write(chunk).await.expect("write");
        }
        up.finish().await.expect("finish");
        assert_eq!(
            objects.size("lfs/ab/cd").await.expect("head"),
            Some(3_000_000)
        );
        assert_eq!(
            collect(objects.read("lfs/ab/cd", None).await.expect("read")).await,
            data
        );
        let part = collect(
            objects
                .read("lfs/ab/cd", Some(1_000_000..2_500_001))
                .await
                .expect("read"),
        )
        .await;
        assert_eq!(part, &data[1_000_000..2_500_001]);
    }

    #[tokio::test]
    async fn an_aborted_upload_leaves_nothing_visible() {
        let dir = tempfile::tempdir().expect("tmp");
        let objects = Objects::local(dir.path()).expect("store");
        let mut up = objects.upload("lfs/x").await.expect("start");
        up.write(b"partial").await.expect("write");
        up.abort().await.expect("abort");
        assert_eq!(objects.size("lfs/x").await.expect("head"), None);
        assert!(matches!(objects.get("lfs/x").await, Err(Error::NotFound)));
    }
}
