//! Discovers and layers agentctl.toml, environment variables and flags.
//!
//! (Skeleton; see docs/ARCHITECTURE.md for what this crate owns.)
