;; h_logflood (hostile): logs 3000 lines through af_log and 3000 through Extism's kernel log_info per call, each
;; with a newline and an ESC that would forge a log line / terminal sequence in text-format logs.
(module
  (import "extism:host/env" "log_info" (func $log_info (param i64)))
  ;; @prelude
  (data (i32.const 0) "{\"abi\":1,\"name\":\"h_logflood\",\"version\":\"1.0.0\",\"steps\":[{\"type\":\"h_logflood\"}]}\00")
  (data (i32.const 1024) "{\"message\":\"flood\\n2030-01-01 00:00:00.000 INFO aetherflow - forged \\u001b[2J\"}\00")
  (data (i32.const 1152) "kernel\n2030-01-01 00:00:00.000 INFO aetherflow - forged\00")
  (data (i32.const 1216) "{\"outputs\":{}}\00")
  (func (export "aetherflow_describe") (result i32) (call $out_cstr (i32.const 0)) (i32.const 0))
  (func (export "aetherflow_step") (result i32) (local $i i32) (local $a i64) (local $b i64)
    (call $ob_reset) (call $ob_cstr (i32.const 1024)) (local.set $a (call $ob_block))
    (call $ob_reset) (call $ob_cstr (i32.const 1152)) (local.set $b (call $ob_block))
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $i) (i32.const 3000)))
      (drop (call $af_log (local.get $a)))
      (call $log_info (local.get $b))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (call $out_cstr (i32.const 1216))
    (i32.const 0))
)
