//! The code both macros emit: a unit struct, its constants, the `static`s its methods run
//! (inside `const _: () = { .. }`) and its typed methods ([`methods`], one implementation
//! for a script and a library's functions). Every path goes through `#krate::__private`,
//! so a user's own `redis` module or a missing `redis` dependency cannot break it.

mod methods;

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Ident, Visibility};

use crate::compose::Composed;

pub(crate) use methods::{Methods, methods};

/// What every generated type has, whichever macro made it.
pub(crate) struct Item<'a> {
    /// Path of the facade crate (`$crate` of `evalsha`).
    pub(crate) krate: &'a TokenStream,
    pub(crate) vis: &'a Visibility,
    pub(crate) name: &'a Ident,
    /// The path as written in the macro call.
    pub(crate) path: &'a str,
    /// The file composed from its includes; `None` when it could not be read (the type is
    /// still emitted so that one error does not cascade).
    pub(crate) composed: Option<&'a Composed>,
    pub(crate) sha1: &'a str,
    /// Emit the `_async` methods.
    pub(crate) aio: bool,
    /// The crate's `error = "redis"`: `run`/`run_async` return `redis::RedisResult`.
    pub(crate) redis_errors: bool,
    /// `SOURCE`'s value.
    source: TokenStream,
    /// What keeps cargo watching the included files.
    tracked: TokenStream,
    /// The source map, appended to the constructor of each `static` the methods run.
    pub(crate) with_sources: TokenStream,
}

impl<'a> Item<'a> {
    pub(crate) fn new(
        krate: &'a TokenStream,
        vis: &'a Visibility,
        name: &'a Ident,
        path: &'a str,
        composed: Option<&'a Composed>,
        sha1: &'a str,
        redis_errors: bool,
    ) -> Self {
        let (source, tracked, with_sources) = source(krate, composed);
        Item {
            krate,
            vis,
            name,
            path,
            composed,
            sha1,
            aio: cfg!(feature = "aio"),
            redis_errors,
            source,
            tracked,
            with_sources,
        }
    }
}

/// What one macro puts into the type.
pub(crate) struct Parts {
    pub(crate) type_doc: String,
    /// The `static`s the methods run.
    pub(crate) statics: TokenStream,
    /// Constants before `SHA1`.
    pub(crate) consts: TokenStream,
    pub(crate) sha_doc: String,
    /// The function that returns the embedded `static`.
    pub(crate) accessor: TokenStream,
    pub(crate) methods: TokenStream,
}

/// The type: a unit struct with `SHA1`, `SOURCE` and the macro's [`Parts`].
pub(crate) fn emit(item: &Item, parts: Parts) -> TokenStream {
    let Item {
        vis,
        name,
        path,
        sha1,
        source,
        tracked,
        ..
    } = item;
    let Parts {
        type_doc,
        statics,
        consts,
        sha_doc,
        accessor,
        methods,
    } = parts;
    let source_doc = if item.composed.is_some_and(Composed::has_includes) {
        format!("The text of `{path}` with its `@include` lines replaced by the included files.")
    } else {
        format!("The exact bytes of `{path}`.")
    };
    quote! {
        #[doc = #type_doc]
        #[derive(::core::fmt::Debug, ::core::clone::Clone, ::core::marker::Copy, ::core::default::Default)]
        #vis struct #name;

        const _: () = {
            #statics
            #tracked

            // A script or function may declare any number of parameters, each a method
            // parameter.
            #[allow(clippy::too_many_arguments)]
            impl #name {
                #consts
                #[doc = #sha_doc]
                pub const SHA1: &'static str = #sha1;
                #[doc = #source_doc]
                pub const SOURCE: &'static str = #source;

                #accessor

                #methods
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
