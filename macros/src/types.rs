//! Types in annotations: Rust types, or the Lua language server's names for them.

use syn::visit::Visit;

/// The Rust type of an `@arg` parameter.
#[derive(Clone)]
pub(crate) struct ParamType {
    pub(crate) ty: syn::Type,
    /// `Option<..>`: `None` is sent as an empty string so later positions do not shift
    /// (unless the parameter is `NAME?`, see `header::Param::optional`).
    pub(crate) optional: bool,
}

/// Splits a type off the front of `s`: up to the first whitespace outside brackets.
/// Returns the type text and the rest.
pub(crate) fn split_type(s: &str) -> (&str, &str) {
    let mut depth = 0i32;
    for (i, c) in s.char_indices() {
        match c {
            '<' | '[' | '(' => depth += 1,
            '>' | ']' | ')' => depth -= 1,
            c if c.is_whitespace() && depth <= 0 => return (&s[..i], &s[i..]),
            _ => {}
        }
    }
    (s, "")
}

/// Stands for `redis::Value` until code generation, which knows the path to the facade.
pub(crate) const VALUE_MARKER: &str = "__EvalshaRedisValue";

const PRIMITIVES: &[&str] = &[
    "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize", "f32",
    "f64", "bool", "char", "str",
];

/// Parses an `@arg` type. Lua names map to `integer`→`i64`, `number`→`f64`,
/// `string`→`&str`, `boolean`→`bool`.
pub(crate) fn param_type(text: &str) -> Result<ParamType, String> {
    let mapped = match text {
        "integer" => "i64",
        "number" => "f64",
        "string" => "&str",
        "boolean" => "bool",
        other => other,
    };
    let ty = parse(text, mapped)?;
    let optional = matches!(&ty, syn::Type::Path(p)
        if p.qself.is_none() && p.path.segments.last().is_some_and(|s| s.ident == "Option"));
    Ok(ParamType { ty, optional })
}

/// `Option<ty>`: the type of an `@arg NAME? TYPE` parameter.
pub(crate) fn optional(ty: ParamType) -> ParamType {
    let inner = ty.ty;
    ParamType {
        ty: syn::parse_quote!(Option<#inner>),
        optional: true,
    }
}

/// Parses an `@return` type, any `FromRedisValue` type. Lua names map to
/// `integer`→`i64`, `number`→`f64`, `string`→`String`, `boolean`→`bool`, `nil`→`()`,
/// `T[]`→`Vec<T>`, `table`/`any`→`redis::Value`.
pub(crate) fn return_type(text: &str) -> Result<syn::Type, String> {
    let lua = |t: &str| -> Option<String> {
        Some(
            match t {
                "integer" => "i64",
                "number" => "f64",
                "string" => "String",
                "boolean" => "bool",
                "nil" => "()",
                "table" | "any" => VALUE_MARKER,
                _ => return None,
            }
            .to_owned(),
        )
    };
    let mapped = match text.strip_suffix("[]") {
        Some(elem) => format!("Vec<{}>", lua(elem).unwrap_or_else(|| elem.to_owned())),
        None => lua(text).unwrap_or_else(|| text.to_owned()),
    };
    parse(text, &mapped)
}

fn parse(written: &str, mapped: &str) -> Result<syn::Type, String> {
    let ty: syn::Type =
        syn::parse_str(mapped).map_err(|e| format!("`{written}` is not a type: {e}"))?;
    let mut check = UnknownLowercase(None);
    check.visit_type(&ty);
    match check.0 {
        None => Ok(ty),
        Some(name) => {
            let hint = match name.as_str() {
                "int" | "long" | "int64" => "; did you mean `i64` (or `integer`)?",
                "uint" | "uint64" => "; did you mean `u64`?",
                "float" | "double" => "; did you mean `f64` (or `number`)?",
                "bytes" => "; did you mean `&[u8]` or `Vec<u8>`?",
                "string" | "text" => "; did you mean `&str` or `String`?",
                "table" | "array" => {
                    "; an @arg is one Redis argument: use `...NAME TYPE` for several"
                }
                _ => {
                    "; use a Rust type (u64, i64, f64, bool, &str, String, &[u8], Vec<u8>, Option<..>) or integer, number, string, boolean"
                }
            };
            Err(format!("unknown type `{name}`{hint}"))
        }
    }
}

/// Finds a single lowercase path segment that is not a primitive: Rust's own types are
/// capitalised, so such a name is a typo or a Lua-ism, and rustc's error would point
/// inside the macro.
struct UnknownLowercase(Option<String>);

impl<'ast> Visit<'ast> for UnknownLowercase {
    fn visit_type_path(&mut self, p: &'ast syn::TypePath) {
        if p.qself.is_none() && p.path.leading_colon.is_none() && p.path.segments.len() == 1 {
            let name = p.path.segments[0].ident.to_string();
            if name.starts_with(|c: char| c.is_ascii_lowercase())
                && !PRIMITIVES.contains(&name.as_str())
                && self.0.is_none()
            {
                self.0 = Some(name);
            }
        }
        syn::visit::visit_type_path(self, p);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_types_with_spaces_inside_brackets() {
        assert_eq!(split_type("Option< u64 > rest"), ("Option< u64 >", " rest"));
        assert_eq!(split_type("&[u8]"), ("&[u8]", ""));
    }

    #[test]
    fn maps_lua_names() {
        assert!(param_type("string").is_ok());
        assert!(param_type("Option<u64>").unwrap().optional);
        assert!(return_type("string[]").is_ok());
        assert!(
            param_type("int")
                .err()
                .unwrap()
                .contains("did you mean `i64`")
        );
        assert!(return_type("MyReply").is_ok());
    }
}
