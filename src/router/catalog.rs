//! Training the router from the skill catalogue: each skill's example utterances teach its id,
//! and the lines of `skills/out_of_scope.txt` teach what no skill covers.

use std::path::Path;

use super::{Example, Router, RouterError, TrainOptions};
use crate::skills::Catalog;

/// The file, beside the skill folders, of things customers say that no skill covers.
pub const OUT_OF_SCOPE_FILE: &str = "out_of_scope.txt";

impl Router {
    /// Trains on every skill's examples (the skill id is the intent) and the given out-of-scope
    /// utterances, calibrating on cross-validation folds.
    pub fn from_catalog(catalog: &Catalog, out_of_scope: &[String]) -> Result<Router, RouterError> {
        Router::train(&catalog_examples(catalog, out_of_scope), None, &TrainOptions::default())
    }
}

/// The training examples a catalogue and out-of-scope lines stand for.
pub fn catalog_examples(catalog: &Catalog, out_of_scope: &[String]) -> Vec<Example> {
    let skills = catalog.iter().flat_map(|skill| {
        skill.examples.all().map(|text| Example { text: text.to_owned(), intent: Some(skill.id.clone()) })
    });
    let none = out_of_scope.iter().map(|text| Example { text: text.clone(), intent: None });
    skills.chain(none).collect()
}

/// Reads out-of-scope utterances, one per line; blank lines and lines starting with `#` are skipped.
/// A missing file means there are none.
pub fn read_out_of_scope(path: &Path) -> Result<Vec<String>, RouterError> {
    match std::fs::read_to_string(path) {
        Ok(content) => Ok(content
            .trim_start_matches('\u{feff}')
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .map(str::to_owned)
            .collect()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(source) => Err(RouterError::Io { path: path.to_owned(), source }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_and_blank_lines_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(OUT_OF_SCOPE_FILE);
        std::fs::write(&path, "\u{feff}# weather\n오늘 날씨 어때?\n\n  tell me a joke  \n#\n").unwrap();
        assert_eq!(read_out_of_scope(&path).unwrap(), ["오늘 날씨 어때?", "tell me a joke"]);
        assert!(read_out_of_scope(&dir.path().join("missing.txt")).unwrap().is_empty());
    }
}
