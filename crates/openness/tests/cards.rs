//! Reading cards: YAML front matter within budgets, wrong types, sections and links.

mod common;

use std::time::{Duration, Instant};

use agora_openness::card::{self, LinkKind, SectionKind};
use agora_openness::report::Source;
use common::*;

fn read(text: &str) -> (card::CardFacts, Vec<agora_openness::report::Problem>) {
    let mut problems = Vec::new();
    let facts = card::read_card(text, "README.md", &mut problems);
    (facts, problems)
}

#[test]
fn norwegian_no_stays_a_language_code_yaml_1_2_booleans() {
    let (f, p) = read("---\nlanguage: [en, no, nb]\nlicense: mit\ngated: false\n---\n# Model\n");
    assert!(p.is_empty(), "{p:?}");
    assert_eq!(f.language, ["en", "no", "nb"]);
    assert!(f.gated.is_none());
}

#[test]
fn billion_laughs_is_refused_fast_and_reported() {
    let mut y = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let names = ["b", "c", "d", "e", "f", "g", "h", "i"];
    let mut prev = "a";
    for n in names {
        y.push_str(&format!(
            "{n}: &{n} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
        ));
        prev = n;
    }
    let text = format!("---\n{y}license: mit\n---\nbody\n");
    let start = Instant::now();
    let (f, p) = read(&text);
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "took {:?}",
        start.elapsed()
    );
    assert!(!f.metadata_read);
    assert!(
        p.iter().any(|p| p.message.contains("not readable YAML")),
        "{p:?}"
    );
}

#[test]
fn malformed_yaml_is_a_problem_not_a_crash() {
    let (f, p) = read("---\nlicense: [mit\ntags: {\n---\n# Still a body\ntext\n");
    assert!(!f.metadata_read);
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].source, Source::file("README.md"));
    assert_eq!(f.sections.len(), 1, "the body is still read");
}

#[test]
fn unterminated_front_matter_is_reported() {
    let (f, p) = read("---\nlicense: mit\n# no closing line\n");
    assert!(!f.metadata_read);
    assert!(p[0].message.contains("no closing"));
}

#[test]
fn wrong_types_are_reported_per_field_and_the_rest_is_read() {
    let (f, p) = read(
        "---\nlicense: {name: mit}\ndatasets: 42\nbase_model: [meta-llama/Meta-Llama-3-8B, {x: 1}]\nlibrary_name: [a, b]\ngated: 17\npipeline_tag: text-generation\n---\n",
    );
    assert!(f.license.is_empty());
    assert_eq!(f.datasets, ["42"], "a number is taken as its text");
    assert_eq!(f.base_model, ["meta-llama/Meta-Llama-3-8B"]);
    assert_eq!(f.pipeline_tag.as_deref(), Some("text-generation"));
    let fields: Vec<String> = p
        .iter()
        .filter_map(|p| match &p.source {
            Source::CardField { field } => Some(field.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(fields, ["license", "base_model", "library_name", "gated"]);
}

#[test]
fn metadata_that_is_not_a_mapping_is_reported() {
    let (f, p) = read("---\n- just\n- a list\n---\n");
    assert!(!f.metadata_read);
    assert!(p[0].message.contains("not a mapping"));
}

#[test]
fn huge_card_is_truncated_with_a_note() {
    let body = "word ".repeat(1_000_000);
    let (f, p) = read(&format!("---\nlicense: mit\n---\n{body}"));
    assert!(f.metadata_read);
    assert!(p.iter().any(|p| p.message.contains("only the first")));
}

#[test]
fn huge_front_matter_is_refused() {
    let big = format!("---\ntags:\n{}---\n", "  - tag\n".repeat(60_000));
    let (f, p) = read(&big);
    assert!(!f.metadata_read);
    assert!(p[0].message.contains("too large"));
}

#[test]
fn sections_are_classified_and_placeholders_do_not_count() {
    let body = "# Model\nIntro paragraph.\n\n## Training Data\n[More Information Needed]\n\n## Training Procedure\nWe trained for 3 epochs.\n\n```\n# not a heading\n```\n## Evaluation\nScores.\n## Bias, Risks, and Limitations\nMany.\n";
    let (f, _) = read(&format!("---\nlicense: mit\n---\n{body}"));
    let kinds: Vec<(SectionKind, usize)> = f.sections.iter().map(|s| (s.kind, s.chars)).collect();
    assert_eq!(kinds[1], (SectionKind::TrainingData, 0));
    assert_eq!(kinds[2].0, SectionKind::TrainingProcedure);
    assert!(kinds[2].1 > 0);
    assert_eq!(kinds[3].0, SectionKind::Evaluation);
    assert_eq!(kinds[4].0, SectionKind::Limitations);
    assert_eq!(
        f.sections.len(),
        5,
        "headings inside code fences are not sections"
    );
    assert_eq!(f.summary.as_deref(), Some("Intro paragraph."));
}

#[test]
fn links_claims_and_gating_are_found() {
    let yaml = "license: llama3\ngated: manual\nextra_gated_fields:\n  Affiliation: text\nextra_gated_eu_disallowed: true\ntags: [arxiv:2302.13971]";
    let body = "# Llama\nThe most capable openly available open-source model. Built with Meta Llama 3.\nPaper: https://arxiv.org/abs/2302.13971. Code: https://github.com/meta-llama/llama3.\n";
    let (f, _) = read(&format!("---\n{yaml}\n---\n{body}"));
    assert_eq!(f.gated.as_deref(), Some("manual"));
    assert_eq!(
        f.gating_fields,
        ["extra_gated_fields", "extra_gated_eu_disallowed"]
    );
    assert!(f.eu_disallowed);
    assert_eq!(f.open_source_claims.len(), 1);
    assert!(f.mentions("Built with Meta Llama 3"));
    let kinds: Vec<LinkKind> = f.links.iter().map(|l| l.kind).collect();
    assert_eq!(kinds, [LinkKind::Paper, LinkKind::CodeRepository]);
}

#[test]
fn model_index_gives_structured_results() {
    let yaml = "model-index:\n- name: m\n  results:\n  - task: {type: text-generation}\n    dataset: {type: cais/mmlu, name: MMLU}\n    metrics:\n    - {type: accuracy, value: 63.4}\n";
    let (f, p) = read(&format!("---\n{yaml}---\n"));
    assert!(p.is_empty(), "{p:?}");
    assert_eq!(f.eval_results.len(), 1);
    assert_eq!(f.eval_results[0].dataset.as_deref(), Some("cais/mmlu"));
    assert_eq!(f.eval_results[0].value.as_deref(), Some("63.4"));
}

#[test]
fn a_card_without_front_matter_is_still_read() {
    let (f, p) = read("# Title\n\nSome text\n");
    assert!(p.is_empty());
    assert!(!f.metadata_read && f.present);
    assert_eq!(f.sections.len(), 1);
}

#[test]
fn an_assessment_of_garbage_never_panics() {
    let inputs = [
        "---\n",
        "---\n---",
        "---\r\nlicense: mit\r\n---\r\n",
        "\u{feff}---\nlicense: mit\n---\n",
        "---\n: : :\n---\n",
        "---\n!!binary aGVsbG8=\n---\n",
        "---\n*undefined\n---\n",
        "---\nlicense: !custom tag\n---\n",
        "---\n[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\n---\n",
        "\u{0}\u{1}\u{2}",
        "# ###### ####### \n```\nunclosed fence",
    ];
    for t in inputs {
        let r = Repo::model("x/y").readme(t).assess();
        assert_eq!(r.repo_id, "x/y");
    }
}

#[test]
fn content_counts_for_the_section_and_every_enclosing_one() {
    let body = "# A\naa\n## B\nbbb\n### C\ncccc\n## D\ndd\n# E\ne\n### F\nff\n";
    let (f, _) = read(body);
    let chars: Vec<(&str, usize)> = f
        .sections
        .iter()
        .map(|s| (s.heading.as_str(), s.chars))
        .collect();
    assert_eq!(
        chars,
        vec![
            ("A", 2 + 3 + 4 + 2),
            ("B", 3 + 4),
            ("C", 4),
            ("D", 2),
            ("E", 1 + 2),
            ("F", 2)
        ]
    );
}

#[test]
fn a_card_with_many_sections_is_read_in_linear_time() {
    // 30,000 headings (1.8 MB, under the body limit), each with a line of text: the enclosing-section bookkeeping must not
    // walk every earlier section for every line.
    let mut body = String::from("# Top\n");
    for i in 0..30_000 {
        body.push_str(&format!(
            "### Section {i}\nSome text [More Information Needed] here.\n"
        ));
    }
    let start = Instant::now();
    let (f, _) = read(&body);
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "took {:?}",
        start.elapsed()
    );
    assert_eq!(f.sections.len(), 30_001);
    assert_eq!(f.sections[0].chars, 30_000 * "sometexthere.".len());
}
