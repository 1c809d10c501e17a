;; h_noexport (hostile): declares a step type but does not export aetherflow_step.
(module
  ;; @prelude
  (data (i32.const 0) "{\"abi\":1,\"name\":\"h_noexport\",\"version\":\"1.0.0\",\"steps\":[{\"type\":\"h_noexport\"}]}\00")
  (func (export "aetherflow_describe") (result i32) (call $out_cstr (i32.const 0)) (i32.const 0))
)
