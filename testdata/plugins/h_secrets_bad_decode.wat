;; h_secrets_bad_decode (hostile): a secrets provider whose aetherflow_decode returns the decoded value as raw
;; text, `DEC(<value>)`, instead of JSON — a JSON parser error that quoted its input would print the secret.
(module
  ;; @prelude
  (data (i32.const 0) "{\"abi\":1,\"name\":\"h_secrets_bad_decode\",\"version\":\"1.0.0\",\"secrets\":true}\00")
  (data (i32.const 1024) "\"value\":\00")
  (data (i32.const 1040) "DEC(\00")
  (data (i32.const 1064) ")\00")
  (func (export "aetherflow_describe") (result i32) (call $out_cstr (i32.const 0)) (i32.const 0))
  (func (export "aetherflow_decode") (result i32) (local $p i32)
    (drop (call $read_input))
    (local.set $p (call $field (i32.const 1024)))
    (call $ob_reset)
    (call $ob_cstr (i32.const 1040))
    (call $ob_bytes (i32.add (local.get $p) (i32.const 1))
      (i32.sub (i32.sub (global.get $fend) (local.get $p)) (i32.const 2)))
    (call $ob_cstr (i32.const 1064))
    (call $ob_output)
    (i32.const 0))
)
