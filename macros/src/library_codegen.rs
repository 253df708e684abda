//! `include_library!`: reads a Redis Functions library file, checks it, and emits one
//! type with `NAME`, `NAME_async` and `NAME_call` per function registered under a literal
//! name. The methods are the same code as a script's (`codegen::methods`); what differs is
//! the `static` they run: a function of the library's `static Library`.

use std::path::Path;

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::Ident;

use crate::codegen::{self, Methods};
use crate::compose::{self, Composed};
use crate::diagnostic;
use crate::expand::hex_sha1;
use crate::file;
use crate::header;
use crate::input::Input;
use crate::library::{self, Library};
use crate::names;

/// Expands `include_library!(input)`.
pub(crate) fn expand(input: TokenStream) -> TokenStream {
    let input: Input = match syn::parse2(input).and_then(|input: Input| {
        input.check_options(&[("versioned", "value", &["true", "false"])])?;
        Ok(input)
    }) {
        Ok(input) => input,
        Err(err) => return err.to_compile_error(),
    };
    let path = input.path.value();
    let versioned = input.option("versioned").is_none_or(|v| v == "true");

    let mut errors: Vec<String> = Vec::new();
    let mut library = Library::default();
    let mut sha1 = String::new();
    let mut text = String::new();
    let mut composed = None;
    let caller = input.path.span().local_file();
    match file::read(&path, caller.as_deref()) {
        Ok(file) => {
            // `---@include` lines are composed as for scripts; every position below is a
            // line of the composed text, rendered at the file that holds it.
            let (whole, mut problems) = compose::compose(&path, file.absolute, file.text);
            sha1 = hex_sha1(whole.text.as_bytes());
            let (found, more) = library::analyse(&whole.text);
            library = found;
            problems.extend(more);
            problems.sort_by_key(|p| (p.line, p.col));
            errors.extend(problems.iter().map(|p| diagnostic::render(&whole, p)));
            text = whole.text.clone();
            composed = Some(whole);
        }
        Err(message) => errors.push(message),
    }

    // The type: named in the macro, else from `#!lua name=`, else (after an error) from
    // the file stem, so one mistake does not cascade.
    let lib_name = library.name.clone().unwrap_or_else(|| {
        Path::new(&path)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    });
    let name = input
        .name
        .clone()
        .unwrap_or_else(|| Ident::new(&names::upper_camel(&lib_name), Span::call_site()));
    let short = sha1.get(..12).unwrap_or("000000000000");
    let suffix = format!("_{short}");
    let (loaded_name, body) = if versioned {
        (
            format!("{lib_name}{suffix}"),
            library::loaded_body(&text, &library, &format!("{lib_name}{suffix}"), &suffix),
        )
    } else {
        (lib_name.clone(), library::plain_body(&text, &library))
    };

    let code = emit(&Model {
        krate: &input.krate,
        vis: &input.vis,
        name: &name,
        path: &path,
        composed: composed.as_ref(),
        sha1: &sha1,
        lib_name: &lib_name,
        loaded_name: &loaded_name,
        suffix: if versioned { &suffix } else { "" },
        body: &body,
        versioned,
        library: &library,
        aio: cfg!(feature = "aio"),
    });
    let errors = errors
        .iter()
        .map(|message| syn::Error::new(input.span(), message).to_compile_error());
    // The crate's `[package.metadata.evalsha] servers`: its errors, and the rebuild
    // trigger on `Cargo.toml`.
    let targets = crate::targets::tokens(&input.krate, input.span());
    quote! {
        #(#errors)*
        #targets
        #code
    }
}

struct Model<'a> {
    krate: &'a TokenStream,
    vis: &'a syn::Visibility,
    name: &'a Ident,
    path: &'a str,
    /// The library composed from its files; `None` when the file could not be read.
    composed: Option<&'a Composed>,
    sha1: &'a str,
    lib_name: &'a str,
    loaded_name: &'a str,
    /// `_<12 hex>`, or empty when not versioned.
    suffix: &'a str,
    body: &'a str,
    versioned: bool,
    library: &'a Library,
    aio: bool,
}

fn emit(m: &Model) -> TokenStream {
    let Model {
        krate,
        vis,
        name,
        path,
        sha1,
        lib_name,
        loaded_name,
        body,
        versioned,
        ..
    } = m;
    let (source, tracked, sources) = codegen::source(krate, m.composed);
    let mut statics = Vec::new();
    let mut methods = Vec::new();
    for (i, f) in m.library.functions.iter().enumerate() {
        let statik = format_ident!("FUNCTION_{}", i);
        let script_name = format!("{path}#{}", f.name);
        let fn_loaded = format!("{}{}", f.name, m.suffix);
        let read_only = f.header.read_only();
        statics.push(quote! {
            static #statik: #krate::Script = #krate::Script::__function(
                &LIBRARY, #script_name, #fn_loaded, #sha1, #name::SOURCE, #read_only,
            )#sources;
        });
        let ident = |s: String| {
            if header::is_keyword(&s) {
                Ident::new_raw(&s, Span::call_site())
            } else {
                Ident::new(&s, Span::call_site())
            }
        };
        let mut doc = f.header.doc.join("\n");
        if !doc.is_empty() {
            doc.push_str("\n\n");
        }
        let (command, missing) = if read_only {
            ("FCALL_RO", "Function not found")
        } else {
            ("FCALL", "Function not found")
        };
        methods.push(codegen::methods(&Methods {
            krate,
            statik: &statik,
            call: format_ident!("{}_call", f.method),
            run: ident(f.method.clone()),
            run_async: format_ident!("{}_async", f.method),
            header: &f.header,
            usage: &f.usage,
            subject: &format!(
                "the function `{}` of `{path}` (`{command} {fn_loaded}`)",
                f.name
            ),
            protocol: (command, missing, "FUNCTION LOAD"),
            doc: &doc,
            aio: m.aio,
        }));
    }
    let type_doc = type_doc(m);
    let loaded_doc = format!(
        "The name the library is loaded under: `{loaded_name}`{}.",
        if *versioned {
            " (its `#!lua name=` and the first 12 hex digits of its SHA1)"
        } else {
            " (`versioned = false`: the file's own name)"
        }
    );
    let sha_doc = format!("SHA1 of [`Self::SOURCE`]: `{sha1}`.");
    let source_doc = if m.composed.is_some_and(Composed::has_includes) {
        format!("The text of `{path}` with its `@include` lines replaced by the included files.")
    } else {
        format!("The exact bytes of `{path}`.")
    };
    quote! {
        #[doc = #type_doc]
        #[derive(::core::fmt::Debug, ::core::clone::Clone, ::core::marker::Copy, ::core::default::Default)]
        #vis struct #name;

        const _: () = {
            static LIBRARY: #krate::Library = #krate::Library::__new(
                #path, #lib_name, #loaded_name, #sha1, #name::SOURCE, #body, #versioned,
            );
            #(#statics)*
            #tracked

            // A function may declare any number of parameters, each a method parameter.
            #[allow(clippy::too_many_arguments)]
            impl #name {
                #[doc = #loaded_doc]
                pub const LIBRARY: &'static str = #loaded_name;
                #[doc = #sha_doc]
                pub const SHA1: &'static str = #sha1;
                #[doc = #source_doc]
                pub const SOURCE: &'static str = #source;

                /// The embedded library: its names, source, loaded body and load state,
                /// for `evalsha::functions::load` and `evalsha::functions::prune`.
                pub fn library() -> &'static #krate::Library {
                    &LIBRARY
                }

                #(#methods)*
            }
        };
    }
}

fn type_doc(m: &Model) -> String {
    let mut doc = m.library.doc.join("\n");
    if !doc.is_empty() {
        doc.push_str("\n\n");
    }
    doc.push_str(&format!(
        "Generated by `evalsha::include_library!` from `{}`: the Redis Functions library \
         `{}`, loaded as `{}` (SHA1 `{}`).",
        m.path, m.lib_name, m.loaded_name, m.sha1
    ));
    if !m.library.functions.is_empty() {
        doc.push_str("\n\n# Functions\n");
        for f in &m.library.functions {
            let ro = if f.header.read_only() {
                ", `FCALL_RO`"
            } else {
                ""
            };
            doc.push_str(&format!(
                "\n- `{}`{ro}: [`{}`](Self::{}), `{}_async`, [`{}_call`](Self::{}_call)",
                f.name,
                f.method,
                f.method.trim_start_matches("r#"),
                f.method,
                f.method,
                f.method
            ));
        }
    }
    if !m.library.computed.is_empty() {
        doc.push_str(
            "\n\n# Functions with computed names\n\nThese are registered under a name the \
             macro cannot read, so they get no typed method. They are loaded with the library \
             (and get the same version suffix). Call one with \
             `redis::cmd(\"FCALL\").arg(Self::library().function_name(\"NAME\"))`, after \
             `evalsha::functions::load(&mut con, &[Self::library()])`; or register it with a \
             literal name to get a typed method.\n",
        );
        for (line, expr) in &m.library.computed {
            doc.push_str(&format!("\n- `{expr}` (`{}:{line}`)", m.path));
        }
    }
    doc
}
