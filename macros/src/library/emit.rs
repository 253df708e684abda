//! `include_library!`, as a [`Macro`] of the one expansion: it reads the composed library
//! with [`super::read::analyse`] and puts into the type the `static Library` and, per function
//! registered under a literal name, a `static` function `Script` with its `NAME`,
//! `NAME_async` and `NAME_call` (the same methods as a script's, [`codegen::methods`]).

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::Ident;

use super::Library;
use super::body::{loaded_body, plain_body};
use super::read::analyse;
use crate::codegen::{self, Item, Methods, Parts};
use crate::compose::Composed;
use crate::expand::{self, Macro};
use crate::input::Input;
use crate::names;
use crate::problem::Problem;

/// `include_library!`.
pub(crate) struct IncludeLibrary;

impl Macro for IncludeLibrary {
    const OPTIONS: &'static [(&'static str, &'static str, &'static [&'static str])] =
        &[("versioned", "value", &["true", "false"])];
    type Read = Library;

    fn read(composed: &Composed, problems: &mut Vec<Problem>) -> Library {
        let (library, found) = analyse(&composed.text);
        problems.extend(found);
        library
    }

    /// From `#!lua name=`, else (after an error) from the file stem.
    fn type_name(path: &str, library: &Library) -> String {
        library
            .name
            .clone()
            .unwrap_or_else(|| expand::file_stem(path))
    }

    fn emit(item: &Item, library: &Library, input: &Input) -> TokenStream {
        let versioned = input.option("versioned").is_none_or(|v| v == "true");
        let Item {
            krate,
            name,
            path,
            sha1,
            with_sources,
            ..
        } = item;
        let text = item.composed.map_or("", |c| c.text.as_str());
        let lib_name = Self::type_name(path, library);
        let short = sha1.get(..12).unwrap_or("000000000000");
        let suffix = if versioned {
            format!("_{short}")
        } else {
            String::new()
        };
        let (loaded_name, body) = if versioned {
            let loaded_name = format!("{lib_name}{suffix}");
            let body = loaded_body(text, library, &loaded_name, &suffix);
            (loaded_name, body)
        } else {
            (lib_name.clone(), plain_body(text, library))
        };

        let mut statics = Vec::new();
        let mut methods = Vec::new();
        for (i, f) in library.functions.iter().enumerate() {
            let statik = format_ident!("FUNCTION_{}", i);
            let script_name = format!("{path}#{}", f.name);
            // What spans and metrics name it: `Library.function`.
            let label = format!("{}.{}", name.to_string().trim_start_matches("r#"), f.name);
            let fn_loaded = format!("{}{suffix}", f.name);
            let read_only = f.header.read_only();
            statics.push(quote! {
                static #statik: #krate::Script = #krate::Script::__function(
                    &LIBRARY, #script_name, #fn_loaded, #sha1, #name::SOURCE, #read_only,
                )#with_sources.__labeled(#label);
            });
            let ident = |s: String| {
                if names::is_keyword(&s) {
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
                shape: &f.shape,
                subject: &format!(
                    "the function `{}` of `{path}` (`{command} {fn_loaded}`)",
                    f.name
                ),
                protocol: (command, missing, "FUNCTION LOAD"),
                doc: &doc,
                aio: item.aio,
                redis_errors: item.redis_errors,
            }));
        }
        let loaded_doc = format!(
            "The name the library is loaded under: `{loaded_name}`{}.",
            if versioned {
                " (its `#!lua name=` and the first 12 hex digits of its SHA1)"
            } else {
                " (`versioned = false`: the file's own name)"
            }
        );
        codegen::emit(
            item,
            Parts {
                type_doc: type_doc(path, sha1, &lib_name, &loaded_name, library),
                statics: quote! {
                    static LIBRARY: #krate::Library = #krate::Library::__new(
                        #path, #lib_name, #loaded_name, #sha1, #name::SOURCE, #body, #versioned,
                    );
                    #(#statics)*
                },
                consts: quote! {
                    #[doc = #loaded_doc]
                    pub const LIBRARY: &'static str = #loaded_name;
                },
                sha_doc: format!("SHA1 of [`Self::SOURCE`]: `{sha1}`."),
                accessor: quote! {
                    /// The embedded library: its names, source, loaded body and load state,
                    /// for `evalsha::functions::load` and `evalsha::functions::prune`.
                    pub fn library() -> &'static #krate::Library {
                        &LIBRARY
                    }
                },
                methods: quote!(#(#methods)*),
            },
        )
    }
}

fn type_doc(
    path: &str,
    sha1: &str,
    lib_name: &str,
    loaded_name: &str,
    library: &Library,
) -> String {
    let mut doc = library.doc.join("\n");
    if !doc.is_empty() {
        doc.push_str("\n\n");
    }
    doc.push_str(&format!(
        "Generated by `evalsha::include_library!` from `{}`: the Redis Functions library \
         `{}`, loaded as `{}` (SHA1 `{}`).",
        path, lib_name, loaded_name, sha1
    ));
    if !library.functions.is_empty() {
        doc.push_str("\n\n# Functions\n");
        for f in &library.functions {
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
    if !library.computed.is_empty() {
        doc.push_str(
            "\n\n# Functions with computed names\n\nThese are registered under a name the \
             macro cannot read, so they get no typed method. They are loaded with the library \
             (and get the same version suffix). Call one with \
             `redis::cmd(\"FCALL\").arg(Self::library().function_name(\"NAME\"))`, after \
             `evalsha::functions::load(&mut con, &[Self::library()])`; or register it with a \
             literal name to get a typed method.\n",
        );
        for (line, expr) in &library.computed {
            doc.push_str(&format!("\n- `{expr}` (`{}:{line}`)", path));
        }
    }
    doc
}
