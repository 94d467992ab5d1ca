//! The append-only, hash-chained AUDIT_LOG.md: writer, reader and verifier.
//!
//! (Skeleton; see docs/ARCHITECTURE.md for what this crate owns.)
