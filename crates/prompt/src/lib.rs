//! Assembles system prompts: includes, variables, Tera templates, source maps, digests.
//!
//! (Skeleton; see docs/ARCHITECTURE.md for what this crate owns.)
