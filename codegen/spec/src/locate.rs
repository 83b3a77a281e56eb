//! Line and column of every mapping key in a YAML document.
//!
//! serde_yaml positions only syntax and type errors. Semantic checks (an unknown type, a pagination
//! hint naming a missing field) find the key they complain about here, by its path of keys.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

/// Positions of the keys of a YAML document, by their path of keys.
#[derive(Debug, Default)]
pub struct Locations {
    keys: HashMap<Vec<String>, (usize, usize)>,
}

impl Locations {
    /// Index `text`; a document that does not parse gives an empty index.
    pub fn index(text: &str) -> Self {
        let mut walker = Walker::default();
        let mut parser = Parser::new_from_str(text);
        let _ = parser.load(&mut walker, false);
        Locations { keys: walker.keys }
    }

    /// The 1-based (line, column) of the deepest key of `path` that exists.
    pub fn find(&self, path: &[&str]) -> Option<(usize, usize)> {
        (1..=path.len()).rev().find_map(|n| {
            let key: Vec<String> = path[..n].iter().map(|s| s.to_string()).collect();
            self.keys.get(&key).copied()
        })
    }
}

/// [`Locations`] built on first use: valid specs never pay for the second parse.
#[derive(Debug, Default)]
pub struct LazyLocations {
    text: String,
    index: std::sync::OnceLock<Locations>,
}

impl LazyLocations {
    /// Positions in `text`, indexed when first asked for.
    pub fn new(text: String) -> Self {
        LazyLocations {
            text,
            index: std::sync::OnceLock::new(),
        }
    }

    /// See [`Locations::find`].
    pub fn find(&self, path: &[&str]) -> Option<(usize, usize)> {
        self.index
            .get_or_init(|| Locations::index(&self.text))
            .find(path)
    }
}

enum Frame {
    Map {
        key: Option<String>,
        expecting_key: bool,
    },
    Seq {
        index: usize,
    },
}

#[derive(Default)]
struct Walker {
    stack: Vec<Frame>,
    path: Vec<String>,
    keys: HashMap<Vec<String>, (usize, usize)>,
}

impl Walker {
    /// A value (scalar or collection) finished at the current level.
    fn value_done(&mut self) {
        match self.stack.last_mut() {
            Some(Frame::Map { expecting_key, key }) => {
                *expecting_key = true;
                *key = None;
            }
            Some(Frame::Seq { index }) => *index += 1,
            None => {}
        }
    }

    fn enter(&mut self, frame: Frame) {
        let segment = match self.stack.last() {
            Some(Frame::Map {
                key: Some(k),
                expecting_key: false,
            }) => Some(k.clone()),
            Some(Frame::Seq { index }) => Some(index.to_string()),
            _ => None,
        };
        self.path.push(segment.unwrap_or_default());
        self.stack.push(frame);
    }

    fn leave(&mut self) {
        self.stack.pop();
        self.path.pop();
        self.value_done();
    }
}

impl MarkedEventReceiver for Walker {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        match ev {
            Event::Scalar(value, ..) => {
                if let Some(Frame::Map { key, expecting_key }) = self.stack.last_mut() {
                    if *expecting_key {
                        *expecting_key = false;
                        *key = Some(value.clone());
                        let mut full: Vec<String> = self.path.iter().skip(1).cloned().collect();
                        full.push(value);
                        self.keys
                            .entry(full)
                            .or_insert((mark.line(), mark.col() + 1));
                        return;
                    }
                }
                self.value_done();
            }
            Event::Alias(_) => self.value_done(),
            Event::MappingStart(..) => self.enter(Frame::Map {
                key: None,
                expecting_key: true,
            }),
            Event::SequenceStart(..) => self.enter(Frame::Seq { index: 0 }),
            Event::MappingEnd | Event::SequenceEnd => self.leave(),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_keys() {
        let text = "doc: x\nendpoints:\n  order.search:\n    body:\n      page: {type: i32}\n";
        let loc = Locations::index(text);
        assert_eq!(loc.find(&["endpoints"]), Some((2, 1)));
        assert_eq!(
            loc.find(&["endpoints", "order.search", "body", "page"]),
            Some((5, 7))
        );
        assert_eq!(
            loc.find(&["endpoints", "order.search", "body", "page", "type"]),
            Some((5, 14))
        );
        assert_eq!(
            loc.find(&["endpoints", "order.search", "nope"]),
            Some((3, 3))
        );
    }
}
