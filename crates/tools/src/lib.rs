//! Tool handlers: file system, shell and AWS CLI calls that policy already approved.
//!
//! (Skeleton; see docs/ARCHITECTURE.md for what this crate owns.)
