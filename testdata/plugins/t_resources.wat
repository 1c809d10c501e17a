;; t_resources (core.md §10): a connector plugin (kind test, driver t_resources) whose every method returns
;; the whole connector call it received, so tests can see the resolved and decoded resource fields.
(module
  ;; @prelude
  (data (i32.const 0) "{\"abi\":1,\"name\":\"t_resources\",\"version\":\"1.0.0\",\"connectors\":[{\"kind\":\"test\",\"driver\":\"t_resources\",\"methods\":[\"echo\"]}]}\00")
  (data (i32.const 1024) "{\"result\":\00")
  (data (i32.const 1040) "}\00")
  (func (export "aetherflow_describe") (result i32) (call $out_cstr (i32.const 0)) (i32.const 0))
  (func (export "aetherflow_connector") (result i32) (local $n i32)
    (local.set $n (call $read_input))
    (call $ob_reset)
    (call $ob_cstr (i32.const 1024))
    (call $ob_bytes (global.get $IN) (local.get $n))
    (call $ob_cstr (i32.const 1040))
    (call $ob_output)
    (i32.const 0))
)
