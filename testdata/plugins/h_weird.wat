;; h_weird (core.md §10 case 20): returns {"status":"WEIRD"}.
(module
  ;; @prelude
  (data (i32.const 0) "{\"abi\":1,\"name\":\"h_weird\",\"version\":\"1.0.0\",\"steps\":[{\"type\":\"h_weird\"}]}\00")
  (data (i32.const 1024) "{\"status\":\"WEIRD\"}\00")
  (func (export "aetherflow_describe") (result i32) (call $out_cstr (i32.const 0)) (i32.const 0))
  (func (export "aetherflow_step") (result i32) (call $out_cstr (i32.const 1024)) (i32.const 0))
)
