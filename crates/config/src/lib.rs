//! Discovers and layers agentctl's configuration.
//!
//! Owns: finding the project root (`--root` or the nearest ancestor holding `agentctl.toml`),
//! parsing `agentctl.toml` strictly (unknown keys are errors with their line), reading the
//! environment variables agentctl honours (this is the only crate that reads them; the names are
//! in [`env`]), and resolving everything into one [`Config`] with absolute paths, in the layers
//! defaults < `agentctl.toml` < environment < command-line flags.
//!
//! Does not know about: persona formats (it only carries `[personas.NAME]` overlays through as
//! [`agentctl_persona::PersonaOverlay`]), running anything, or rendering output.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod env;
mod error;
pub mod gate_evidence;
pub mod mcp;
mod raw;
mod resolve;

pub use env::EnvVars;
pub use error::ConfigError;
pub use gate_evidence::{EvidenceFile, GateEvidence};
pub use raw::RawConfig;
pub use resolve::{
    discover_root, Config, EndpointConfig, GateSettings, OnReject, OpenToAgents, Overrides,
    ProjectPaths, ReplyCaps, RunLimits, SandboxSettings, ToolSettings, CONFIG_FILE_NAME,
};
