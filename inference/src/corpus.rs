//! A fixed corpus of model inputs: what the honest-operator test, the cross-build test of the
//! reference runtime and the benchmarks run, so their figures describe the same work. Built from
//! short lists in a fixed order (no randomness), with the awkward cases a real caller sends:
//! empty and one-character texts, digits, non-ASCII, text past the token limit.

const SUBJECTS: [&str; 20] = [
    "the football final",
    "interest rates",
    "a new smartphone",
    "grandmother's lasagna",
    "the coming storm",
    "a morning run",
    "the jazz festival",
    "a trip to Lisbon",
    "quarterly earnings",
    "the vaccine trial",
    "a sourdough starter",
    "the chess olympiad",
    "solar panels on the roof",
    "a heat wave in July",
    "the symphony's new conductor",
    "cheap flights to Tokyo",
    "an open-source compiler",
    "the marathon record",
    "a bowl of ramen",
    "the bond market",
];

const TEMPLATES: [&str; 12] = [
    "{} is all anyone talked about today.",
    "What do you think about {}?",
    "I read a long article about {} this morning.",
    "Nobody expected {} to change so quickly.",
    "Here is a short note on {}.",
    "Tell me one fact about {}.",
    "My friend cannot stop talking about {}.",
    "Is {} worth the attention it gets?",
    "A summary of {} in one sentence.",
    "Experts disagree about {}.",
    "Why does {} matter to ordinary people?",
    "{}: the details nobody mentions.",
];

/// Inputs that are not sentences about a topic.
const AWKWARD: [&str; 8] = [
    "",
    "a",
    "1234567890 3.14159 42",
    "Ünïcödé, 日本語のテキスト, and emoji 🚀🔥",
    "   leading and trailing spaces   ",
    "UPPER CASE SHOUTING ABOUT NOTHING",
    "tab\tseparated\tvalues\nand a newline",
    "a-very-long-hyphenated-token-that-the-tokenizer-must-split-into-many-pieces",
];

/// `n` texts (up to 249): the awkward cases, one text past 256 tokens, then each template with
/// every subject.
pub fn texts(n: usize) -> Vec<String> {
    let mut out: Vec<String> = AWKWARD.iter().map(|s| s.to_string()).collect();
    out.push(std::iter::repeat_n("the quick brown fox jumps over the lazy dog", 40).collect::<Vec<_>>().join(" "));
    let mut i = 0;
    while out.len() < n {
        let subject = SUBJECTS[i % SUBJECTS.len()];
        let template = TEMPLATES[(i / SUBJECTS.len()) % TEMPLATES.len()];
        out.push(template.replace("{}", subject));
        i += 1;
    }
    out.truncate(n);
    out
}

/// `n` chat prompts (up to 200 distinct): questions about the same subjects (generation runs the
/// chat template on them).
pub fn prompts(n: usize) -> Vec<String> {
    const ASKS: [&str; 10] = [
        "Say one sentence about {}.",
        "What is {}?",
        "Give a title for a story about {}.",
        "Describe {} briefly.",
        "{}?",
        "Write a haiku about {}.",
        "List two words related to {}.",
        "Is {} good or bad?",
        "Explain {} to a child.",
        "Translate to French: {}",
    ];
    (0..n)
        .map(|i| {
            let subject = SUBJECTS[i % SUBJECTS.len()];
            ASKS[(i / SUBJECTS.len()) % ASKS.len()].replace("{}", subject)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_corpus_has_distinct_inputs() {
        let texts = texts(240);
        let unique: std::collections::HashSet<_> = texts.iter().collect();
        assert_eq!(unique.len(), 240, "every text differs");
        let prompts = prompts(200);
        assert!(texts[8].len() > 1000, "one text passes the token limit");
        assert_eq!(prompts.iter().collect::<std::collections::HashSet<_>>().len(), 200);
    }
}
