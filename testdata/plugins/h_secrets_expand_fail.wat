;; h_secrets_expand_fail (hostile): a secrets provider whose aetherflow_expand_env "decodes" env.DB_PW_ENC to
;; DEC(<value>) and then fails with an error message quoting the decoded value — a secret the host never saw.
;; decode works like t_secrets.
(module
  ;; @prelude
  (data (i32.const 0) "{\"abi\":1,\"name\":\"h_secrets_expand_fail\",\"version\":\"1.0.0\",\"secrets\":true}\00")
  (data (i32.const 1024) "\"value\":\00")
  (data (i32.const 1040) "{\"value\":\"DEC(\00")
  (data (i32.const 1064) ")\"}\00")
  (data (i32.const 1072) "\"DB_PW_ENC\":\00")
  (data (i32.const 1088) "cannot expand env: DB_PASSWORD=DEC(\00")
  (data (i32.const 1128) ") is rejected by the vault\00")
  (data (i32.const 1160) "{\"message\":\"expanding DB_PASSWORD=DEC(\00")
  (data (i32.const 1208) ")\"}\00")
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
  (func $value (local $p i32)
    (local.set $p (call $field (i32.const 1072)))
    (if (i32.ge_s (local.get $p) (i32.const 0)) (then
      (call $ob_bytes (i32.add (local.get $p) (i32.const 1))
        (i32.sub (i32.sub (global.get $fend) (local.get $p)) (i32.const 2))))))
  (func (export "aetherflow_expand_env") (result i32)
    (drop (call $read_input))
    ;; Logged first: lines a secrets provider logs during a failed call must not be shown either.
    (call $ob_reset) (call $ob_cstr (i32.const 1160)) (call $value) (call $ob_cstr (i32.const 1208))
    (call $log_ob)
    (call $ob_reset) (call $ob_cstr (i32.const 1088)) (call $value) (call $ob_cstr (i32.const 1128))
    (call $ob_error)
    (i32.const 1))
)
