//! The macro's arguments: `[VIS] [Name =] "path"`.

use proc_macro2::{Span, TokenStream};
use syn::parse::{Parse, ParseStream};
use syn::{Ident, LitStr, Token, Visibility};

/// What the user wrote inside `include_script!(..)`.
pub(crate) struct Input {
    /// The path of the facade crate, `$crate` as passed by `evalsha::include_script!`, so
    /// generated code works under a renamed dependency.
    pub(crate) krate: TokenStream,
    pub(crate) vis: Visibility,
    pub(crate) name: Option<Ident>,
    pub(crate) path: LitStr,
    /// `key = value` options after the path, checked by [`Input::check_options`].
    pub(crate) options: Vec<(Ident, proc_macro2::TokenTree)>,
}

impl Input {
    /// The span errors about the file point at.
    pub(crate) fn span(&self) -> Span {
        self.path.span()
    }

    /// The value of option `key`, if given.
    pub(crate) fn option(&self, key: &str) -> Option<String> {
        self.options
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.to_string())
    }

    /// Checks the options against `allowed`: `(key, what the value is, values)`.
    pub(crate) fn check_options(&self, allowed: &[(&str, &str, &[&str])]) -> syn::Result<()> {
        for (key, value) in &self.options {
            let Some((_, what, values)) = allowed.iter().find(|(k, _, _)| key == k) else {
                let list: Vec<String> = allowed
                    .iter()
                    .map(|(k, _, v)| format!("`{k} = {}`", v.join(" | ")))
                    .collect();
                return Err(syn::Error::new(
                    key.span(),
                    format!(
                        "unknown option `{key}`; the only option is {}",
                        list.join(", ")
                    ),
                ));
            };
            if !values.iter().any(|v| value.to_string() == *v) {
                let quoted: Vec<String> = values.iter().map(|v| format!("`{v}`")).collect();
                let expected = match quoted.split_last() {
                    Some((last, rest)) if !rest.is_empty() => {
                        format!("{} or {last}", rest.join(", "))
                    }
                    _ => quoted.join(""),
                };
                return Err(syn::Error::new(
                    value.span(),
                    format!("unknown {what} `{value}`; expected {expected}"),
                ));
            }
        }
        Ok(())
    }
}

impl Parse for Input {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        // `evalsha::include_script!` forwards `[$crate] <user input>`.
        let krate = if input.peek(syn::token::Bracket) {
            let inner;
            syn::bracketed!(inner in input);
            inner.parse::<TokenStream>()?
        } else {
            quote::quote!(::evalsha)
        };
        let vis: Visibility = input.parse()?;
        let name = if input.peek(Ident) {
            let name: Ident = input.parse()?;
            input.parse::<Token![=]>()?;
            Some(name)
        } else {
            None
        };
        let path: LitStr = input.parse().map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected a string literal path, e.g. include_script!(\"scripts/rate_limit.lua\") \
                 or include_script!(pub(crate) Limiter = \"scripts/rate_limit.lua\")",
            )
        })?;
        let mut options = Vec::new();
        while input.peek(Token![,]) {
            input.parse::<Token![,]>()?;
            if input.is_empty() {
                break;
            }
            let key: Ident = input.parse()?;
            input.parse::<Token![=]>()?;
            // One token: `eval`, `false`; anything else is reported by `check_options`.
            let value: proc_macro2::TokenTree = input.parse()?;
            options.push((key, value));
        }
        if !input.is_empty() {
            return Err(input.error("unexpected tokens after the script path"));
        }
        // A bare `include_script!("x.lua")` gets `pub`, like a hand-written item would
        // normally be exported from a `scripts` module.
        let vis = match (vis, &name) {
            (Visibility::Inherited, None) => syn::parse_quote!(pub),
            (vis, _) => vis,
        };
        Ok(Input {
            krate,
            vis,
            name,
            path,
            options,
        })
    }
}
