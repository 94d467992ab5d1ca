//! Loads persona packs in every supported style into one [`Persona`] model.
//!
//! (Being built; see docs/ARCHITECTURE.md.)

mod model;

pub use model::{
    CommandSpec, ContextRef, Environment, HandoffContext, HandoffTarget, Limits, Origin, Param,
    Persona, PersonaKind, SourceFormat, Task,
};
