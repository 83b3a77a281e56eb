//! Test support for the shop-api workspace.
//!
//! The [`fixture`] module holds the code emitted for `tests/fixture/spec`, a made-up platform
//! whose spec uses every feature of the format. It is compiled here with warnings denied, so the
//! snapshots in `tests/snapshots/` are of code that is known to compile. [`fake_http`] is a minimal
//! HTTP server for load and fault-injection tests; [`logs`] captures log output; [`databases`] starts
//! throwaway PostgreSQL and Redis servers; the `fleet_worker` binary is one worker process of the
//! fleet tests.

#![deny(warnings)]

/// The platform's deprecations reach the compiler: a deprecated method, field or enum value
/// warns where a user's code names it, with the note, the replacement and the sunset date (the
/// fixture spec deprecates `order.list`, `LineItem.sku_code` and `OrderStatus::Shipped`). With
/// deprecation warnings denied, each of these fails to compile:
///
/// ```compile_fail
/// #![deny(deprecated)]
/// let _ = shop_api_tests::fixture::Client::order_list;
/// ```
///
/// ```compile_fail
/// #![deny(deprecated)]
/// let _ = shop_api_tests::fixture::api::shop::LineItem { sku_code: None, ..Default::default() };
/// ```
///
/// ```compile_fail
/// #![deny(deprecated)]
/// let _ = shop_api_tests::fixture::api::shop::OrderStatus::Shipped;
/// ```
///
/// and the same code compiles when they are allowed (so the deprecation is what failed above):
///
/// ```
/// #![allow(deprecated)]
/// let _ = shop_api_tests::fixture::Client::order_list;
/// let _ = shop_api_tests::fixture::api::shop::LineItem { sku_code: None, ..Default::default() };
/// let _ = shop_api_tests::fixture::api::shop::OrderStatus::Shipped;
/// ```
pub mod deprecations {}

pub mod databases;
pub mod fake_http;
pub mod fixture;
pub mod logs;
