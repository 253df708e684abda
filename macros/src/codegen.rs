//! The code `include_script!` emits: a unit struct, its constants and typed methods. Every
//! path goes through `#krate::__private`, so a user's own `redis` module or a missing
//! `redis` dependency cannot break it.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::{Ident, Visibility};

use crate::compose::Composed;
use crate::header::{Header, Param};
use crate::lua::{Side, Usage};

/// What to generate, after reading and checking the file.
pub(crate) struct Model<'a> {
    /// Path of the facade crate (`$crate` of `evalsha`).
    pub(crate) krate: &'a TokenStream,
    pub(crate) vis: &'a Visibility,
    pub(crate) name: &'a Ident,
    /// The path as written in the macro call.
    pub(crate) path: &'a str,
    /// The script composed from its files; `None` when the file could not be read (the
    /// type is still emitted so that one error does not cascade).
    pub(crate) composed: Option<&'a Composed>,
    pub(crate) sha1: &'a str,
    pub(crate) header: &'a Header,
    /// Where the script uses `KEYS` and `ARGV`: the parameters of a script without header.
    pub(crate) usage: &'a Usage,
    /// `load`, `eval` or `never`: the type's default reload policy.
    pub(crate) reload: &'a str,
    /// Emit `run_async`.
    pub(crate) aio: bool,
}

pub(crate) fn emit(m: &Model) -> TokenStream {
    let Model {
        krate,
        vis,
        name,
        path,
        sha1,
        header,
        ..
    } = m;
    let (source, tracked, sources) = source(krate, m.composed);
    let read_only = header.read_only();
    let reload = match m.reload {
        "eval" => quote!(#krate::Reload::Eval),
        "never" => quote!(#krate::Reload::Never),
        _ => quote!(#krate::Reload::Load),
    };
    let type_doc = type_doc(m);
    let sha_doc = format!("SHA1 of [`Self::SOURCE`]: `{sha1}`, as `SCRIPT LOAD` returns it.");
    let source_doc = if m.composed.is_some_and(Composed::has_includes) {
        format!("The text of `{path}` with its `@include` lines replaced by the included files.")
    } else {
        format!("The exact bytes of `{path}`.")
    };

    let (keys, args) = params(header, m.usage);
    let fn_params: Vec<TokenStream> = keys
        .iter()
        .map(|p| key_param(krate, p))
        .chain(args.iter().map(|p| arg_param(krate, p)))
        .collect();
    let call = Ident::new("call", Span::mixed_site());
    let pushes: Vec<TokenStream> = keys
        .iter()
        .map(|p| push_key(&call, p))
        .chain(args.iter().map(|p| push_arg(&call, p)))
        .collect();
    let names: Vec<Ident> = keys
        .iter()
        .chain(args.iter())
        .map(|p| format_ident!("{}", p.name))
        .collect();
    let hint = 16 * names.len();

    let (generics, ret, turbofish) = match &header.ret {
        Some((ty, _)) => (quote!(), resolve(krate, ty), quote!()),
        None => (
            quote!(R: #krate::__private::redis::FromRedisValue,),
            quote!(R),
            quote!(::<R>),
        ),
    };
    let param_docs = param_docs(&keys, &args, header);
    let call_doc = format!(
        "Prepares a call of `{path}` without sending it: keys and arguments are encoded now.{param_docs}"
    );
    let run_doc = format!(
        "Runs `{path}` on a sync connection: one `EVALSHA`; only on `NOSCRIPT`, `SCRIPT LOAD` \
         and one retry through the same connection, pipelined.{param_docs}"
    );
    let run_async = m.aio.then(|| {
        let doc = format!(
            "Runs `{path}` on an async connection: one `EVALSHA`; only on `NOSCRIPT`, \
             `SCRIPT LOAD` and one retry through the same connection, pipelined.{param_docs}"
        );
        quote! {
            #[doc = #doc]
            pub async fn run_async<#generics C>(
                &self,
                con: &mut C,
                #(#fn_params,)*
            ) -> #krate::__private::Result<#ret, #krate::Error>
            where
                C: #krate::__private::redis::aio::ConnectionLike + ?::core::marker::Sized,
            {
                self.call #turbofish(#(#names),*).run_async(con).await
            }
        }
    });

    quote! {
        #[doc = #type_doc]
        #[derive(::core::fmt::Debug, ::core::clone::Clone, ::core::marker::Copy, ::core::default::Default)]
        #vis struct #name;

        const _: () = {
            static SCRIPT: #krate::Script =
                #krate::Script::__new(#path, #sha1, #name::SOURCE, #read_only, #reload)#sources;
            #tracked

            // A script may declare any number of parameters, each a method parameter.
            #[allow(clippy::too_many_arguments)]
            impl #name {
                #[doc = #sha_doc]
                pub const SHA1: &'static str = #sha1;
                #[doc = #source_doc]
                pub const SOURCE: &'static str = #source;

                /// The embedded script: name, source, SHA1 and shared load state.
                pub fn script() -> &'static #krate::Script {
                    &SCRIPT
                }

                #[doc = #call_doc]
                pub fn call<#generics>(&self, #(#fn_params),*) -> #krate::Call<#ret> {
                    let mut #call = #krate::Call::__new(&SCRIPT, #hint);
                    #(#pushes)*
                    #call.__finish()
                }

                #[doc = #run_doc]
                pub fn run<#generics C>(
                    &self,
                    con: &mut C,
                    #(#fn_params,)*
                ) -> #krate::__private::Result<#ret, #krate::Error>
                where
                    C: #krate::__private::redis::ConnectionLike + ?::core::marker::Sized,
                {
                    self.call #turbofish(#(#names),*).run(con)
                }

                #run_async
            }
        };
    }
}

/// `SOURCE`, what keeps cargo watching the files, and the source map for run-time errors.
/// A script of one file is `include_str!` of it: the include is the source and the
/// rebuild trigger at once. A composed script is a literal, with an `include_bytes!` of
/// every file that went into it so that editing any of them rebuilds the crate, and its
/// line map (runs of `(composed line, file, line)`) on the `Script`.
fn source(
    krate: &TokenStream,
    composed: Option<&Composed>,
) -> (TokenStream, TokenStream, TokenStream) {
    let Some(composed) = composed else {
        return (quote!(""), quote!(), quote!());
    };
    let abs = |i: usize| composed.parts[i].absolute.to_string_lossy().into_owned();
    if !composed.has_includes() {
        let top = abs(0);
        return (
            quote!(#krate::__private::include_str!(#top)),
            quote!(),
            quote!(),
        );
    }
    let text = &composed.text;
    let files: Vec<String> = (0..composed.parts.len()).map(abs).collect();
    let names: Vec<&str> = composed.parts.iter().map(|p| p.display.as_str()).collect();
    let runs = composed.runs().into_iter().map(|(at, part, line)| {
        let (at, part, line) = (at as u32, part as u32, line as u32);
        quote!((#at, #part, #line))
    });
    (
        quote!(#text),
        quote!(#(const _: &[u8] = #krate::__private::include_bytes!(#files);)*),
        quote!(.__with_sources(&[#(#names),*], &[#(#runs),*])),
    )
}

/// The keys and args of the methods. A file without a header gets them from the script:
/// `key1..keyN` / `arg1..argN` up to the highest literal index, or a variadic `keys` /
/// `args` slice when that side is used dynamically (`KEYS[i]`, `#ARGV`, `unpack(KEYS)`).
fn params(header: &Header, usage: &Usage) -> (Vec<Param>, Vec<Param>) {
    if header.present {
        return (header.keys.clone(), header.args.clone());
    }
    let side = |prefix: &str, side: &Side| -> Vec<Param> {
        let param = |name: String, variadic: bool| Param {
            name,
            ty: None,
            variadic,
            doc: String::new(),
            line: 0,
            col: 0,
        };
        if side.dynamic {
            vec![param(format!("{prefix}s"), true)]
        } else {
            (1..=side.max())
                .map(|n| param(format!("{prefix}{n}"), false))
                .collect()
        }
    };
    (side("key", &usage.keys), side("arg", &usage.args))
}

fn to_redis_args(krate: &TokenStream) -> TokenStream {
    quote!(#krate::__private::redis::ToRedisArgs)
}

/// A type from the header, with the `redis::Value` marker resolved through the facade.
fn resolve(krate: &TokenStream, ty: &syn::Type) -> TokenStream {
    let tokens = quote!(#ty);
    replace_marker(krate, tokens)
}

fn replace_marker(krate: &TokenStream, tokens: TokenStream) -> TokenStream {
    use proc_macro2::{Group, TokenTree};
    tokens
        .into_iter()
        .flat_map(|tt| -> Vec<TokenTree> {
            match tt {
                TokenTree::Ident(ident) if ident == crate::types::VALUE_MARKER => {
                    quote!(#krate::__private::redis::Value)
                        .into_iter()
                        .collect()
                }
                TokenTree::Group(g) => {
                    let mut inner = Group::new(g.delimiter(), replace_marker(krate, g.stream()));
                    inner.set_span(g.span());
                    vec![TokenTree::Group(inner)]
                }
                other => vec![other],
            }
        })
        .collect()
}

fn key_param(krate: &TokenStream, p: &Param) -> TokenStream {
    let name = format_ident!("{}", p.name);
    let bound = to_redis_args(krate);
    if p.variadic {
        quote!(#name: &[impl #bound])
    } else {
        quote!(#name: impl #bound)
    }
}

fn arg_param(krate: &TokenStream, p: &Param) -> TokenStream {
    let name = format_ident!("{}", p.name);
    let ty = match &p.ty {
        Some(t) => resolve(krate, &t.ty),
        None => {
            let bound = to_redis_args(krate);
            quote!(impl #bound)
        }
    };
    if p.variadic {
        quote!(#name: &[#ty])
    } else {
        quote!(#name: #ty)
    }
}

fn push_key(call: &Ident, p: &Param) -> TokenStream {
    let name = format_ident!("{}", p.name);
    let label = &p.name;
    if p.variadic {
        quote!(#call.__keys(#name);)
    } else {
        quote!(#call.__key(#label, &#name);)
    }
}

fn push_arg(call: &Ident, p: &Param) -> TokenStream {
    let name = format_ident!("{}", p.name);
    let label = &p.name;
    if p.variadic {
        quote!(#call.__args(#name);)
    } else if p.ty.as_ref().is_some_and(|t| t.optional) {
        quote!(#call.__opt_arg(#label, &#name);)
    } else {
        quote!(#call.__arg(#label, &#name);)
    }
}

fn type_doc(m: &Model) -> String {
    let mut doc = m.header.doc.join("\n");
    if !doc.is_empty() {
        doc.push_str("\n\n");
    }
    doc.push_str(&format!(
        "Generated by `evalsha::include_script!` from `{}` (SHA1 `{}`{}). \
         Call it with [`run`](Self::run){}, or prepare a [`call`](Self::call).",
        m.path,
        m.sha1,
        if m.header.read_only() {
            ", read-only: sent as `EVALSHA_RO`"
        } else {
            ""
        },
        if m.aio {
            " or [`run_async`](Self::run_async)"
        } else {
            ""
        },
    ));
    doc
}

fn param_docs(keys: &[Param], args: &[Param], header: &Header) -> String {
    let mut out = String::new();
    let line = |p: &Param, slot: &str| {
        let dots = if p.variadic { "..." } else { "" };
        let ty =
            p.ty.as_ref()
                .map(|t| {
                    let ty = &t.ty;
                    format!(" (`{}`)", quote!(#ty).to_string().replace(" ", ""))
                })
                .unwrap_or_default();
        let sep = if p.doc.is_empty() { "" } else { ": " };
        format!("\n- `{dots}{}`{ty} → `{slot}`{sep}{}", p.name, p.doc)
    };
    for (title, slot, params) in [("Keys", "KEYS", keys), ("Arguments", "ARGV", args)] {
        if params.is_empty() {
            continue;
        }
        out.push_str(&format!("\n\n# {title}\n"));
        for (n, p) in (1..).zip(params) {
            let range = if p.variadic { ".." } else { "" };
            out.push_str(&line(p, &format!("{slot}[{n}{range}]")));
        }
    }
    if let Some((ty, doc)) = &header.ret {
        let sep = if doc.is_empty() { "" } else { ": " };
        out.push_str(&format!(
            "\n\n# Returns\n\n`{}`{sep}{doc}",
            quote!(#ty).to_string().replace(" ", "")
        ));
    }
    out
}
