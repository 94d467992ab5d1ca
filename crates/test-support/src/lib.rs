//! Test-only helpers: a mock OpenAI-compatible server and fixture builders.
//!
//! (Skeleton; see docs/ARCHITECTURE.md for what this crate owns.)
