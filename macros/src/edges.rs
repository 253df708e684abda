//! Scripts at the edges of what Lua 5.1 parses, through the whole expansion: none crashes
//! or hangs the macro (before the reference front end and the sized stack, the deep ones
//! overflowed rustc's stack: `SIGSEGV`, no message), what the servers load compiles and
//! what they refuse is a compile error in their words. `tests/lua_limits.rs`... the same
//! boundaries on every server: see `tests/differential.rs`.

use std::path::PathBuf;

/// Expands `include_script!` of a file holding `code`; the compile errors' texts.
fn errors(name: &str, code: &str) -> Vec<String> {
    errors_of::<crate::script::IncludeScript>(name, code)
}

/// Expands macro `M` on a file holding `code`; the compile errors' texts.
fn errors_of<M: crate::expand::Macro>(name: &str, code: &str) -> Vec<String> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/edges");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{name}.lua")), code).unwrap();
    let rel = format!("../target/edges/{name}.lua");
    let out = crate::expand::expand::<M>(quote::quote!(#rel)).to_string();
    out.split("compile_error")
        .skip(1)
        .map(|piece| piece.split("\\n").next().unwrap_or(piece).to_owned())
        .collect()
}

fn nested(open: &str, middle: &str, close: &str, n: usize) -> String {
    format!("{}{middle}{}", open.repeat(n), close.repeat(n))
}

#[test]
fn what_the_servers_load_compiles() {
    // 150 nested `if`s: Redis 7.0 loads it.
    let ifs = format!(
        "local x = 1\n{}\nreturn x",
        nested("if x then\n", "x = 2\n", "end\n", 150)
    );
    assert_eq!(errors("ifs_150", &ifs), Vec::<String>::new());
    // A 20,000-term sum, as generated scripts have them.
    let sum = format!("return 1{}", " + 1".repeat(20_000));
    assert_eq!(errors("sum_20000", &sum), Vec::<String>::new());
    // 100 nested parentheses and tables, 60 nested functions.
    let parens = format!("return {}", nested("(", "1", ")", 100));
    assert_eq!(errors("parens_100", &parens), Vec::<String>::new());
    let tables = format!("return #{}", nested("{", "1", "}", 100));
    assert_eq!(errors("tables_100", &tables), Vec::<String>::new());
    let functions = format!(
        "local f = {}\nreturn 1",
        nested("function() return ", "1", " end", 60)
    );
    assert_eq!(errors("functions_60", &functions), Vec::<String>::new());
}

#[test]
fn what_the_servers_refuse_is_their_error() {
    let levels = "Lua syntax error: chunk has too many syntax levels";
    for (name, code) in [
        (
            "parens_5000",
            format!("return {}", nested("(", "1", ")", 5_000)),
        ),
        (
            "tables_5000",
            format!("return #{}", nested("{", "1", "}", 5_000)),
        ),
        (
            "functions_5000",
            format!(
                "return {}",
                nested("function() return ", "1", " end", 5_000)
            ),
        ),
        ("ifs_5000", nested("if x then\n", "", "end\n", 5_000)),
        (
            "parens_250",
            format!("return {}", nested("(", "1", ")", 250)),
        ),
        (
            "tables_250",
            format!("return #{}", nested("{", "1", "}", 250)),
        ),
        (
            "functions_150",
            format!("return {}", nested("function() return ", "1", " end", 150)),
        ),
        (
            "concat_1000",
            format!("return 'a'{}", " .. 'a'".repeat(999)),
        ),
    ] {
        let errors = errors(name, &code);
        assert_eq!(errors.len(), 1, "{name}: {errors:?}");
        assert!(errors[0].contains(levels), "{name}: {}", errors[0]);
    }
    let locals: String = (0..250).map(|i| format!("local v{i} = {i}\n")).collect();
    let e = errors("locals_250", &locals);
    assert!(
        e[0].contains(":201:12: Lua syntax error: main function has more than 200 local variables"),
        "{e:?}"
    );
    let mut upvalues: String = (0..70).map(|i| format!("local v{i} = {i}\n")).collect();
    upvalues.push_str("return function()\n  return ");
    upvalues.push_str(
        &(0..70)
            .map(|i| format!("v{i}"))
            .collect::<Vec<_>>()
            .join(" + "),
    );
    upvalues.push_str("\nend\n");
    let e = errors("upvalues_70", &upvalues);
    assert!(
        e[0].contains(":72:364: Lua syntax error: function at line 71 has more than 60 upvalues"),
        "{e:?}"
    );
}

/// `include_library!` walks the syntax tree on the macro's own thread (rustc's, 8 MiB;
/// this test gives it half of that): the deepest nesting the servers load, and operator
/// chains up to `lua::MAX_CHAIN_ON_CALLER`, fit; a longer chain is refused, not a crash.
#[test]
fn libraries_are_bounded_on_the_callers_stack() {
    std::thread::Builder::new()
        .stack_size(4 << 20)
        .spawn(libraries_on_4_mib)
        .unwrap()
        .join()
        .unwrap();
}

fn libraries_on_4_mib() {
    type Library = crate::library::emit::IncludeLibrary;
    let deep = format!(
        "#!lua name=deep\nlocal function f(keys, args)\n  local x = 1\n{}  return {}1{} + 1{}\n{}end\n\
         redis.register_function('f', f)\n",
        "if x then\n".repeat(150),
        "(".repeat(40),
        ")".repeat(40),
        " + 1".repeat(crate::lua::MAX_CHAIN_ON_CALLER - 1),
        "end\n".repeat(150),
    );
    assert_eq!(
        errors_of::<Library>("library_deep", &deep),
        Vec::<String>::new()
    );
    let long = format!(
        "#!lua name=long\nredis.register_function('f', function() return 1{} end)\n",
        " + 1".repeat(5_000)
    );
    let e = errors_of::<Library>("library_long", &long);
    assert!(
        e.len() == 1 && e[0].contains("chains 5000 binary operators in a row"),
        "{e:?}"
    );
}

/// Expansion time of large and deep scripts (a measurement, not a timed test):
/// `cargo test -p evalsha-macros --lib -- --ignored --nocapture expansion_time`.
#[test]
#[ignore]
fn expansion_time() {
    let block = "do\n  local n = redis.call('INCR', KEYS[1])\n  if n > tonumber(ARGV[1]) then\n    \
                 redis.call('SET', KEYS[1], 0)\n  end\nend\n";
    let mut code = String::new();
    while code.len() < 1 << 20 {
        code.push_str(block);
    }
    code.push_str("return 1\n");
    let sum = format!("return 1{}", " + 1".repeat((1 << 20) / 4));
    let ifs = format!(
        "local x = 1\n{}x = 2\n{}return x\n",
        "if x then\n".repeat(198),
        "end\n".repeat(198)
    );
    let parens = format!("return {}1{}", "(".repeat(198), ")".repeat(198));
    for (name, code) in [
        ("1 MiB of statements", code),
        ("1 MiB sum", sum),
        ("198 nested ifs", ifs),
        ("198 nested parentheses", parens),
    ] {
        let start = std::time::Instant::now();
        let _ = crate::lua::on_large_stack(&code, || crate::lua51::check(&code).is_ok());
        let reference = start.elapsed();
        let start = std::time::Instant::now();
        let e = errors(&name.replace(' ', "_"), &code);
        eprintln!(
            "{name} ({} bytes): expansion {:?} (of which the reference front end ~{:?}), {} errors",
            code.len(),
            start.elapsed(),
            reference,
            e.len()
        );
    }
}
