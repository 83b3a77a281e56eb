//! The shop-api specs as data: `spec/**/*.yaml` read into the serde structs of [`spec`],
//! validated (each error with its file, line, column and field: [`error`], [`locate`],
//! [`source`]) and lowered into the resolved model of [`ir`], with the naming rules of
//! [`naming`].
//!
//! It emits nothing: the Rust, docs, metadata and OpenAPI emitters (`shop-api-codegen`), the
//! sandbox and the tools all read the same [`ir::Api`], and none of them needs a Rust code
//! generator (`quote`, `syn`, `prettyplease`) to do so.

pub mod error;
pub mod ir;
pub mod locate;
pub mod naming;
#[doc(hidden)]
pub mod pool;
pub mod source;
pub mod spec;

pub use error::{SpecError, SpecErrors};
