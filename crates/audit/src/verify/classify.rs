//! Naming the damage when an entry that is sound on its own (its hash and visible text check
//! out) does not continue the chain: was something removed, inserted, reordered or rewritten?
//!
//! Does not read the file or render anything; it compares sequence numbers and hash links of the
//! entries the walker has verified and of the machine lines still ahead.

use serde::Deserialize;

use super::{Damage, Problem, Walker};
use crate::reader::{names_hash, MachineFields};

impl<'a> Walker<'a> {
    /// Names the problem when an entry that is sound on its own does not continue the chain.
    pub(super) fn classify(
        &self,
        index: usize,
        seq: u64,
        fields: &MachineFields<'a>,
        heading_line: usize,
        torn_before: Option<usize>,
    ) -> Problem {
        let expected = self.expected_seq();
        let later: Vec<(u64, MachineFields<'a>, usize)> = self.lines[index + 1..]
            .iter()
            .filter_map(|machine| {
                let later_fields = machine.fields().ok()?;
                let later_seq = peek_seq(later_fields.json)?;
                Some((later_seq, later_fields, machine.line))
            })
            .collect();

        let continuation = later.iter().find(|(later_seq, later_fields, _)| {
            *later_seq == expected && names_hash(later_fields.prev, self.expected_prev)
        });
        if let Some((_, _, continuation_line)) = continuation {
            let links_to_known_entry = later
                .iter()
                .any(|(_, other, _)| names_hash(fields.prev, other.hash))
                || self
                    .verified
                    .iter()
                    .any(|entry| names_hash(fields.prev, entry.hash));
            if seq > expected && links_to_known_entry {
                return self.problem(
                    Some(seq),
                    heading_line,
                    Damage::Reordered,
                    format!(
                        "entry {seq} at line {heading_line} comes before entry {expected} \
                         (machine line {continuation_line}); entries were moved"
                    ),
                );
            }
            return self.problem(
                Some(seq),
                heading_line,
                Damage::Inserted,
                format!(
                    "entry {seq} at line {heading_line} is not part of the chain: entry {expected} \
                     (machine line {continuation_line}) continues it"
                ),
            );
        }

        if seq < expected {
            return self.classify_duplicate(seq, fields, heading_line, &later);
        }

        if seq == expected {
            // Sound on its own, right number, wrong link: the entry before it was rewritten with a
            // recomputed hash, or this entry's link was. The earlier one is named.
            return match self.verified.last() {
                Some(previous) => Problem {
                    seq: Some(previous.seq),
                    line: previous.heading_line,
                    problem: Damage::Edited,
                    message: format!(
                        "entry {seq} (line {heading_line}) does not link to entry {} (line {}): \
                         one of them was altered and its hash recomputed",
                        previous.seq, previous.heading_line
                    ),
                    entries: self.verified.len() - 1,
                },
                None => self.problem(
                    Some(seq),
                    heading_line,
                    Damage::Edited,
                    format!("entry {seq} at line {heading_line} starts the chain but its prev hash is not 64 zeros"),
                ),
            };
        }

        if names_hash(fields.prev, self.expected_prev) {
            return self.problem(
                Some(seq),
                heading_line,
                Damage::Edited,
                format!(
                    "entry at line {heading_line} links to entry {} but is numbered {seq} \
                     instead of {expected}",
                    expected - 1
                ),
            );
        }
        if let Some(torn_line) = torn_before {
            return self.problem(
                Some(expected),
                torn_line,
                Damage::Malformed,
                format!(
                    "the text at line {torn_line} looks like a cut-off entry {expected}, but entry \
                     {seq} after it does not chain from entry {}: entry {expected} was damaged \
                     after it was written",
                    expected - 1
                ),
            );
        }
        let missing = if seq - expected == 1 {
            format!("entry {expected} is")
        } else {
            format!("entries {expected} to {} are", seq - 1)
        };
        self.problem(
            Some(expected),
            heading_line,
            Damage::Removed,
            format!(
                "{missing} missing: entry {seq} at line {heading_line} follows entry {}",
                expected - 1
            ),
        )
    }

    /// `seq` was already used by a verified entry.
    fn classify_duplicate(
        &self,
        seq: u64,
        fields: &MachineFields<'a>,
        heading_line: usize,
        later: &[(u64, MachineFields<'a>, usize)],
    ) -> Problem {
        let earlier = self
            .verified
            .iter()
            .enumerate()
            .find(|(_, entry)| entry.seq == seq);
        if let Some((position, earlier)) = earlier {
            if earlier.hash == fields.hash {
                return self.problem(
                    Some(seq),
                    heading_line,
                    Damage::Inserted,
                    format!(
                        "entry {seq} at line {heading_line} is a copy of entry {seq} at line {}",
                        earlier.heading_line
                    ),
                );
            }
            let same_slot = names_hash(fields.prev, earlier.prev);
            let rest_follows_this_one = later
                .iter()
                .any(|(_, other, _)| names_hash(other.prev, fields.hash));
            if same_slot && rest_follows_this_one {
                // Two entries claim the same place; the chain goes on from the later one, so the
                // earlier one is the intruder.
                return Problem {
                    seq: Some(seq),
                    line: earlier.heading_line,
                    problem: Damage::Inserted,
                    message: format!(
                        "entry {seq} at line {} is not part of the chain: entry {seq} at line \
                         {heading_line} has the same predecessor and the entries after it link \
                         to that one",
                        earlier.heading_line
                    ),
                    entries: position,
                };
            }
        }
        self.problem(
            Some(seq),
            heading_line,
            Damage::Inserted,
            format!(
                "entry {seq} at line {heading_line} is not part of the chain: entry {} came \
                 before it",
                self.expected_seq() - 1
            ),
        )
    }
}

fn peek_seq(json: &[u8]) -> Option<u64> {
    #[derive(Deserialize)]
    struct SeqOnly {
        seq: u64,
    }
    serde_json::from_slice::<SeqOnly>(json)
        .ok()
        .map(|only| only.seq)
}
