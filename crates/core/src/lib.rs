//! The run loop, handoff router, gates, approvals and run persistence.
//!
//! (Skeleton; see docs/ARCHITECTURE.md for what this crate owns.)
