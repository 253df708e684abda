//! `include_script!`, as a [`Macro`] of the one expansion: what it reads from the composed
//! script (its header, its Lua, the checks of one against the other and beyond syntax) and
//! what it puts into the type (the `static SCRIPT` its `call`, `run` and `run_async` run).

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::Ident;

use crate::check::{self, Mode};
use crate::codegen::{self, Item, Methods, Parts};
use crate::compose::Composed;
use crate::expand::{self, Macro};
use crate::header::{self, Header};
use crate::infer::{self, Shape};
use crate::input::Input;
use crate::lua::{self, Usage};
use crate::problem::Problem;
use crate::targets;

/// `include_script!`.
pub(crate) struct IncludeScript;

/// What a script says about its parameters.
#[derive(Default)]
pub(crate) struct Script {
    header: Header,
    /// Where it uses `KEYS` and `ARGV`: the parameters of a script without header.
    usage: Usage,
    /// What those uses show beyond literal indexes (a script without header).
    shape: Shape,
}

impl Macro for IncludeScript {
    const OPTIONS: &'static [(&'static str, &'static str, &'static [&'static str])] =
        &[("reload", "reload policy", &["load", "eval", "never"])];
    type Read = Script;

    /// Parses the header and the Lua of the composed script, and checks one against the
    /// other.
    fn read(composed: &Composed, problems: &mut Vec<Problem>) -> Script {
        // (After a failed include the text may be empty only because of it: one error.)
        if composed.text.trim().is_empty() && problems.is_empty() {
            problems.push(Problem {
                line: 1,
                col: 1,
                message: "the script is empty".into(),
            });
        }
        // The header is the top-level file's own: its lines are lines of that file.
        let (header, header_problems) = header::parse(&composed.parts[0].text);
        problems.extend(header_problems.into_iter().map(|p| Problem {
            line: composed.composed_line(0, p.line).unwrap_or(p.line),
            ..p
        }));
        problems.extend(header::tags_in_included(composed));
        let mut usage = Usage::default();
        let mut shape = Shape::default();
        let targets = targets::read();
        // The reference, the syntax tree and the walks over it (the inferred parameters'
        // among them), on a stack sized for any tree the text can hold (the facts found
        // are plain data).
        let redis62 = targets.servers.iter().any(|s| s.id == "redis-6.2");
        let infer_shape = !header.present;
        let parsed = lua::on_large_stack(&composed.text, || {
            lua::reference(&composed.text, redis62)?;
            lua::parse(&composed.text).map(|ast| {
                let found = lua::usage(&ast);
                let facts = check::scope::analyse(ast.nodes());
                let shape = if infer_shape {
                    infer::shape(&ast, &found, &facts)
                } else {
                    Shape::default()
                };
                (found, facts, shape)
            })
        });
        match parsed {
            Ok((found, facts, inferred)) => {
                problems.extend(lua::check(&header, &found));
                problems.extend(check::run_on(
                    &facts,
                    &composed.text,
                    &header,
                    Mode::Script,
                    &targets,
                ));
                shape = inferred;
                usage = found;
            }
            Err(syntax) => {
                // A misplaced `#!lua` line is a syntax error: say what is wrong there.
                let shebang = check::run_on_text(&composed.text);
                problems.extend(
                    syntax
                        .into_iter()
                        .filter(|p| !shebang.iter().any(|s| s.line == p.line))
                        .map(|p| Problem {
                            message: lines_named(composed, &p.message),
                            ..p
                        }),
                );
                problems.extend(shebang);
            }
        }
        Script {
            header,
            usage,
            shape,
        }
    }

    fn type_name(path: &str, _: &Script) -> String {
        expand::file_stem(path)
    }

    fn emit(item: &Item, script: &Script, input: &Input) -> TokenStream {
        let Item {
            krate,
            name,
            path,
            sha1,
            with_sources,
            ..
        } = item;
        let header = &script.header;
        let read_only = header.read_only();
        // What spans and metrics name it: the type's name.
        let label = name.to_string().trim_start_matches("r#").to_owned();
        let reload = match input.option("reload").as_deref() {
            Some("eval") => quote!(#krate::Reload::Eval),
            Some("never") => quote!(#krate::Reload::Never),
            _ => quote!(#krate::Reload::Load),
        };
        let methods = codegen::methods(&Methods {
            krate,
            statik: &Ident::new("SCRIPT", Span::call_site()),
            call: format_ident!("call"),
            run: format_ident!("run"),
            run_async: format_ident!("run_async"),
            header,
            usage: &script.usage,
            shape: &script.shape,
            subject: &format!("`{path}`"),
            protocol: ("EVALSHA", "NOSCRIPT", "SCRIPT LOAD"),
            doc: "",
            aio: item.aio,
            redis_errors: item.redis_errors,
        });
        codegen::emit(
            item,
            Parts {
                type_doc: type_doc(item, header),
                statics: quote! {
                    static SCRIPT: #krate::Script =
                        #krate::Script::__new(#path, #sha1, #name::SOURCE, #read_only, #reload)#with_sources
                            .__labeled(#label);
                },
                consts: quote!(),
                sha_doc: format!(
                    "SHA1 of [`Self::SOURCE`]: `{sha1}`, as `SCRIPT LOAD` returns it."
                ),
                accessor: quote! {
                    /// The embedded script: name, source, SHA1 and shared load state.
                    pub fn script() -> &'static #krate::Script {
                        &SCRIPT
                    }
                },
                methods,
            },
        )
    }
}

fn type_doc(m: &Item, header: &Header) -> String {
    let mut doc = header.doc.join("\n");
    if !doc.is_empty() {
        doc.push_str("\n\n");
    }
    doc.push_str(&format!(
        "Generated by `evalsha::include_script!` from `{}` (SHA1 `{}`{}). \
         Call it with [`run`](Self::run){}, or prepare a [`call`](Self::call).",
        m.path,
        m.sha1,
        if header.read_only() {
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

/// The server's message names lines of the text it compiled (`'end' expected (to close
/// 'if' at line 4)`, `function at line 12 has more than 60 upvalues`): in a composed
/// script, lines of the composed text, which become `file:line` where that code was
/// written.
fn lines_named(composed: &Composed, message: &str) -> String {
    if !composed.has_includes() {
        return message.to_owned();
    }
    let mut out = String::new();
    let mut rest = message;
    while let Some(at) = rest.find("at line ") {
        let (before, after) = rest.split_at(at + "at line ".len());
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        match after[..digits].parse::<usize>() {
            Ok(line) => {
                let origin = composed.origin(line);
                out.push_str(&before[..before.len() - "line ".len()]);
                out.push_str(&format!("{}:{}", origin.file, origin.line));
            }
            Err(_) => out.push_str(before),
        }
        rest = &after[digits..];
    }
    out.push_str(rest);
    out
}
