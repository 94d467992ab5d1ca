//! Model client trait and its async-openai implementation with retries and streaming.
//!
//! (Skeleton; see docs/ARCHITECTURE.md for what this crate owns.)
