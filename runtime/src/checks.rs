//! The checks made before sending, for every platform: what a platform would refuse, or worse,
//! accept (an empty idempotency key makes every deduction look like the same one). Each platform
//! declares its own in `platform.yaml` (`checks:`); the generated crate writes them into
//! [`Facts::checks`] and the client applies them to every request, typed or built at run time.

use serde_json::Value;

use crate::client::Facts;
use crate::{Endpoint, Error, Result};

/// One check: the body field `field` of the endpoint `endpoint` must keep `rule`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Check {
    /// The endpoint's name.
    pub endpoint: &'static str,
    /// The body field's wire name.
    pub field: &'static str,
    /// What its value must be.
    pub rule: CheckRule,
}

/// What a checked field's value must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CheckRule {
    /// A number above 0.
    Positive,
    /// A string that is not empty nor only spaces (an idempotency key).
    NonEmpty,
}

impl CheckRule {
    fn holds(self, v: Option<&Value>) -> bool {
        match self {
            CheckRule::Positive => v.and_then(Value::as_f64).is_some_and(|n| n > 0.0),
            CheckRule::NonEmpty => v
                .and_then(Value::as_str)
                .is_some_and(|s| !s.trim().is_empty()),
        }
    }

    fn text(self) -> &'static str {
        match self {
            CheckRule::Positive => "must be greater than 0",
            CheckRule::NonEmpty => "must not be empty",
        }
    }
}

/// The checks of `ep` on a body built at run time.
pub fn fields(facts: &Facts, ep: &Endpoint, body: &Value) -> Result<()> {
    for c in facts.checks.iter().filter(|c| c.endpoint == ep.name) {
        let v = body.get(c.field);
        if !c.rule.holds(v) {
            return Err(Error::InvalidRequest {
                endpoint: ep.name.into(),
                message: format!(
                    "`{}` {} (got {})",
                    c.field,
                    c.rule.text(),
                    v.map_or_else(|| "nothing".into(), Value::to_string)
                ),
            });
        }
    }
    Ok(())
}

/// The checks of `ep` on a JSON body: only the members they read are parsed, and only when
/// `ep` has checks.
pub fn json(facts: &Facts, ep: &Endpoint, body: &[u8]) -> Result<()> {
    let names: Vec<&'static str> = facts
        .checks
        .iter()
        .filter(|c| c.endpoint == ep.name)
        .map(|c| c.field)
        .collect();
    if names.is_empty() {
        return Ok(());
    }
    let bad = |e: serde_json::Error| Error::InvalidRequest {
        endpoint: ep.name.into(),
        message: e.to_string(),
    };
    let mut picked = serde_json::Map::new();
    for (name, raw) in crate::json::pick(body, &names).map_err(bad)? {
        picked.insert(
            name.to_owned(),
            serde_json::from_str(raw.get()).map_err(bad)?,
        );
    }
    fields(facts, ep, &Value::Object(picked))
}
