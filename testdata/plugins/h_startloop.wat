;; h_startloop (hostile): its start function spins forever on every instance, the describe instance included.
(module
  ;; @prelude
  (func $spin (loop $l (br $l)))
  (start $spin)
  (func (export "aetherflow_describe") (result i32) (i32.const 0))
)
