//! Every name the generator makes comes from here: heck, a keyword table and the naming rule.

use heck::{ToSnakeCase, ToUpperCamelCase};

/// Rust keywords (strict, reserved and 2024 edition) that cannot name a field or module.
pub const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "Self", "static", "struct", "super", "trait", "true", "try", "type",
    "typeof", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Whether `s` is a Rust keyword.
pub fn is_keyword(s: &str) -> bool {
    KEYWORDS.contains(&s)
}

/// The UpperCamelCase base of an endpoint name: each dotted segment's first letter capitalised,
/// `_` folded (`afterSale.List` -> `AfterSaleList`, `material.get_cap_info` -> `MaterialGetCapInfo`).
pub fn endpoint_type_base(name: &str) -> String {
    name.split('.')
        .map(|seg| seg.to_upper_camel_case())
        .collect()
}

/// The client method of an endpoint (`order.searchList` -> `order_search_list`).
pub fn endpoint_method(name: &str) -> String {
    endpoint_type_base(name).to_snake_case()
}

/// The variant name of a string enum value (`AWAITING_SHIPMENT` -> `AwaitingShipment`).
pub fn variant_name(value: &str) -> String {
    let camel = value.to_upper_camel_case();
    match camel.chars().next() {
        Some(c) if c.is_ascii_digit() => format!("V{camel}"),
        None => "Empty".to_owned(),
        _ => camel,
    }
}

/// Whether `s` is a plain `snake_case` identifier (the form field and module names must take).
pub fn is_snake_ident(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c == '_')
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && s != "_"
}

/// Whether `s` is an `UpperCamelCase` identifier (the form type and variant names must take).
pub fn is_camel_ident(s: &str) -> bool {
    matches!(s.chars().next(), Some(c) if c.is_ascii_uppercase())
        && s.chars().all(|c| c.is_ascii_alphanumeric())
}

/// A snake_case suggestion for a wire name (`openId` -> `open_id`, `type` -> `kind`).
pub fn suggest_field(wire: &str) -> String {
    let snake = wire.to_snake_case();
    match snake.as_str() {
        "type" => "kind".to_owned(),
        "ref" => "reference".to_owned(),
        "match" => "matches".to_owned(),
        s if is_keyword(s) => format!("{s}_"),
        "" => "field".to_owned(),
        s if s.starts_with(|c: char| c.is_ascii_digit()) => format!("f_{s}"),
        s => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_naming_rule() {
        let cases = [
            ("order.list", "OrderList", "order_list"),
            ("order.searchList", "OrderSearchList", "order_search_list"),
            ("afterSale.List", "AfterSaleList", "after_sale_list"),
            (
                "material.get_cap_info",
                "MaterialGetCapInfo",
                "material_get_cap_info",
            ),
            ("sms.sign.apply", "SmsSignApply", "sms_sign_apply"),
            ("product.listV2", "ProductListV2", "product_list_v2"),
            (
                "order.orderDetail",
                "OrderOrderDetail",
                "order_order_detail",
            ),
            (
                "market.service.user.purchase.list",
                "MarketServiceUserPurchaseList",
                "market_service_user_purchase_list",
            ),
            (
                "oauth.client_token",
                "OauthClientToken",
                "oauth_client_token",
            ),
            (
                "sku.syncStockBatch",
                "SkuSyncStockBatch",
                "sku_sync_stock_batch",
            ),
            ("iop.waybillGet", "IopWaybillGet", "iop_waybill_get"),
        ];
        for (name, ty, method) in cases {
            assert_eq!(endpoint_type_base(name), ty, "{name}");
            assert_eq!(endpoint_method(name), method, "{name}");
        }
    }

    #[test]
    fn odd_names() {
        assert_eq!(variant_name("AWAITING_SHIPMENT"), "AwaitingShipment");
        assert_eq!(variant_name("100"), "V100");
        assert_eq!(variant_name("in-transit"), "InTransit");
        assert_eq!(suggest_field("type"), "kind");
        assert_eq!(suggest_field("openId"), "open_id");
        assert_eq!(suggest_field("route__node_list"), "route_node_list");
        assert!(is_keyword("type") && is_keyword("gen") && !is_keyword("kind"));
        assert!(
            is_snake_ident("page_size") && !is_snake_ident("pageSize") && !is_snake_ident("1a")
        );
    }
}
