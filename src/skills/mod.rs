//! Skills: what the agent can answer, kept as data in `skills/<id>/`.
//!
//! Each folder holds a manifest, `skill.toml`. The engine loads every folder at start-up and
//! refuses to start on a bad one, naming the file and line. The launch checklist reads the catalogue
//! to know which skills exist, on which channels they run and what they need before they can be
//! switched on.

mod catalog;
mod replies;

pub use catalog::{Action, Catalog, CatalogError, Examples, Localized, Prerequisite, Skill};
pub use replies::{RenderError, Replies};
