;; h_badjson (hostile): returns text that is not JSON from aetherflow_step.
(module
  ;; @prelude
  (data (i32.const 0) "{\"abi\":1,\"name\":\"h_badjson\",\"version\":\"1.0.0\",\"steps\":[{\"type\":\"h_badjson\"}]}\00")
  (data (i32.const 1024) "not json{\00")
  (func (export "aetherflow_describe") (result i32) (call $out_cstr (i32.const 0)) (i32.const 0))
  (func (export "aetherflow_step") (result i32) (call $out_cstr (i32.const 1024)) (i32.const 0))
)
