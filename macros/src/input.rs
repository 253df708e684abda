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
    /// `reload = load | eval | never`: the type's default `evalsha::Reload`.
    pub(crate) reload: Option<Ident>,
}

impl Input {
    /// The span errors about the file point at.
    pub(crate) fn span(&self) -> Span {
        self.path.span()
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
        let mut reload = None;
        while input.peek(Token![,]) {
            input.parse::<Token![,]>()?;
            if input.is_empty() {
                break;
            }
            let key: Ident = input.parse()?;
            if key != "reload" {
                return Err(syn::Error::new(
                    key.span(),
                    format!(
                        "unknown option `{key}`; the only option is `reload = load | eval | never`"
                    ),
                ));
            }
            input.parse::<Token![=]>()?;
            let value: Ident = input.parse()?;
            if !["load", "eval", "never"].contains(&value.to_string().as_str()) {
                return Err(syn::Error::new(
                    value.span(),
                    format!("unknown reload policy `{value}`; expected `load`, `eval` or `never`"),
                ));
            }
            reload = Some(value);
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
            reload,
        })
    }
}
