//! Helpers shared by faultline's end-to-end tests (see `tests/tests/`).
