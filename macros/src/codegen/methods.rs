//! The typed methods of one script or one function of a library: `call`, `run` and
//! `run_async`, or `NAME_call`, `NAME` and `NAME_async`, with their parameters and docs.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::Ident;

use crate::header::{Header, Param};
use crate::infer::Shape;
use crate::lua::{Side, Usage};

/// What [`methods`] generates: `call`, `run` and `run_async` of a script, or `NAME_call`,
/// `NAME` and `NAME_async` of one function of a library.
pub(crate) struct Methods<'a> {
    pub(crate) krate: &'a TokenStream,
    /// The `static` `Script` the calls run.
    pub(crate) statik: &'a Ident,
    pub(crate) call: Ident,
    pub(crate) run: Ident,
    pub(crate) run_async: Ident,
    pub(crate) header: &'a Header,
    pub(crate) usage: &'a Usage,
    /// What the uses show beyond literal indexes (tails, optional trailing arguments), for
    /// a script without parameter declarations.
    pub(crate) shape: &'a Shape,
    /// What the docs say runs: "`scripts/x.lua`", "function `push` of `queue.lua`".
    pub(crate) subject: &'a str,
    /// The command sent, the reply that means "not loaded", the command that loads.
    pub(crate) protocol: (&'a str, &'a str, &'a str),
    /// Text put in front of every method's docs.
    pub(crate) doc: &'a str,
    pub(crate) aio: bool,
    /// `run`/`run_async` return `redis::RedisResult` (the crate's `error = "redis"`).
    pub(crate) redis_errors: bool,
}

/// The typed methods of one script or function: one implementation for both macros.
pub(crate) fn methods(m: &Methods) -> TokenStream {
    let Methods {
        krate,
        statik,
        call: call_fn,
        run,
        run_async: run_async_fn,
        header,
        subject,
        protocol: (command, missing, load),
        doc,
        ..
    } = m;
    let (keys, args) = params(header, m.usage, m.shape);
    // Without declarations a variadic side is any `ToRedisArgs` (a tuple of mixed types,
    // a `Vec`, a slice), flattened; a declared `...NAME TYPE` is a typed slice.
    let open = !header.present;
    let fn_params: Vec<TokenStream> = keys
        .iter()
        .map(|p| key_param(krate, p, open))
        .chain(args.iter().map(|p| arg_param(krate, p, open)))
        .collect();
    let call = Ident::new("call", Span::mixed_site());
    let pushes: Vec<TokenStream> = keys
        .iter()
        .map(|p| push_key(&call, p, open))
        .chain(args.iter().map(|p| push_arg(&call, p, open)))
        .collect();
    let names: Vec<Ident> = keys
        .iter()
        .chain(args.iter())
        .map(|p| format_ident!("{}", p.name))
        .collect();
    let hint = 16 * names.len();

    // The connection and every `impl ToRedisArgs` parameter are `impl Trait` in argument
    // position, so the reply type is the only generic parameter: `run::<u32>(con, ..)`,
    // as `redis::Script::invoke::<u32>` is written.
    let (generics, ret, turbofish) = match &header.ret {
        Some((ty, _)) => (quote!(), resolve(krate, ty), quote!()),
        None => (
            quote!(R: #krate::__private::redis::FromRedisValue,),
            quote!(R),
            quote!(::<R>),
        ),
    };
    // Under the crate's `error = "redis"`, a `redis::RedisResult` whose error carries the
    // `evalsha::Error` (`Error::find` gets it back), so `?` converts into any error type
    // that converts from `redis::RedisError`; the `Call` that `call(..)` returns carries
    // the same error type, so `X.call(..).run(con)?` converts as `X.run(con, ..)?` does.
    let error = if m.redis_errors {
        quote!(#krate::__private::redis::RedisError)
    } else {
        quote!(#krate::Error)
    };
    let param_docs = param_docs(&keys, &args, header);
    let errors_doc = if m.redis_errors {
        "\n\n# Errors\n\nA `redis::RedisError` (the crate sets `error = \"redis\"` in \
             `[package.metadata.evalsha]`), which carries the `evalsha::Error`: \
             `evalsha::Error::find(&err)` gets it back, and with it `ran()`."
    } else {
        ""
    };
    let shown = |method: &Ident, con: &str, error: &str| {
        signature(&method.to_string(), con, &keys, &args, open, header, error)
    };
    let error_name = if m.redis_errors {
        "redis::RedisError"
    } else {
        "evalsha::Error"
    };
    let run_shape = shown(run, "&mut impl redis::ConnectionLike", error_name);
    let call_doc = format!(
        "{doc}Prepares a call of {subject} without sending it: keys and arguments are encoded now.\n\n{}{param_docs}",
        shown(
            call_fn,
            "",
            if m.redis_errors {
                "redis::RedisError"
            } else {
                ""
            }
        )
    );
    let run_doc = format!(
        "{doc}Runs {subject} on a sync connection: one `{command}`; only on `{missing}`, `{load}` \
         and one retry through the same connection, pipelined.\n\n{run_shape}{param_docs}{errors_doc}"
    );
    let run_async = m.aio.then(|| {
        let shape = shown(
            run_async_fn,
            "&mut impl redis::aio::ConnectionLike",
            error_name,
        );
        let doc = format!(
            "{doc}Runs {subject} on an async connection: one `{command}`; only on `{missing}`, \
             `{load}` and one retry through the same connection, pipelined.\n\n{shape}{param_docs}{errors_doc}"
        );
        quote! {
            #[doc = #doc]
            pub async fn #run_async_fn<#generics>(
                &self,
                con: &mut (impl #krate::__private::redis::aio::ConnectionLike + ?::core::marker::Sized),
                #(#fn_params,)*
            ) -> #krate::__private::Result<#ret, #error> {
                self.#call_fn #turbofish(#(#names),*).run_async(con).await
            }
        }
    });
    quote! {
        #[doc = #call_doc]
        pub fn #call_fn<#generics>(&self, #(#fn_params),*) -> #krate::Call<#ret, #error> {
            let mut #call = #krate::Call::__new(&#statik, #hint);
            #(#pushes)*
            #call.__finish()
        }

        #[doc = #run_doc]
        pub fn #run<#generics>(
            &self,
            con: &mut (impl #krate::__private::redis::ConnectionLike + ?::core::marker::Sized),
            #(#fn_params,)*
        ) -> #krate::__private::Result<#ret, #error> {
            self.#call_fn #turbofish(#(#names),*).run(con)
        }

        #run_async
    }
}

/// The keys and args of the methods. A file without a header gets them from the script:
/// `key1..keyN` / `arg1..argN` up to the highest literal index; when a side is used
/// dynamically (`KEYS[i]`, `#ARGV`, `unpack(KEYS)`), the slots before the tail's start
/// (`for i = 3, #ARGV`: two) and then a variadic `keys` / `args`; trailing arguments the
/// script tests for presence are optional.
fn params(header: &Header, usage: &Usage, shape: &Shape) -> (Vec<Param>, Vec<Param>) {
    if header.present {
        return (header.keys.clone(), header.args.clone());
    }
    let param = |name: String, variadic: bool, optional: bool| Param {
        name,
        ty: None,
        variadic,
        optional,
        doc: String::new(),
        line: 0,
        col: 0,
    };
    let side = |prefix: &str, side: &Side, tail: Option<usize>, optional_from: Option<usize>| {
        let fixed = if side.dynamic {
            tail.unwrap_or(1) - 1
        } else {
            side.max()
        };
        let mut params: Vec<Param> = (1..=fixed)
            .map(|n| {
                let optional = optional_from.is_some_and(|from| n >= from);
                param(format!("{prefix}{n}"), false, optional)
            })
            .collect();
        if side.dynamic {
            params.push(param(format!("{prefix}s"), true, false));
        }
        params
    };
    (
        side("key", &usage.keys, shape.keys_tail, None),
        side("arg", &usage.args, shape.args_tail, shape.optional_from),
    )
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

fn key_param(krate: &TokenStream, p: &Param, open: bool) -> TokenStream {
    let name = format_ident!("{}", p.name);
    let bound = to_redis_args(krate);
    if p.variadic && !open {
        quote!(#name: &[impl #bound])
    } else {
        quote!(#name: impl #bound)
    }
}

fn arg_param(krate: &TokenStream, p: &Param, open: bool) -> TokenStream {
    let name = format_ident!("{}", p.name);
    let bound = to_redis_args(krate);
    let ty = match &p.ty {
        Some(t) => resolve(krate, &t.ty),
        // Inferred optional: `None` sends nothing.
        None if p.optional => quote!(#krate::__private::Option<impl #bound>),
        None => quote!(impl #bound),
    };
    if p.variadic && !(open && p.ty.is_none()) {
        quote!(#name: &[#ty])
    } else {
        quote!(#name: #ty)
    }
}

fn push_key(call: &Ident, p: &Param, open: bool) -> TokenStream {
    let name = format_ident!("{}", p.name);
    let label = &p.name;
    if p.variadic && open {
        quote!(#call.__keys_all(&#name);)
    } else if p.variadic {
        quote!(#call.__keys(#name);)
    } else {
        quote!(#call.__key(#label, &#name);)
    }
}

fn push_arg(call: &Ident, p: &Param, open: bool) -> TokenStream {
    let name = format_ident!("{}", p.name);
    let label = &p.name;
    if p.variadic && open && p.ty.is_none() {
        quote!(#call.__args_all(&#name);)
    } else if p.variadic {
        quote!(#call.__args(#name);)
    } else if p.optional {
        quote!(#call.__trailing_arg(#label, &#name);)
    } else if p.ty.as_ref().is_some_and(|t| t.optional) {
        quote!(#call.__opt_arg(#label, &#name);)
    } else {
        quote!(#call.__arg(#label, &#name);)
    }
}

/// The method's signature as a user reads it, for its docs (rustdoc, an editor's hover):
/// parameter names and types without the paths of the generated code.
fn signature(
    method: &str,
    con: &str,
    keys: &[Param],
    args: &[Param],
    open: bool,
    header: &Header,
    error: &str,
) -> String {
    let text = |ty: &syn::Type| {
        quote!(#ty)
            .to_string()
            .replace(" <", "<")
            .replace("< ", "<")
            .replace(" >", ">")
            .replace("& ", "&")
            .replace(" ,", ",")
    };
    let mut params: Vec<String> = Vec::new();
    if !con.is_empty() {
        params.push(format!("con: {con}"));
    }
    for (p, is_key) in keys
        .iter()
        .map(|p| (p, true))
        .chain(args.iter().map(|p| (p, false)))
    {
        let base = match &p.ty {
            Some(t) if !is_key => text(&t.ty),
            None if p.optional => "Option<impl ToRedisArgs>".to_owned(),
            _ => "impl ToRedisArgs".to_owned(),
        };
        let ty = if p.variadic && !(open && p.ty.is_none()) {
            format!("&[{base}]")
        } else {
            base
        };
        params.push(format!("{}: {ty}", p.name));
    }
    let (generics, ret) = match &header.ret {
        Some((ty, _)) => (
            String::new(),
            text(ty).replace(crate::types::VALUE_MARKER, "redis::Value"),
        ),
        None => ("<R: FromRedisValue>".to_owned(), "R".to_owned()),
    };
    // `call` (no connection): the `Call`, with its error type when not the default.
    let ret = match (con.is_empty(), error.is_empty()) {
        (true, true) => format!("evalsha::Call<{ret}>"),
        (true, false) => format!("evalsha::Call<{ret}, {error}>"),
        (false, _) => format!("Result<{ret}, {error}>"),
    };
    format!(
        "```text\n{method}{generics}(&self, {}) -> {ret}\n```",
        params.join(", ")
    )
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
        let question = if p.optional { "?" } else { "" };
        format!(
            "\n- `{dots}{}{question}`{ty} → `{slot}`{sep}{}",
            p.name, p.doc
        )
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_in_the_docs_names_every_parameter() {
        let (header, _) = crate::header::parse(
            "--- x\n---@key counter\n---@arg by i64\n---@arg limit? u64\n---@return i64\n",
        );
        let (keys, args) = params(&header, &Usage::default(), &Shape::default());
        assert_eq!(
            signature(
                "run",
                "&mut impl redis::ConnectionLike",
                &keys,
                &args,
                false,
                &header,
                "evalsha::Error"
            ),
            "```text\nrun(&self, con: &mut impl redis::ConnectionLike, counter: impl ToRedisArgs, \
             by: i64, limit: Option<u64>) -> Result<i64, evalsha::Error>\n```"
        );
        let code = "if ARGV[4] then end\nfor i = 1, #KEYS do end\nreturn ARGV[3]";
        let ast = crate::lua::parse(code).unwrap();
        let usage = crate::lua::usage(&ast);
        let shape = crate::infer::shape(&ast, &usage, &crate::check::scope::analyse(ast.nodes()));
        let none = crate::header::Header::default();
        let (keys, args) = params(&none, &usage, &shape);
        assert_eq!(
            signature("call", "", &keys, &args, true, &none, ""),
            "```text\ncall<R: FromRedisValue>(&self, keys: impl ToRedisArgs, arg1: impl ToRedisArgs, \
             arg2: impl ToRedisArgs, arg3: impl ToRedisArgs, arg4: Option<impl ToRedisArgs>) -> \
             evalsha::Call<R>\n```"
        );
        // Under `error = "redis"`, the call builder names its error type.
        assert!(
            signature("call", "", &keys, &args, true, &none, "redis::RedisError")
                .ends_with("-> evalsha::Call<R, redis::RedisError>\n```")
        );
    }
}
