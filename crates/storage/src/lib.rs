//! Where Agora keeps things.
//!
//! Two stores, kept apart on purpose:
//! - [`Objects`]: immutable content addressed by hash (git objects, LFS files, upload staging),
//!   behind `object_store` so a local folder and S3 are the same to everything above.
//! - [`Meta`]: the metadata store (accounts, tokens, repositories, refs, commit index), behind
//!   the [`Meta`] trait; [`sqlite::SqliteMeta`] implements it today.
//!
//! Invariant: objects are written before any metadata that points at them, so a crash leaves at
//! worst unreferenced objects, never a reference to something missing.

pub mod access;
mod error;
pub mod meta;
pub mod model;
mod objects;
pub mod sqlite;
mod sqlite_access;
pub mod web;
pub mod xet;

pub use access::AccessStore;
pub use error::{Error, Result};
pub use meta::Meta;
pub use objects::{ByteStream, Objects, Upload};
pub use xet::XetMeta;

/// Milliseconds since the Unix epoch, the one clock every table uses.
pub fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// `2024-05-01T12:00:00.000Z`: the only date shape the Hub's clients parse (they reject `+00:00`).
pub fn format_ms(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let f = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    t.format(&f)
        .unwrap_or_else(|_| "1970-01-01T00:00:00.000Z".into())
}

/// `2024-05-01T12:00:00Z`: whole seconds, as SPDX 3 requires of its dates.
pub fn format_secs(secs: i64) -> String {
    let t =
        time::OffsetDateTime::from_unix_timestamp(secs).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let f = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    t.format(&f)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".into())
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates_end_in_z_with_milliseconds() {
        assert_eq!(super::format_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            super::format_ms(1_714_564_800_123),
            "2024-05-01T12:00:00.123Z"
        );
    }
}
