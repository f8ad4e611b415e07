//! Regressions for what fuzzing (`fuzz/`, target `parse_render`) and the
//! audit that followed it found: templates that panicked, overflowed the
//! stack, hung or ate memory. Each must now render or fail with an error.
//!
//! The tests run on the test harness's threads (2 MB stacks), smaller than
//! a main thread's, so a deep recursion shows.

use phalanx_vtl::{Context, Engine, ErrorKind, Limits};

/// The limits the fuzz target uses.
fn fuzz_limits() -> Limits {
    Limits {
        max_foreach_iterations: Some(1000),
        max_output_bytes: 1024 * 1024,
        fuel: 200_000,
        ..Limits::velocity()
    }
}

fn render(src: &str) -> Result<String, phalanx_vtl::Error> {
    let engine = Engine::velocity().with_limits(fuzz_limits());
    engine.compile("t", src)?.render(&mut Context::new())
}

fn render_ok(src: &str) -> String {
    render(src).unwrap_or_else(|e| panic!("{src}: {e}"))
}

fn render_err(src: &str) -> phalanx_vtl::Error {
    match render(src) {
        Ok(out) => panic!("{src}: expected an error, rendered {} bytes", out.len()),
        Err(e) => e,
    }
}

// ----- RefCell borrowed twice ---------------------------------------

#[test]
fn a_map_used_as_a_key_of_itself_does_not_panic() {
    // Hashing the key borrowed the map while `remove` (`put`, …) held it
    // mutably.
    assert_eq!(
        render_ok("#set($m = {'a': 1})$m.remove($m)|$m.containsKey($m)|$m.get($m)|$m.size()"),
        "$m.remove($m)|false|$m.get($m)|1"
    );
    let e = render_err("#set($m = {'a': 1})#set($x = $m.put($m, 1))");
    insta::assert_snapshot!(e, @r"
        t:1:33: invocation of method 'put' on LinkedHashMap threw IllegalArgumentException: a list or map cannot hold itself here (it would never be freed)
          |
        1 | #set($m = {'a': 1})#set($x = $m.put($m, 1))
          |                                 ^
    ");
}

#[test]
fn a_list_removed_from_itself_does_not_panic() {
    // `remove(Object)` compared the items with the list while borrowing it
    // mutably.
    assert_eq!(
        render_ok("#set($l = [[]])$l.remove($l) $l.size()"),
        "false 1"
    );
    assert_eq!(
        render_ok("#set($l = [[1]])#set($x = $l.add([$l.get(0)]))$l.remove([[1]]) $l.size()"),
        "true 1"
    );
}

// ----- reference cycles: leaked, and walked forever -------------------

#[test]
fn a_list_or_map_cannot_be_made_to_hold_itself() {
    // Reference counting never frees a cycle: each render that made one
    // leaked it (LeakSanitizer), and `hashCode`/`equals` on one recursed
    // until the stack overflowed.
    let errors: Vec<String> = [
        "#set($l = [])$l.add($l)",
        "#set($l = [1])$l.add(0, $l)",
        "#set($l = [1])$l.set(0, [[$l]])",
        "#set($l = [1])#set($l[0] = $l)",
        "#set($a = [])#set($b = [$a])$a.add($b)",
        "#set($a = [])#set($b = [[1], [$a]])$a.addAll($b)",
        "#set($m = {})$m.put('k', $m)",
        "#set($m = {})$m.put([$m], 1)",
        "#set($m = {})$m.putIfAbsent('k', {'x': $m})",
        "#set($m = {})#set($m.k = $m)",
        "#set($m = {})#set($n = {'m': $m})$m.putAll($n)",
        // Through the objects that hold values: a map view, an entry, `$foreach`.
        "#set($m = {})$m.put('k', $m.keySet())",
        "#set($l = [])#set($m = {'l': $l})#foreach($e in $m.entrySet())$l.add($e)#end",
        "#set($l = [])#set($foreach = $l)#foreach($i in [1])$l.add($foreach)#end",
    ]
    .iter()
    .map(|src| render_err(src).to_string())
    .collect();
    insta::assert_snapshot!(errors.join("\n\n"), @r"
        t:1:17: invocation of method 'add' on ArrayList threw IllegalArgumentException: a list or map cannot hold itself here (it would never be freed)
          |
        1 | #set($l = [])$l.add($l)
          |                 ^

        t:1:18: invocation of method 'add' on ArrayList threw IllegalArgumentException: a list or map cannot hold itself here (it would never be freed)
          |
        1 | #set($l = [1])$l.add(0, $l)
          |                  ^

        t:1:18: invocation of method 'set' on ArrayList threw IllegalArgumentException: a list or map cannot hold itself here (it would never be freed)
          |
        1 | #set($l = [1])$l.set(0, [[$l]])
          |                  ^

        t:1:15: #set of $l[0] failed: IllegalArgumentException: a list or map cannot hold itself here (it would never be freed)
          |
        1 | #set($l = [1])#set($l[0] = $l)
          |               ^

        t:1:32: invocation of method 'add' on ArrayList threw IllegalArgumentException: a list or map cannot hold itself here (it would never be freed)
          |
        1 | #set($a = [])#set($b = [$a])$a.add($b)
          |                                ^

        t:1:39: invocation of method 'addAll' on ArrayList threw IllegalArgumentException: a list or map cannot hold itself here (it would never be freed)
          |
        1 | #set($a = [])#set($b = [[1], [$a]])$a.addAll($b)
          |                                       ^

        t:1:17: invocation of method 'put' on LinkedHashMap threw IllegalArgumentException: a list or map cannot hold itself here (it would never be freed)
          |
        1 | #set($m = {})$m.put('k', $m)
          |                 ^

        t:1:17: invocation of method 'put' on LinkedHashMap threw IllegalArgumentException: a list or map cannot hold itself here (it would never be freed)
          |
        1 | #set($m = {})$m.put([$m], 1)
          |                 ^

        t:1:17: invocation of method 'putIfAbsent' on LinkedHashMap threw IllegalArgumentException: a list or map cannot hold itself here (it would never be freed)
          |
        1 | #set($m = {})$m.putIfAbsent('k', {'x': $m})
          |                 ^

        t:1:14: #set of $m.k failed: IllegalArgumentException: a list or map cannot hold itself here (it would never be freed)
          |
        1 | #set($m = {})#set($m.k = $m)
          |              ^

        t:1:37: invocation of method 'putAll' on LinkedHashMap threw IllegalArgumentException: a list or map cannot hold itself here (it would never be freed)
          |
        1 | #set($m = {})#set($n = {'m': $m})$m.putAll($n)
          |                                     ^

        t:1:17: invocation of method 'put' on LinkedHashMap threw IllegalArgumentException: a list or map cannot hold itself here (it would never be freed)
          |
        1 | #set($m = {})$m.put('k', $m.keySet())
          |                 ^

        t:1:66: invocation of method 'add' on ArrayList threw IllegalArgumentException: a list or map cannot hold itself here (it would never be freed)
          |
        1 | #set($l = [])#set($m = {'l': $l})#foreach($e in $m.entrySet())$l.add($e)#end
          |                                                                  ^

        t:1:55: invocation of method 'add' on ArrayList threw IllegalArgumentException: a list or map cannot hold itself here (it would never be freed)
          |
        1 | #set($l = [])#set($foreach = $l)#foreach($i in [1])$l.add($foreach)#end
          |                                                       ^
    ");
    // What makes no cycle is still allowed.
    assert_eq!(
        render_ok("#set($l = [1])#set($x = $l.addAll($l))#set($x = $l.add([$l.size()]))$l"),
        "[1, 1, [2]]"
    );
    assert_eq!(
        render_ok(
            "#set($m = {'a': 1})#set($x = $m.putAll($m))#set($x = $m.put('b', [$m.size()]))$m"
        ),
        "{a=1, b=[1]}"
    );
}

#[test]
fn deeply_nested_lists_neither_overflow_when_rendered_nor_when_dropped() {
    // 60 000 levels of `[[[…]]]`: rendering, comparing and hashing stop at
    // a depth, and dropping the context does not recurse.
    let src =
        "#set($a = [])#foreach($i in [1..300])#foreach($j in [1..200])#set($a = [$a])#end#end";
    assert_eq!(render_ok(&format!("{src}$a.size()")), "1");
    let e = render_err(&format!("{src}$a"));
    insta::assert_snapshot!(e, @r"
        t:1:85: cannot render a list or map that contains itself or is nested more than 256 deep: Java's toString throws StackOverflowError
          |
        1 | #set($a = [])#foreach($i in [1..300])#foreach($j in [1..200])#set($a = [$a])#end#end$a
          |                                                                                     ^
    ");
    assert_eq!(
        render_ok(&format!("{src}#set($b = $a)$a.equals($b)")),
        "true"
    );
    assert_eq!(
        render_ok(&format!("{src}#set($b = [$a])$b.equals([$a])")),
        "true"
    );
    assert_eq!(
        render_ok(&format!("{src}#set($b = [[$a]])$b.equals([[$a]])")),
        "true"
    );
    let e = render_err(&format!("{src}$a.hashCode()"));
    insta::assert_snapshot!(e, @r"
        t:1:88: invocation of method 'hashCode' on ArrayList threw StackOverflowError: the list contains itself or is nested too deeply
          |
        1 | #set($a = [])#foreach($i in [1..300])#foreach($j in [1..200])#set($a = [$a])#end#end$a.hashCode()
          |                                                                                        ^
    ");
    // Maps, and maps held by objects (a `keySet()` view holds its map),
    // render and drop without recursing too.
    render_ok(
        "#set($m = {})#foreach($i in [1..300])#foreach($j in [1..200])#set($m = {'k': $m})#end#end$m.size()",
    );
    let views = "#set($m = {})#foreach($i in [1..150])#foreach($j in [1..200])#set($m = {'k': $m.keySet()})#end#end";
    assert_eq!(render_ok(&format!("{views}$m.size()")), "1");
    let _ = render(&format!("{views}$m"));
}

#[test]
fn blocks_nested_through_evaluate_and_macros_do_not_overflow_the_stack() {
    // Each #evaluate (up to max_nesting of them) and macro call (up to
    // max_macro_depth) nests a whole template's depth of blocks again.
    let ifs = |inner: &str| format!("{}{inner}{}", "#if(true)".repeat(90), "#end".repeat(90));
    let e = render_err(&format!(
        "#set($d = '{}')#evaluate($d)",
        ifs("#evaluate($d)")
    ));
    insta::assert_snapshot!(e, @r"
        t (#evaluate) (#evaluate) (#evaluate) (#evaluate) (#evaluate) (#evaluate):1:1: blocks rendered inside each other deeper than 500 (through macro calls or #evaluate)
          |
        1 | #if(true)#if(true)#if(true)#if(true)#if(true)#if(true)#if(true)#if(true)#if(true)#if(true)#if(true)#if(true)#if(true)#if
          | ^
    ");
    let e = render_err(&format!(
        "#set($d = '{}')#macro(m)#set($n = $n + 1){}#end#set($n = 0)#m()",
        ifs("#evaluate($d)"),
        ifs("#if($n < 19)#m()#{else}#evaluate($d)#end")
    ));
    insta::assert_snapshot!(e, @r"
        t:1:1: blocks rendered inside each other deeper than 500 (through macro calls or #evaluate)
          |
        1 | #set($d = '#if(true)#if(true)#if(true)#if(true)#if(true)#if(true)#if(true)#if(true)#if(true)#if(true)#if(true)#if(true)#
          | ^
    ");
    // A template's own depth, in macros nested twenty deep, is fine.
    let src = format!(
        "#macro(m)#set($n = $n + 1){}#end#set($n = 0)#m()$n",
        "#if($n < 20)".repeat(20) + "#m()" + &"#end".repeat(20)
    );
    assert_eq!(render_ok(&src), "20");
}

// ----- hangs: work that cost no fuel ----------------------------------

#[test]
fn walks_over_shared_sub_lists_run_out_of_fuel() {
    // Forty levels of `[$a, $a]`: 2^40 items to visit.
    let src = "#set($a = [1])#set($c = [1])#foreach($i in [1..40])#set($a = [$a, $a])#set($c = [$c, $c])#end";
    for tail in [
        "$a",
        "$a.toString()",
        "$a.hashCode()",
        "$a.equals($c)",
        "#if($a == $c)#end",
        "#set($l = [$c])$l.contains($a)",
        "#set($l = [$c])$l.indexOf($a)",
    ] {
        let e = render_err(&format!("{src}{tail}"));
        assert_eq!(e.kind(), ErrorKind::Limit, "{tail}: {e}");
    }
    let src = "#set($m = {'k': 1})#set($n = {'k': 1})#foreach($i in [1..40])#set($m = {'a': $m, 'b': $m})#set($n = {'a': $n, 'b': $n})#end";
    let e = render_err(&format!("{src}$m.equals($n)"));
    assert_eq!(e.kind(), ErrorKind::Limit, "{e}");
}

#[test]
fn a_list_of_one_long_string_many_times_does_not_render_past_the_limits() {
    let e = render_err(
        "#set($s = 'xxxxxxxxxxxxxxxx')#foreach($i in [1..15])#set($s = \"$s$s\")#end\
         #set($l = [])#foreach($i in [1..1000])$l.add($s)#end$l",
    );
    assert_eq!(e.kind(), ErrorKind::Limit, "{e}");
}

#[test]
fn string_and_list_methods_pay_for_their_size() {
    // A 256 KB string scanned 1000 × 1000 times.
    let e = render_err(
        "#set($s = 'xxxxxxxxxxxxxxxx')#foreach($i in [1..14])#set($s = \"$s$s\")#end\
         #foreach($i in [1..1000])#foreach($j in [1..1000])#set($x = $s.indexOf('y'))#end#end",
    );
    assert_eq!(e.kind(), ErrorKind::Limit, "{e}");
    let e = render_err(
        "#set($s = 'xxxxxxxxxxxxxxxx')#foreach($i in [1..14])#set($s = \"$s$s\")#end\
         #foreach($i in [1..1000])#foreach($j in [1..1000])#set($x = $s.bytes)#end#end",
    );
    assert_eq!(e.kind(), ErrorKind::Limit, "{e}");
    let e = render_err(
        "#set($s = 'xxxxxxxxxxxxxxxx')#foreach($i in [1..12])#set($s = \"$s$s\")#end\
         #foreach($i in [1..1000])#foreach($j in [1..1000])#evaluate($s)#end#end",
    );
    assert_eq!(e.kind(), ErrorKind::Limit, "{e}");
    // Regular expressions and the lists `split` builds cost more a byte.
    for call in [
        "$s.replaceAll('(?=(x+)+y)x', 'z')",
        "$s.split('x')",
        "$s.matches('(x|y)*')",
    ] {
        let e = render_err(&format!(
            "#set($s = 'xxxxxxxxxxxxxxxy')#foreach($i in [1..8])#set($s = \"$s$s\")#end\
             #foreach($i in [1..1000])#foreach($j in [1..1000])#set($x = {call})#end#end"
        ));
        assert_eq!(e.kind(), ErrorKind::Limit, "{call}: {e}");
    }
}

// ----- memory ---------------------------------------------------------

#[test]
fn doubling_a_string_or_list_in_a_loop_fails_before_memory_runs_out() {
    let e = render_err("#set($s = 'aaaaaaaa')#foreach($i in [1..40])#set($s = $s.concat($s))#end");
    assert_eq!(e.kind(), ErrorKind::Limit, "{e}");
    let e = render_err("#set($l = [1])#foreach($i in [1..40])#set($x = $l.addAll($l))#end");
    assert_eq!(e.kind(), ErrorKind::Limit, "{e}");
    let e = render_err(
        "#set($s = 'aaaaaaaaaaaa')#foreach($i in [1..6])#set($s = $s.replace('', $s))#end",
    );
    assert_eq!(e.kind(), ErrorKind::Limit, "{e}");
}
