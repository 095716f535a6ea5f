//! Names that come from outside: repository ids and file paths. Everything is checked here,
//! once, before it reaches storage.

use crate::Error;

/// Checks a namespace or repository name the way the Hub does: letters, digits, `-`, `_`, `.`,
/// at most 96 characters, no leading or trailing `-`/`.`, no `--` or `..`.
pub fn check_name(name: &str) -> Result<(), Error> {
    let ok = !name.is_empty()
        && name.len() <= 96
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && !name.starts_with(['-', '.'])
        && !name.ends_with(['-', '.'])
        && !name.contains("--")
        && !name.contains("..")
        && !name.to_ascii_lowercase().ends_with(".git");
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidName(format!(
            "Invalid name {name:?}: use letters, digits, '-', '_' and '.', at most 96 characters, \
             not starting or ending with '-' or '.', without '--' or '..'"
        )))
    }
}

/// First path segments of the web interface and the API: an account by one of these names would
/// have its pages shadowed, so none may take them.
const RESERVED: &[&str] = &[
    "api",
    "datasets",
    "models",
    "spaces",
    "login",
    "logout",
    "join",
    "new",
    "settings",
    "organizations",
    "search",
    "docs",
    "static",
    "admin",
    "-",
];

/// Checks the name of a new account (user or organisation): [`check_name`], and not a name the
/// hub's own pages use.
pub fn check_account_name(name: &str) -> Result<(), Error> {
    check_name(name)?;
    if RESERVED.contains(&name.to_ascii_lowercase().as_str()) {
        return Err(Error::InvalidName(format!(
            "The name {name:?} is reserved for the hub's own pages"
        )));
    }
    Ok(())
}

/// Splits and checks `namespace/name`.
pub fn check_repo_id(id: &str) -> Result<(&str, &str), Error> {
    let (ns, name) = id.split_once('/').ok_or_else(|| {
        Error::InvalidName(format!("Invalid repo id {id:?}: expected namespace/name"))
    })?;
    check_name(ns)?;
    check_name(name)?;
    Ok((ns, name))
}

const MAX_PATH: usize = 1024;
const MAX_SEGMENT: usize = 255;

/// Characters that make one path look like another: bidirectional overrides and invisible
/// joiners. A repository must show the name a user will load.
fn is_deceptive(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// Checks a file path inside a repository: relative, `/`-separated, no `.`/`..`/empty segments,
/// no backslash, NUL or control characters, nothing under `.git/`, no deceptive Unicode.
pub fn check_path(path: &str) -> Result<(), Error> {
    let bad = |why: &str| Err(Error::InvalidPath(format!("Invalid path {path:?}: {why}")));
    if path.is_empty() {
        return bad("empty");
    }
    if path.len() > MAX_PATH {
        return bad("longer than 1024 bytes");
    }
    if path.starts_with('/') {
        return bad("absolute paths are not allowed");
    }
    if path.contains('\\') {
        return bad("backslashes are not allowed");
    }
    if path.chars().any(|c| c.is_control()) {
        return bad("control characters are not allowed");
    }
    if path.chars().any(is_deceptive) {
        return bad("invisible or direction-changing characters are not allowed");
    }
    for seg in path.split('/') {
        match seg {
            "" => return bad("empty segment"),
            "." | ".." => return bad("'.' and '..' segments are not allowed"),
            s if s.eq_ignore_ascii_case(".git") => return bad("'.git' is reserved"),
            s if s.len() > MAX_SEGMENT => return bad("a segment is longer than 255 bytes"),
            _ => {}
        }
    }
    Ok(())
}

/// Folder paths may carry a trailing slash (`delete_folder("logs/")`); the root is `""`.
pub fn normalize_folder(path: &str) -> Result<String, Error> {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return Ok(String::new());
    }
    check_path(trimmed)?;
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hub_style_names_are_accepted() {
        for ok in [
            "Qwen2.5-0.5B-Instruct",
            "gpt2",
            "a",
            "bert_base.v1",
            "Meta-Llama-3-8B",
        ] {
            assert!(check_name(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn hostile_names_are_rejected() {
        for bad in [
            "",
            "-a",
            "a-",
            ".a",
            "a.",
            "a--b",
            "a..b",
            "a/b",
            "a b",
            "é",
            "x.git",
            &"a".repeat(97),
        ] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
        assert!(check_repo_id("noslash").is_err());
        assert!(check_repo_id("a/b/c").is_err());
        assert!(check_repo_id("user/model").is_ok());
    }

    #[test]
    fn awful_but_legal_paths_are_accepted() {
        for ok in [
            "README.md",
            "a/b/c.bin",
            "subfolder/to?/awful?filename%you:should,never.give",
            "données/été.csv",
            ".gitattributes",
            "..foo",
        ] {
            assert!(check_path(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn traversal_and_tricks_are_rejected() {
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a/./b",
            "a//b",
            "a/",
            "a\\b",
            "a\0b",
            "a\nb",
            ".git/config",
            "sub/.GIT/hooks",
            "evil\u{202E}txt.exe",
            "zero\u{200B}width",
        ] {
            assert!(check_path(bad).is_err(), "{bad:?}");
        }
        assert!(check_path(&"a/".repeat(600)).is_err());
    }
}
