//! Integration tests: each module runs the real `sessionpay` binary.
