//! The audit anchor: the head of the chain (entry count, latest hash, time) kept outside the
//! log, so a log cut short, emptied or rewritten from some entry on is caught.
//!
//! The hash chain alone proves that no entry inside the log was changed; it cannot tell a log
//! that was cut after entry 40 from one that only ever had 40 entries, and someone who rewrites
//! entries from N on and recomputes every hash after them leaves a chain that verifies. So the
//! writer records the head after every append in agentctl's own state
//! (`.agentctl/audit-head.json`, which no agent may write), each run keeps the head it last saw
//! in its state, and `audit verify` checks that every recorded head is still in the log. The
//! writer itself refuses to append to a log that ends before the head it recorded (or whose
//! last entry is not the one recorded): continuing would write over the evidence.
//!
//! Owns: the head file's format, reading and replacing it, and checking a log against heads.
//! Does not know where run states live; callers pass the heads they found.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::verify::{verify_chain, verify_file, VerifyReport};
use crate::AuditError;

/// The file name of the head agentctl keeps in its state directory.
pub const HEAD_FILE_NAME: &str = "audit-head.json";

/// The head of the chain: how many entries the log had, the hash and time of the last one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditHead {
    pub entries: u64,
    pub hash: String,
    pub at: String,
}

/// A head and where it was found (`.agentctl/audit-head.json`, `run r-…`), for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedHead {
    pub source: String,
    pub head: AuditHead,
}

/// The head file of a log and the trusted directory above it (no link is followed below it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeadFile {
    pub trusted: PathBuf,
    pub path: PathBuf,
}

impl HeadFile {
    /// Reads the head; `None` when there is none yet (a log written before anchors existed).
    pub fn read(&self) -> Result<Option<AuditHead>, AuditError> {
        let mut file = match agentctl_safe_fs::open(
            &self.trusted,
            &self.path,
            agentctl_safe_fs::Access::Read,
            false,
        ) {
            Ok(file) => file,
            Err(error) if error.is_not_found() => return Ok(None),
            Err(error) => return Err(error.into()),
        };
        let mut text = String::new();
        std::io::Read::read_to_string(&mut file, &mut text)?;
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|error| AuditError::Anchor {
                path: self.path.clone(),
                message: format!("cannot read the recorded head: {error}"),
            })
    }

    /// Replaces the head: a temporary file beside it, fsynced, renamed over it. Called with the
    /// log's lock held, so writers never interleave.
    pub(crate) fn write(&self, head: &AuditHead) -> Result<(), AuditError> {
        agentctl_safe_fs::check(&self.trusted, &self.path, true)?;
        let mut temporary = self.path.clone().into_os_string();
        temporary.push(".tmp");
        let temporary = PathBuf::from(temporary);
        match std::fs::remove_file(&temporary) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => return Err(error.into()),
        }
        let mut file = agentctl_safe_fs::open(
            &self.trusted,
            &temporary,
            agentctl_safe_fs::Access::Write,
            true,
        )?;
        let text = serde_json::to_string(head).map_err(|error| AuditError::Anchor {
            path: self.path.clone(),
            message: error.to_string(),
        })?;
        file.write_all(text.as_bytes())?;
        file.sync_data()?;
        fs_err::rename(&temporary, &self.path)?;
        Ok(())
    }
}

/// What checking a log against its anchors found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AnchorReport {
    /// The hash chain check of the log itself.
    pub chain: VerifyReport,
    /// How many recorded heads were checked.
    pub heads_checked: usize,
    /// The first recorded head the log no longer holds, explained; `None` when all hold.
    pub broken: Option<String>,
    /// For `--expect`: the entry that has the expected hash, or why none does.
    pub expected: Option<Result<u64, String>>,
}

/// Verifies the log bytes and checks them against `heads` and an `expect`ed hash.
pub fn verify_anchored(bytes: &[u8], heads: &[NamedHead], expect: Option<&str>) -> AnchorReport {
    let mut wanted = WantedHashes::new(heads, expect);
    let (chain, hashes) = verify_chain(bytes);
    for (index, hash) in hashes.iter().enumerate() {
        wanted.offer(index as u64 + 1, hash);
    }
    wanted.report(chain, heads, expect)
}

/// Verifies the log at `path` streaming, in bounded memory, and checks it against `heads` and
/// an `expect`ed hash: only the hashes of the entries those name are kept.
pub fn verify_anchored_file(
    path: &Path,
    heads: &[NamedHead],
    expect: Option<&str>,
) -> Result<AnchorReport, AuditError> {
    let mut wanted = WantedHashes::new(heads, expect);
    let chain = verify_file(path, |seq, hash| wanted.offer(seq, hash))?;
    Ok(wanted.report(chain, heads, expect))
}

/// The hashes a check against anchors needs, collected while the chain is walked: those of the
/// entries a head names, and those that start with the expected hash. A later offer for the same
/// entry replaces an earlier one (a damaged log is walked twice).
struct WantedHashes {
    at_heads: std::collections::BTreeMap<u64, Option<String>>,
    prefix: Option<String>,
    matching: std::collections::BTreeSet<u64>,
}

impl WantedHashes {
    fn new(heads: &[NamedHead], expect: Option<&str>) -> Self {
        Self {
            at_heads: heads
                .iter()
                .map(|named| (named.head.entries, None))
                .collect(),
            prefix: expect
                .map(|wanted| wanted.trim().to_ascii_lowercase())
                .filter(|wanted| valid_hash_prefix(wanted)),
            matching: std::collections::BTreeSet::new(),
        }
    }

    fn offer(&mut self, seq: u64, hash: &str) {
        if let Some(slot) = self.at_heads.get_mut(&seq) {
            *slot = Some(hash.to_owned());
        }
        if let Some(prefix) = &self.prefix {
            if hash.starts_with(prefix.as_str()) {
                self.matching.insert(seq);
            } else {
                self.matching.remove(&seq);
            }
        }
    }

    /// The hash of verified entry `seq` (1-based), when it was wanted.
    fn hash(&self, seq: u64, verified: u64) -> Option<&str> {
        if seq == 0 || seq > verified {
            return None;
        }
        self.at_heads.get(&seq)?.as_deref()
    }

    fn report(
        self,
        chain: VerifyReport,
        heads: &[NamedHead],
        expect: Option<&str>,
    ) -> AnchorReport {
        let held = chain.entries;
        let mut sorted: Vec<&NamedHead> = heads
            .iter()
            .filter(|named| named.head.entries > 0)
            .collect();
        sorted.sort_by_key(|named| named.head.entries);
        let holds = |named: &NamedHead| {
            self.hash(named.head.entries, held)
                .is_some_and(|hash| hash == named.head.hash)
        };
        let broken = sorted.iter().position(|named| !holds(named)).map(|index| {
            let failing = sorted[index];
            let last_good = sorted[..index].last();
            let what = if held < failing.head.entries {
                format!(
                    "the log was cut short: it holds {held} verified entries, but {} recorded \
                     {} entries (last hash {}) at {}",
                    failing.source,
                    failing.head.entries,
                    short(&failing.head.hash),
                    failing.head.at
                )
            } else {
                format!(
                    "the log was rewritten: entry #{} is not the one {} recorded at {} (hash {})",
                    failing.head.entries,
                    failing.source,
                    failing.head.at,
                    short(&failing.head.hash)
                )
            };
            let since = match last_good {
                Some(good) => format!(
                    "; it still matches up to entry #{} ({} at {}), so entries after #{} were \
                     removed or changed",
                    good.head.entries, good.source, good.head.at, good.head.entries
                ),
                None if held < failing.head.entries && held > 0 => format!(
                    "; entries after #{held} are missing (or were changed: no earlier record \
                     narrows it down)"
                ),
                None => "; no earlier record narrows down since which entry".to_owned(),
            };
            format!("{what}{since}")
        });
        let matching: Vec<u64> = self
            .matching
            .iter()
            .copied()
            .filter(|seq| *seq <= held)
            .collect();
        let expected = expect.map(|wanted| find_hash(&matching, wanted));
        AnchorReport {
            chain,
            heads_checked: sorted.len(),
            broken,
            expected,
        }
    }
}

fn valid_hash_prefix(wanted: &str) -> bool {
    wanted.len() >= 12 && wanted.chars().all(|c| c.is_ascii_hexdigit())
}

/// Names the one verified entry whose hash starts with `wanted`, given the numbers of the
/// entries that do.
fn find_hash(matching: &[u64], wanted: &str) -> Result<u64, String> {
    let wanted = wanted.trim().to_ascii_lowercase();
    if !valid_hash_prefix(&wanted) {
        return Err(format!(
            "`{wanted}` is not an entry hash; give the full hex hash (at least 12 digits) that \
             `agentctl audit verify` printed"
        ));
    }
    match matching {
        [seq] => Ok(*seq),
        [] => Err(format!(
            "no verified entry of the log has hash {}: the entry it names was removed or \
             rewritten",
            short(&wanted)
        )),
        _ => Err(format!(
            "`{wanted}` matches several entries; give more digits"
        )),
    }
}

fn short(hash: &str) -> &str {
    hash.get(..16).unwrap_or(hash)
}

/// Whether a log whose last complete entry is (`seq`, `hash`) still holds `head`.
pub(crate) fn tail_holds(head: &AuditHead, seq: u64, hash: &str) -> bool {
    seq > head.entries || (seq == head.entries && hash == head.hash)
}

/// Where a log's head file lives for a state directory.
pub fn head_path(state_dir: &Path) -> PathBuf {
    state_dir.join(HEAD_FILE_NAME)
}
