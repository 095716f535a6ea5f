//! Model and dataset cards: the YAML front matter of `README.md`, parsed defensively.

use serde_json::Value;

/// Cards larger than this are not parsed for metadata (the Hub's own limit is of this order).
pub const MAX_FRONT_MATTER: usize = 1 << 20;

/// Splits the metadata block off the start of a card with the Python client's rule:
/// `^\s*---[\r\n]+ (body, shortest) [\r\n]+---(\r\n|\n|$)`.
pub fn front_matter(readme: &str) -> Option<&str> {
    let after = readme.trim_start().strip_prefix("---")?;
    if !after.starts_with(['\r', '\n']) {
        return None;
    }
    let rest = &after[1..];
    let b = rest.as_bytes();
    for i in 0..b.len() {
        if !matches!(b[i], b'\r' | b'\n') {
            continue;
        }
        let j = i + rest[i..].len() - rest[i..].trim_start_matches(['\r', '\n']).len();
        if let Some(tail) = rest[j..].strip_prefix("---")
            && (tail.is_empty() || tail.starts_with('\n') || tail.starts_with("\r\n"))
        {
            return Some(rest[..i].trim_start_matches(['\r', '\n']));
        }
    }
    None
}

#[derive(Debug, thiserror::Error)]
pub enum CardError {
    #[error("the card's metadata block is larger than {MAX_FRONT_MATTER} bytes")]
    TooLarge,
    #[error("the card's metadata is not valid YAML: {0}")]
    Yaml(String),
    #[error("the card's metadata must be a mapping of keys to values")]
    NotAMapping,
}

/// Parses a card's metadata into JSON. `Ok(None)` when there is no metadata block.
///
/// YAML 1.2 booleans (only `true`/`false`), as the Hub's own parser reads them: `no` is
/// Norwegian, not false. Aliases and node counts are bounded, so billion-laughs cards fail fast.
pub fn parse(readme: &str) -> Result<Option<serde_json::Map<String, Value>>, CardError> {
    let Some(yaml) = front_matter(readme) else {
        return Ok(None);
    };
    if yaml.len() > MAX_FRONT_MATTER {
        return Err(CardError::TooLarge);
    }
    if yaml.trim().is_empty() {
        return Ok(Some(serde_json::Map::new()));
    }
    let opts = serde_saphyr::options! { strict_booleans: true };
    let value: Value = serde_saphyr::from_str_with_options(yaml, opts)
        .map_err(|e| CardError::Yaml(first_line(&e.to_string())))?;
    match value {
        Value::Object(m) => Ok(Some(m)),
        Value::Null => Ok(Some(serde_json::Map::new())),
        _ => Err(CardError::NotAMapping),
    }
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or(s).chars().take(300).collect()
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

/// The tags a repository is listed under, derived from its card as the Hub derives them.
pub fn tags(card: &serde_json::Map<String, Value>, dataset: bool) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |t: String| {
        if !t.is_empty() && t.len() <= 200 && !out.contains(&t) {
            out.push(t);
        }
    };
    for t in strings(card.get("tags")) {
        push(t);
    }
    if dataset {
        for key in [
            "task_categories",
            "task_ids",
            "language",
            "license",
            "size_categories",
            "multilinguality",
        ] {
            for v in strings(card.get(key)) {
                push(format!("{key}:{v}"));
            }
        }
    } else {
        for v in strings(card.get("library_name")) {
            push(v);
        }
        for v in strings(card.get("pipeline_tag")) {
            push(v);
        }
        for v in strings(card.get("language")) {
            push(v);
        }
        for v in strings(card.get("license")) {
            push(format!("license:{v}"));
        }
        for v in strings(card.get("datasets")) {
            push(format!("dataset:{v}"));
        }
        for v in strings(card.get("base_model")) {
            push(format!("base_model:{v}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_matter_is_found_only_at_the_start() {
        assert_eq!(
            front_matter("---\nlicense: mit\n---\n# Model"),
            Some("license: mit")
        );
        assert_eq!(
            front_matter("---\r\nlicense: mit\r\n---\r\n"),
            Some("license: mit")
        );
        assert_eq!(front_matter("---\n\n---\n"), Some(""));
        assert_eq!(front_matter("---\na: 1\n---"), Some("a: 1"));
        assert_eq!(front_matter("# Title\n---\nlicense: mit\n---\n"), None);
        assert_eq!(front_matter("---\nunterminated: yes\n"), None);
    }

    #[test]
    fn metadata_parses_to_json_with_yaml_1_2_booleans() {
        let m = parse("---\nlicense: apache-2.0\nlanguage: [en, no]\nversion: 1.10\n---\n")
            .expect("ok")
            .expect("some");
        assert_eq!(m["license"], "apache-2.0");
        assert_eq!(m["language"], serde_json::json!(["en", "no"]));
    }

    #[test]
    fn hostile_metadata_is_an_error_not_a_hang() {
        let mut lol = String::from(
            "---\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        );
        for (i, prev) in ('b'..='i').zip('a'..) {
            lol.push_str(&format!("{i}: &{i} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"));
        }
        lol.push_str("---\n");
        let t = std::time::Instant::now();
        assert!(parse(&lol).is_err());
        assert!(t.elapsed() < std::time::Duration::from_secs(5));
        assert!(matches!(
            parse("---\n- a\n- b\n---\n"),
            Err(CardError::NotAMapping)
        ));
        assert!(matches!(
            parse("---\nkey: [unclosed\n---\n"),
            Err(CardError::Yaml(_))
        ));
    }

    #[test]
    fn tags_come_from_the_card() {
        let m = parse(
            "---\nlicense: mit\nlibrary_name: transformers\ntags: [nlp]\ndatasets: [squad]\n---\n",
        )
        .expect("ok")
        .expect("some");
        assert_eq!(
            tags(&m, false),
            ["nlp", "transformers", "license:mit", "dataset:squad"]
        );
    }
}
