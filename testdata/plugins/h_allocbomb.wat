;; h_allocbomb (hostile): allocates inputs.mib host-side blocks of 1 MiB through Extism's kernel `alloc` (never
;; freed, never touched) and succeeds: only the host-side allocation budget (memory_mb) can stop it.
(module
  ;; @prelude
  (data (i32.const 0) "{\"abi\":1,\"name\":\"h_allocbomb\",\"version\":\"1.0.0\",\"steps\":[{\"type\":\"h_allocbomb\"}]}\00")
  (data (i32.const 1024) "\"mib\":\00")
  (data (i32.const 1040) "{\"outputs\":{\"ok\":true}}\00")
  (func (export "aetherflow_describe") (result i32) (call $out_cstr (i32.const 0)) (i32.const 0))
  (func (export "aetherflow_step") (result i32) (local $p i32) (local $n i32) (local $i i32)
    (drop (call $read_input))
    (local.set $p (call $field (i32.const 1024)))
    ;; a decimal number of up to 5 digits
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $p) (global.get $fend)))
      (local.set $n (i32.add (i32.mul (local.get $n) (i32.const 10))
        (i32.sub (i32.load8_u (local.get $p)) (i32.const 48))))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br $l)))
    (block $done (loop $a
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (drop (call $alloc (i64.const 1048576)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $a)))
    (call $out_cstr (i32.const 1040))
    (i32.const 0))
)
