//! Strict validators for formats that carry no code by design, and the code-ish parts they
//! may still carry (Jinja chat templates, Keras configs, ONNX external data paths).

pub(crate) mod gguf;
pub(crate) mod hdf5;
pub(crate) mod jinja;
pub(crate) mod keras;
pub(crate) mod onnx;
pub(crate) mod safetensors;
pub(crate) mod text;
