;; h_trap (hostile): executes `unreachable` in aetherflow_step.
(module
  ;; @prelude
  (data (i32.const 0) "{\"abi\":1,\"name\":\"h_trap\",\"version\":\"1.0.0\",\"steps\":[{\"type\":\"h_trap\"}]}\00")
  (func (export "aetherflow_describe") (result i32) (call $out_cstr (i32.const 0)) (i32.const 0))
  (func (export "aetherflow_step") (result i32) unreachable)
)
