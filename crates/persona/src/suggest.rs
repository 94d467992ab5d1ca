//! "Did you mean …?" for misspelt keys and names: a small edit distance.
//!
//! Does not know about: what the candidates are; callers pass the valid spellings.

/// The number of single-character insertions, deletions, substitutions and swaps of two
/// neighbours between two words (optimal string alignment), so `wirte` is one edit from `write`.
pub(crate) fn edit_distance(left: &str, right: &str) -> usize {
    let left: Vec<char> = left.chars().collect();
    let right: Vec<char> = right.chars().collect();
    let width = right.len() + 1;
    let mut table = vec![0usize; (left.len() + 1) * width];
    for (row, cell) in table.iter_mut().step_by(width).enumerate() {
        *cell = row;
    }
    for (column, cell) in table.iter_mut().take(width).enumerate() {
        *cell = column;
    }
    for row in 1..=left.len() {
        for column in 1..=right.len() {
            let cost = usize::from(left[row - 1] != right[column - 1]);
            let mut best = (table[(row - 1) * width + column] + 1)
                .min(table[row * width + column - 1] + 1)
                .min(table[(row - 1) * width + column - 1] + cost);
            if row > 1
                && column > 1
                && left[row - 1] == right[column - 2]
                && left[row - 2] == right[column - 1]
            {
                best = best.min(table[(row - 2) * width + column - 2] + 1);
            }
            table[row * width + column] = best;
        }
    }
    table[left.len() * width + right.len()]
}

/// The closest candidate when it is close enough to be a plausible typo: at most a third of
/// the word's length away (and at least one edit allowed).
pub(crate) fn closest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|candidate| (edit_distance(word, candidate), candidate))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(edit_distance("tools", "tools"), 0);
        assert_eq!(edit_distance("tool", "tools"), 1);
        assert_eq!(edit_distance("handofs", "handoffs"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("wirte", "write"), 1);
    }

    #[test]
    fn suggestions_only_for_near_misses() {
        let keys = ["tools", "write", "handoffs"];
        assert_eq!(closest("wirte", keys), Some("write"));
        assert_eq!(closest("handoff", keys), Some("handoffs"));
        assert_eq!(closest("favourite_colour", keys), None);
    }
}
