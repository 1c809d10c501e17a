;; h_loop (hostile): spins forever in aetherflow_step; contained by the wall-clock timeout.
(module
  ;; @prelude
  (data (i32.const 0) "{\"abi\":1,\"name\":\"h_loop\",\"version\":\"1.0.0\",\"steps\":[{\"type\":\"h_loop\"}]}\00")
  (func (export "aetherflow_describe") (result i32) (call $out_cstr (i32.const 0)) (i32.const 0))
  (func (export "aetherflow_step") (result i32) (loop $l (br $l)) (i32.const 0))
)
