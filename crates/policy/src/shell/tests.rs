use super::*;

fn words(script: &ParsedScript) -> Vec<String> {
    script
        .commands
        .iter()
        .map(|command| {
            command
                .words
                .iter()
                .map(Word::text)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

fn parsed(text: &str) -> ParsedScript {
    parse_at_depth(text, 0).unwrap_or_else(|error| panic!("`{text}` should parse: {error}"))
}

fn refused(text: &str) -> String {
    match parse_at_depth(text, 0) {
        Ok(script) => panic!("`{text}` should be refused, parsed as {script:?}"),
        Err(error) => error.to_string(),
    }
}

#[test]
fn lists_and_pipelines_yield_every_command() {
    let script = parsed("true; curl x && git status || a | b |& c & d\ne");
    assert_eq!(
        words(&script),
        ["true", "curl x", "git status", "a", "b", "c", "d", "e"]
    );
}

#[test]
fn quotes_and_escapes_are_removed() {
    let script = parsed(r#"g"i"t 'st'atus \"a b\" "x y" '' "a\$b""#);
    let command = &script.commands[0];
    let texts: Vec<String> = command.words.iter().map(Word::text).collect();
    assert_eq!(texts, ["git", "status", "\"a", "b\"", "x y", "", "a$b"]);
    assert!(command.words.iter().all(Word::is_static));
}

#[test]
fn substitutions_are_parsed_recursively() {
    let script = parsed("echo $(rm -rf ~) \"`curl x`\" $(a $(b))");
    assert_eq!(
        words(&script),
        [
            "rm -rf ~",
            "curl x",
            "b",
            "a $(b)",
            "echo $(rm -rf ~) `curl x` $(a $(b))"
        ]
    );
    assert!(!script.commands[4].words[1].is_static());
}

#[test]
fn escaped_backticks_nest() {
    let script = parsed(r"echo `echo \`rm x\``");
    assert!(words(&script).contains(&"rm x".to_owned()));
}

#[test]
fn subshells_and_groups_are_opened() {
    let script = parsed("(curl x) ; { wget y; } > out.txt");
    assert_eq!(words(&script), ["curl x", "wget y"]);
    assert_eq!(script.redirections.len(), 1);
    assert_eq!(script.redirections[0].target.text(), "out.txt");
}

#[test]
fn redirections_are_classified() {
    let script = parsed("cmd > a >> b 2> c < d <> e &> f 2>&1 >&2 <&0 >&- >&g 3>|h");
    let kinds: Vec<(String, RedirectionKind, String)> = script
        .redirections
        .iter()
        .map(|r| (r.operator.clone(), r.kind, r.target.text()))
        .collect();
    use RedirectionKind::*;
    let expected = [
        (">", Write, "a"),
        (">>", Write, "b"),
        ("2>", Write, "c"),
        ("<", Read, "d"),
        ("<>", ReadWrite, "e"),
        ("&>", Write, "f"),
        ("2>&", Duplicate, "1"),
        (">&", Duplicate, "2"),
        ("<&", Duplicate, "0"),
        (">&", Duplicate, "-"),
        (">&", Write, "g"),
        ("3>|", Write, "h"),
    ];
    let expected: Vec<(String, RedirectionKind, String)> = expected
        .iter()
        .map(|(op, kind, target)| (op.to_string(), *kind, target.to_string()))
        .collect();
    assert_eq!(kinds, expected);
    assert_eq!(words(&script), ["cmd"]);
}

#[test]
fn assignments_are_separated_from_words() {
    let script = parsed("FOO=1 BAR+=x cmd A=b");
    let command = &script.commands[0];
    let names: Vec<&str> = command
        .assignments
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(names, ["FOO", "BAR"]);
    assert_eq!(words(&script), ["cmd A=b"]);
    let quoted = parsed("\"FOO=1\" cmd");
    assert!(quoted.commands[0].assignments.is_empty());
    assert_eq!(words(&quoted), ["FOO=1 cmd"]);
}

#[test]
fn comments_and_continuations() {
    let script = parsed("git status # curl x\ngit \\\n diff a#b");
    assert_eq!(words(&script), ["git status", "git diff a#b"]);
}

#[test]
fn parameters_and_globs_are_run_time_parts() {
    let script = parsed("echo $HOME ${USER} $1 \"$@\" *.md [ x ] a[bc]");
    let command = &script.commands[0];
    let static_flags: Vec<bool> = command.words.iter().map(Word::is_static).collect();
    assert_eq!(
        static_flags,
        [true, false, false, false, false, false, true, true, true, false]
    );
}

#[test]
fn dollar_without_expansion_is_literal() {
    let script = parsed("echo $ a$ \"$\"");
    assert_eq!(words(&script), ["echo $ a$ $"]);
}

#[test]
fn unsupported_constructs_are_refused() {
    for text in [
        "cat <<EOF\nhi\nEOF",
        "cat <<< hi",
        "diff <(a) <(b)",
        "tee >(curl x)",
        "if true; then curl x; fi",
        "for f in a; do rm $f; done",
        "while true; do :; done",
        "case x in x) curl;; esac",
        "f() { curl x; }",
        "function f { curl x; }",
        "echo $((1+2))",
        "((x++))",
        "echo $[1+2]",
        "echo ${X:-$(curl x)}",
        "echo ${#X}",
        "echo $'\\x72m'",
        "echo {a,b}",
        "rm -{rf,x} /",
        "! curl x",
        "[[ -f x ]]",
        "time curl x",
        "a=(1 2)",
        "echo 'unclosed",
        "echo \"unclosed",
        "echo `unclosed",
        "echo $(unclosed",
        "(unclosed",
        "{ unclosed; ",
        "{ a }",
        "a |",
        "a &&",
        "; a",
        "a ;; b",
        "| a",
        "()",
        "(a) b",
        "echo >",
        "cat <&file",
    ] {
        refused(text);
    }
}

#[test]
fn refusal_messages_name_the_construct() {
    assert!(refused("cat <<EOF\nx\nEOF").contains("here-documents"));
    assert!(refused("if true; then x; fi").contains("`if`"));
    assert!(refused("echo {a,b}").contains("brace expansion"));
}

#[test]
fn braces_for_find_are_fine() {
    let script = parsed("find . -name x -exec cat {} +");
    assert_eq!(words(&script), ["find . -name x -exec cat {} +"]);
}

#[test]
fn deep_nesting_is_refused() {
    let deep = format!("{}x{}", "( ".repeat(40), ")".repeat(40));
    assert!(refused("((x))").contains("arithmetic"));
    assert!(refused(&deep).contains("nest"));
    let fine = format!("{}x{}", "( ".repeat(5), ")".repeat(5));
    assert_eq!(words(&parsed(&fine)), ["x"]);
}

#[test]
fn background_and_redirect_operator_differ() {
    let script = parsed("sleep 1 & echo x &> log");
    assert_eq!(words(&script), ["sleep 1", "echo x"]);
    assert_eq!(script.redirections[0].operator, "&>");
}
