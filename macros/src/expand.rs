//! The one expansion of both macros, as a plain function over `proc_macro2` tokens: parse
//! the arguments, read the file, compose it from its `@include`s, let the macro read what
//! it says, emit the type. Every problem becomes a `compile_error!` at the path literal
//! reading `file:line:col: problem`, and the type is emitted anyway so errors do not
//! cascade. What differs between `include_script!` and `include_library!` is a [`Macro`].

use std::path::Path;

use proc_macro2::{Span, TokenStream};
use quote::quote;
use sha1::{Digest, Sha1};
use syn::Ident;

use crate::codegen::Item;
use crate::compose::{self, Composed};
use crate::diagnostic;
use crate::file;
use crate::input::Input;
use crate::names;
use crate::problem::Problem;

/// What one macro adds to the common expansion.
pub(crate) trait Macro {
    /// The options it takes after the path: `(key, what the value is, values)`.
    const OPTIONS: &'static [(&'static str, &'static str, &'static [&'static str])];
    /// What it reads from the file; the default is what an unreadable file gives.
    type Read: Default;
    /// Reads the composed file, adding its problems (positions in the composed text) to
    /// `problems`, which holds the composition's.
    fn read(composed: &Composed, problems: &mut Vec<Problem>) -> Self::Read;
    /// What the type's name is made (in UpperCamelCase) from when the call names none.
    fn type_name(path: &str, read: &Self::Read) -> String;
    /// Its parts of the type: [`crate::codegen::emit`] of them.
    fn emit(item: &Item, read: &Self::Read, input: &Input) -> TokenStream;
}

/// Expands a call of macro `M` with the tokens `input`.
pub(crate) fn expand<M: Macro>(input: TokenStream) -> TokenStream {
    let input: Input = match syn::parse2(input).and_then(|input: Input| {
        input.check_options(M::OPTIONS)?;
        Ok(input)
    }) {
        Ok(input) => input,
        Err(err) => return err.to_compile_error(),
    };
    let path = input.path.value();

    let mut errors: Vec<String> = Vec::new();
    let mut read = M::Read::default();
    let mut sha1 = String::new();
    let mut composed = None;
    // The source file of the path literal (the user's file, also when the call went
    // through `evalsha::include_script!`), for the "exists beside the source" hint.
    let caller = input.path.span().local_file();
    match file::read(&path, caller.as_deref()) {
        Ok(file) => {
            // `---@include` lines are composed first; every position below is a line of
            // the composed text, rendered at the file that holds it.
            let (whole, mut problems) = compose::compose(&path, file.absolute, file.text);
            sha1 = hex_sha1(whole.text.as_bytes());
            read = M::read(&whole, &mut problems);
            problems.sort_by_key(|p| (p.line, p.col));
            errors.extend(problems.iter().map(|p| diagnostic::render(&whole, p)));
            composed = Some(whole);
        }
        Err(message) => errors.push(message),
    }

    // Named in the call, else from the file (after an error, from the file stem), so one
    // mistake does not cascade.
    let name = input.name.clone().unwrap_or_else(|| {
        Ident::new(
            &names::upper_camel(&M::type_name(&path, &read)),
            Span::call_site(),
        )
    });
    let code = M::emit(
        &Item::new(
            &input.krate,
            &input.vis,
            &name,
            &path,
            composed.as_ref(),
            &sha1,
            crate::targets::read().redis_errors,
        ),
        &read,
        &input,
    );
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

/// The stem of the file `path` names: `scripts/rate-limit.lua` → `rate-limit`.
pub(crate) fn file_stem(path: &str) -> String {
    Path::new(path)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Lowercase hex SHA1, as Redis computes it for `SCRIPT LOAD`.
fn hex_sha1(bytes: &[u8]) -> String {
    Sha1::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha1_matches_known_value() {
        // redis-cli SCRIPT LOAD "return 1"
        assert_eq!(
            hex_sha1(b"return 1"),
            "e0e1f9fabfc9d4800c877a703b823ac0578ff8db"
        );
    }
}
