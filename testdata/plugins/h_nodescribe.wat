;; h_nodescribe (hostile): exports no aetherflow_describe.
(module
  ;; @prelude
  (func (export "aetherflow_step") (result i32) (i32.const 0))
)
