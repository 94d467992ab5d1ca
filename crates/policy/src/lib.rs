//! Decides whether a tool call is allowed, needs approval, or is denied.
//!
//! (Skeleton; see docs/ARCHITECTURE.md for what this crate owns.)
