//! Load, validate and lower the specs into a small IR with resolved names and types.
//!
//! Three stages, one file each: `model` holds the resolved types and their helpers, `load` reads
//! the spec folder and checks what spans files, `lower` turns one file's spec structs into the
//! model. Imports run one way: `load` and `lower` use `model`, `load` calls `lower`, and `model`
//! uses neither. Everything public is re-exported here, so paths read `ir::Api`, `ir::load`.

mod load;
mod lower;
mod model;

/// The flags of an endpoint: the spec's one flag list.
pub use crate::spec::Flag as FlagKind;
pub use load::{load, load_dir, load_embedded, load_from};
pub use lower::PAGE_FIELDS;
pub use model::{
    Api, Deprecation, Endpoint, EnumDef, Envelope, ErrorCode, Event, Field, Module, Pagination,
    PathPart, Place, Platform, SHARED, Shape, StructDef, Ty, TypeDef, Variant, doc_page_confirmed,
    type_text,
};
