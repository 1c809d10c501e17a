  ;; Shared prelude of the WAT test plugins (inserted where a module says `;; @prelude`).
  ;; Memory map: 0..65535 NUL-terminated constants, 65536.. input copy, 262144.. output buffer.
  (import "extism:host/env" "input_length" (func $input_length (result i64)))
  (import "extism:host/env" "input_load_u8" (func $input_load_u8 (param i64) (result i32)))
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "load_u8" (func $load_u8 (param i64) (result i32)))
  (import "extism:host/env" "length" (func $length (param i64) (result i64)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (import "extism:host/env" "error_set" (func $error_set (param i64)))
  (import "extism:host/user" "af_log" (func $af_log (param i64) (result i64)))
  (import "extism:host/user" "af_connector_call" (func $af_connector_call (param i64) (result i64)))
  (memory (export "memory") 8)
  (global $IN i32 (i32.const 65536))
  (global $OUT i32 (i32.const 262144))
  (global $in_len (mut i32) (i32.const 0))
  (global $op (mut i32) (i32.const 262144))
  (global $fend (mut i32) (i32.const 0))

  ;; Copy the call input to $IN; returns its length.
  (func $read_input (result i32) (local $n i64) (local $i i64)
    (local.set $n (call $input_length))
    (block $d (loop $l
      (br_if $d (i64.ge_u (local.get $i) (local.get $n)))
      (i32.store8 (i32.add (global.get $IN) (i32.wrap_i64 (local.get $i))) (call $input_load_u8 (local.get $i)))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br $l)))
    (global.set $in_len (i32.wrap_i64 (local.get $n)))
    (global.get $in_len))

  ;; Copy memory [p, p+n) into a new Extism block; returns its offset.
  (func $to_block (param $p i32) (param $n i32) (result i64) (local $o i64) (local $i i32)
    (local.set $o (call $alloc (i64.extend_i32_u (local.get $n))))
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $i) (local.get $n)))
      (call $store_u8 (i64.add (local.get $o) (i64.extend_i32_u (local.get $i)))
        (i32.load8_u (i32.add (local.get $p) (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (local.get $o))

  ;; Append a block's bytes to the output buffer.
  (func $ob_from_block (param $o i64) (local $n i64) (local $i i64)
    (local.set $n (call $length (local.get $o)))
    (block $d (loop $l
      (br_if $d (i64.ge_u (local.get $i) (local.get $n)))
      (call $ob_byte (call $load_u8 (i64.add (local.get $o) (local.get $i))))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br $l))))

  (func $strlen (param $p i32) (result i32) (local $i i32)
    (block $d (loop $l
      (br_if $d (i32.eqz (i32.load8_u (i32.add (local.get $p) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (local.get $i))

  (func $ob_reset (global.set $op (global.get $OUT)))
  (func $ob_byte (param $b i32)
    (i32.store8 (global.get $op) (local.get $b))
    (global.set $op (i32.add (global.get $op) (i32.const 1))))
  (func $ob_bytes (param $p i32) (param $n i32) (local $i i32)
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $i) (local.get $n)))
      (call $ob_byte (i32.load8_u (i32.add (local.get $p) (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l))))
  (func $ob_cstr (param $p i32) (call $ob_bytes (local.get $p) (call $strlen (local.get $p))))
  ;; Append bytes escaped for the inside of a JSON string (only `"` and `\` occur unescaped in JSON text).
  (func $ob_esc (param $p i32) (param $n i32) (local $i i32) (local $c i32)
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $c (i32.load8_u (i32.add (local.get $p) (local.get $i))))
      (if (i32.or (i32.eq (local.get $c) (i32.const 34)) (i32.eq (local.get $c) (i32.const 92)))
        (then (call $ob_byte (i32.const 92))))
      (call $ob_byte (local.get $c))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l))))
  (func $ob_len (result i32) (i32.sub (global.get $op) (global.get $OUT)))
  (func $ob_block (result i64) (call $to_block (global.get $OUT) (call $ob_len)))
  (func $ob_output (call $output_set (call $ob_block) (i64.extend_i32_u (call $ob_len))))
  (func $ob_error (call $error_set (call $ob_block)))
  (func $out_cstr (param $p i32) (call $ob_reset) (call $ob_cstr (local.get $p)) (call $ob_output))
  (func $err_cstr (param $p i32) (call $ob_reset) (call $ob_cstr (local.get $p)) (call $ob_error))
  (func $log_ob (drop (call $af_log (call $ob_block))))

  ;; Position just after the first occurrence of NUL-terminated $needle in the input, or -1.
  (func $find (param $needle i32) (result i32) (local $n i32) (local $i i32) (local $j i32) (local $end i32)
    (local.set $n (call $strlen (local.get $needle)))
    (local.set $i (global.get $IN))
    (local.set $end (i32.sub (i32.add (global.get $IN) (global.get $in_len)) (local.get $n)))
    (block $nf (loop $outer
      (br_if $nf (i32.gt_s (local.get $i) (local.get $end)))
      (local.set $j (i32.const 0))
      (block $miss (loop $inner
        (if (i32.ge_u (local.get $j) (local.get $n)) (then (return (i32.add (local.get $i) (local.get $n)))))
        (br_if $miss (i32.ne (i32.load8_u (i32.add (local.get $i) (local.get $j)))
          (i32.load8_u (i32.add (local.get $needle) (local.get $j)))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $inner)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $outer)))
    (i32.const -1))

  ;; End (exclusive) of the JSON value starting at $p.
  (func $value_end (param $p i32) (result i32) (local $c i32) (local $depth i32) (local $instr i32)
    (local.set $c (i32.load8_u (local.get $p)))
    (if (i32.eq (local.get $c) (i32.const 34)) (then
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (loop $s
        (local.set $c (i32.load8_u (local.get $p)))
        (if (i32.eq (local.get $c) (i32.const 92)) (then
          (local.set $p (i32.add (local.get $p) (i32.const 2)))
          (br $s)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br_if $s (i32.ne (local.get $c) (i32.const 34))))
      (return (local.get $p))))
    (if (i32.or (i32.eq (local.get $c) (i32.const 123)) (i32.eq (local.get $c) (i32.const 91))) (then
      (loop $o
        (local.set $c (i32.load8_u (local.get $p)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (if (local.get $instr)
          (then
            (if (i32.eq (local.get $c) (i32.const 92)) (then (local.set $p (i32.add (local.get $p) (i32.const 1)))))
            (if (i32.eq (local.get $c) (i32.const 34)) (then (local.set $instr (i32.const 0)))))
          (else
            (if (i32.eq (local.get $c) (i32.const 34)) (then (local.set $instr (i32.const 1))))
            (if (i32.or (i32.eq (local.get $c) (i32.const 123)) (i32.eq (local.get $c) (i32.const 91)))
              (then (local.set $depth (i32.add (local.get $depth) (i32.const 1)))))
            (if (i32.or (i32.eq (local.get $c) (i32.const 125)) (i32.eq (local.get $c) (i32.const 93)))
              (then (local.set $depth (i32.sub (local.get $depth) (i32.const 1)))))))
        (br_if $o (i32.gt_s (local.get $depth) (i32.const 0))))
      (return (local.get $p))))
    (block $d (loop $x
      (local.set $c (i32.load8_u (local.get $p)))
      (br_if $d (i32.eq (local.get $c) (i32.const 44)))
      (br_if $d (i32.eq (local.get $c) (i32.const 125)))
      (br_if $d (i32.eq (local.get $c) (i32.const 93)))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br $x)))
    (local.get $p))

  ;; Start of the value after NUL-terminated key needle (e.g. `"inputs":`); sets $fend; -1 when absent.
  (func $field (param $needle i32) (result i32) (local $p i32)
    (local.set $p (call $find (local.get $needle)))
    (if (i32.lt_s (local.get $p) (i32.const 0)) (then (return (i32.const -1))))
    (global.set $fend (call $value_end (local.get $p)))
    (local.get $p))
