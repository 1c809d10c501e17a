;; t_peek: a connector plugin (kind test, driver t_peek) whose every method returns
;; {"result":{"config_shifted":"<the resource config JSON with every byte + 1>"}}. A test shifts it back
;; (kit.ts `unpeek`) to prove which values the connector received although they are masked everywhere else.
;; Test fixture: the shifted bytes are not JSON-escaped, so configs must not contain `!` or `[`.
(module
  ;; @prelude
  (data (i32.const 0) "{\"abi\":1,\"name\":\"t_peek\",\"version\":\"1.0.0\",\"connectors\":[{\"kind\":\"test\",\"driver\":\"t_peek\",\"methods\":[\"echo\"]}]}\00")
  (data (i32.const 1024) "\"config\":\00")
  (data (i32.const 1040) "{\"result\":{\"config_shifted\":\"\00")
  (data (i32.const 1072) "\"}}\00")
  (data (i32.const 1088) "no config in the connector call\00")
  (func (export "aetherflow_describe") (result i32) (call $out_cstr (i32.const 0)) (i32.const 0))
  (func (export "aetherflow_connector") (result i32) (local $p i32)
    (drop (call $read_input))
    (local.set $p (call $field (i32.const 1024)))
    (if (i32.lt_s (local.get $p) (i32.const 0))
      (then (call $err_cstr (i32.const 1088)) (return (i32.const 1))))
    (call $ob_reset)
    (call $ob_cstr (i32.const 1040))
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $p) (global.get $fend)))
      (call $ob_byte (i32.add (i32.load8_u (local.get $p)) (i32.const 1)))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br $l)))
    (call $ob_cstr (i32.const 1072))
    (call $ob_output)
    (i32.const 0))
)
