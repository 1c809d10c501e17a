;; h_abi2 (hostile): declares ABI major 2.
(module
  ;; @prelude
  (data (i32.const 0) "{\"abi\":2,\"name\":\"h_abi2\",\"version\":\"1.0.0\",\"steps\":[{\"type\":\"h_abi2\"}]}\00")
  (func (export "aetherflow_describe") (result i32) (call $out_cstr (i32.const 0)) (i32.const 0))
  (func (export "aetherflow_step") (result i32) (i32.const 0))
)
